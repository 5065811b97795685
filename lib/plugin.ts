/**
 * The plugin shell: resolve options, build the validator, decorate Fastify, add the hooks.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Authenticator } from './fastify/authenticate.js'
import { checkRoutesUnchanged, routeSecurityHook, type RouteSecurityState } from './fastify/route-security.js'
import { logRouteReport, routeReport } from './fastify/route-report.js'
import { routeDefaults } from './fastify/protect-options.js'
import { unseenRouteHook } from './fastify/unseen-routes.js'
import { discoverAtStartup } from './fastify/startup-discovery.js'
import { decorateUserinfo } from './fastify/userinfo.js'
import { decorateRequireAuth } from './fastify/require-auth.js'
import { serveResourceMetadata } from './fastify/protected-resource.js'
import { resolveOptions } from './options.js'
import { createDPoPVerifier } from './dpop-options.js'
import { kAuthState } from './symbols.js'
import { CredentialDecider } from './token/credential-decision.js'
import { MetadataResolver } from './token/discovery.js'
import { JWKSCache } from './token/jwks-cache.js'
import { JWTVerifier } from './token/jwt-verifier.js'
import { TokenCache } from './token/token-cache.js'
import { Introspector } from './token/introspection.js'
import { UserinfoClient } from './token/userinfo.js'
import type { OAuthGuardAPI, OAuthGuardOptions } from './types.js'
import { createDocsState, docsRouteHook } from './openapi/docs-state.js'
import { registerDocs } from './openapi/docs-plugin.js'

async function oauthGuardPlugin (fastify: FastifyInstance, rawOptions: OAuthGuardOptions): Promise<void> {
  const options = resolveOptions(rawOptions)
  if (options.audience === null) {
    fastify.log.warn('fastify-oauth-guard: dangerouslyAllowAnyAudience is set, tokens issued for any audience are accepted')
  }
  const metadata = new MetadataResolver(options.issuer, options.metadata, options.timeout, {
    credentialEndpoints: options.introspection === null ? [] : ['introspection_endpoint'],
    warn: (message) => fastify.log.warn(`fastify-oauth-guard: ${message}`)
  })
  const keys = new JWKSCache(async () => await metadata.get('jwks_uri'), { timeout: options.timeout, ...options.jwks })
  const jwt = new JWTVerifier({
    issuer: options.issuer,
    audience: options.audience,
    algorithms: options.algorithms,
    clockTolerance: options.clockTolerance,
    requireAccessTokenType: options.requireAccessTokenType,
    keys
  })
  const { issuer, audience, clockTolerance, timeout, retryAfter, realm } = options
  const introspector = options.introspection === null
    ? null
    : new Introspector({
      issuer,
      audience,
      clockTolerance,
      timeout,
      retryAfter,
      realm,
      claims: options.claims,
      credentials: options.introspection,
      endpoint: async () => await metadata.get('introspection_endpoint'),
      onMisconfiguration: (details) => fastify.log.error({ code: 'OAUTH_GUARD_INTROSPECTION_CREDENTIALS', ...details },
        'fastify-oauth-guard: the introspection endpoint refused the API\'s own credentials (options.introspection clientId, clientSecret or authMethod); introspected requests get 503 until it accepts them')
    })
  const dpop = createDPoPVerifier(options.dpop, clockTolerance)
  const decider = new CredentialDecider({
    mode: options.validation,
    jwt,
    introspector,
    claims: options.claims,
    cache: options.cache === null ? null : new TokenCache(options.cache),
    retryAfter,
    maxTokenLength: options.maxTokenLength,
    validateClaims: options.validateClaims,
    dpop,
    clients: options.clients === null ? null : new Set(options.clients)
  })
  // A token the provider refuses at userinfo is refused from then on, until its exp, not only once the caches expire.
  const forget = (token: string, expiresAt: Date): void => decider.forget(token, expiresAt)
  const userinfo = new UserinfoClient({ ...options.userinfo, timeout, retryAfter, realm, forget, endpoint: async () => await metadata.get('userinfo_endpoint') })
  // Set once the metadata route is added, below: challenges then name it (RFC 9728 §5.1).
  let metadataURL: string | undefined
  const authenticator = new Authenticator(decider, { ...options, dpop: dpop?.offer ?? null, resourceMetadata: () => metadataURL })
  const state: RouteSecurityState = { scopes: new Set(), routes: [], docs: [], tracked: [] }
  const defaults = routeDefaults(options)

  const api: OAuthGuardAPI = {
    options,
    metadata: async () => await metadata.discover(),
    scopes: state.scopes,
    routes: state.routes,
    report: () => routeReport(state)
  }

  fastify.decorateRequest('auth', null)
  // Declared up front (Fastify's advice for speed): set on each request, it would change the request's shape.
  fastify.decorateRequest(kAuthState, null)
  decorateUserinfo(fastify, userinfo, { realm }, () => metadataURL)
  decorateRequireAuth(fastify, { realm })
  fastify.decorate('authenticate', authenticator.decorator())
  fastify.decorate('oauthGuard', api)
  // The docs' hook first: it marks the docs' own routes, the only ones public by design.
  const docsState = createDocsState(api)
  fastify.addHook('onRoute', docsRouteHook(docsState))
  fastify.addHook('onRoute', routeSecurityHook(authenticator, options.securityScheme, options.externalSchemes, state, defaults))
  fastify.addHook('onRequest', unseenRouteHook(authenticator, { scheme: options.securityScheme, externalSchemes: options.externalSchemes, defaults, log: fastify.log }))
  fastify.addHook('onReady', async () => {
    checkRoutesUnchanged(state)
    logRouteReport(fastify.log, routeReport(state))
  })
  fastify.addHook('onReady', async () => await discoverAtStartup(metadata, {
    needed: [...(options.validation === 'introspection' ? [] : ['jwks_uri' as const]), ...(options.introspection === null ? [] : ['introspection_endpoint' as const])],
    given: options.metadata,
    timeout: options.timeout,
    log: fastify.log
  }))
  if (options.resourceMetadata !== null) {
    metadataURL = serveResourceMetadata(fastify, options.resourceMetadata, {
      issuer,
      audience,
      scopes: () => [...Object.keys(options.scopes), ...state.scopes],
      dpop: options.dpop === null ? null : { algorithms: options.dpop.algorithms, required: options.dpop.mode === 'required' },
      docs: () => {
        const [site] = docsState.sites
        return site === undefined ? undefined : { path: site[0], publicURL: site[1].publicURL }
      }
    }, rawOptions.resourceMetadata !== undefined)
  }
  if (rawOptions.docs !== undefined) await registerDocs(fastify, rawOptions.docs)
}

/**
 * Turns the API into an OAuth 2.0 resource server: validates Bearer access tokens, enforces each
 * route's `schema.security` scopes, and answers with RFC 6750 errors.
 *
 * @example
 * await app.register(oauthGuard, { issuer: 'https://example.fief.dev', audience: 'https://api.example.com' })
 * app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (req) => req.auth)
 */
export const oauthGuard = fp(oauthGuardPlugin, { fastify: '5.x', name: 'fastify-oauth-guard' })
