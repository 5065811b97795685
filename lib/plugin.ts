/**
 * The plugin shell: resolve options, build the validator, decorate Fastify, add the hooks.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Authenticator } from './fastify/authenticate.js'
import { authenticateDecorator } from './fastify/authenticate-decorator.js'
import { checkRoutesUnchanged, routeSecurityHook, type RouteSecurityState } from './fastify/route-security.js'
import { logRouteReport, routeReport } from './fastify/route-report.js'
import { routeDefaults } from './fastify/protect-options.js'
import { unseenRouteHook } from './fastify/unseen-routes.js'
import { discoverAtStartup } from './fastify/startup-discovery.js'
import { decorateUserinfo } from './fastify/userinfo.js'
import { decorateRequireAuth } from './fastify/require-auth.js'
import { serveResourceMetadata } from './fastify/protected-resource.js'
import { resolveOptions } from './options.js'
import type { ResolvedOptions } from './resolved-options.js'
import { createDPoPVerifier } from './dpop-options.js'
import { kAuthState } from './symbols.js'
import { CredentialDecider } from './token/credential-decision.js'
import { IssuerRouter } from './token/issuer-router.js'
import { TokenCache } from './token/token-cache.js'
import { issuerOf, trustedIssuer } from './trusted-issuers.js'
import { UserinfoClient } from './token/userinfo.js'
import { SharedLevel } from './token/shared-store.js'
import { SharedReplayStore } from './token/shared-replay-store.js'
import type { OAuthGuardAPI, OAuthGuardOptions } from './types.js'
import { createDocsState, docsRouteHook } from './openapi/docs-state.js'
import { registerDocs } from './openapi/docs-plugin.js'

async function oauthGuardPlugin (fastify: FastifyInstance, rawOptions: OAuthGuardOptions): Promise<void> {
  const options = resolveOptions(rawOptions)
  if (options.issuers.some((issuer) => issuer.audience === null)) {
    fastify.log.warn('fastify-oauth-guard: dangerouslyAllowAnyAudience is set, tokens issued for any audience are accepted')
  }
  const shared = sharedLevel(fastify, options)
  const issuers = options.issuers.map((issuer, index) => {
    // The option to fix, as the user wrote it: the top-level one, or the list entry's own.
    const option = typeof rawOptions.issuer === 'string' ? 'options.introspection' : `options.issuer.${index}.introspection`
    return trustedIssuer(issuer, options, {
      shared,
      warn: (message) => fastify.log.warn(`fastify-oauth-guard: ${message}`),
      onMisconfiguration: (details) => fastify.log.error({ code: 'OAUTH_GUARD_INTROSPECTION_CREDENTIALS', option, ...details },
        `fastify-oauth-guard: the introspection endpoint refused the API's own credentials (${option} clientId, clientSecret or authMethod); introspected requests get 503 until it accepts them`)
    })
  })
  const primary = issuers[0]!
  const metadata = primary.metadata
  const { timeout, retryAfter, realm } = options
  const dpop = createDPoPVerifier(options.dpop, options.clockTolerance, shared === null
    ? undefined
    : (local) => new SharedReplayStore({ local, shared, fallback: options.storeReplayFallback, retryAfter: options.retryAfter }))
  const decider = new CredentialDecider({
    mode: primary.route.mode,
    jwt: primary.route.jwt,
    introspector: primary.route.introspector,
    // One exact issuer: no router, so its tokens are not decoded for routing (the verifier checks
    // `iss`). A template is routed even alone: a tenant not allowed is refused before any key lookup.
    router: issuers.length === 1 && primary.route.template === undefined ? null : new IssuerRouter(issuers.map(({ route }) => route)),
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
  const userinfo = new UserinfoClient({ ...options.userinfo, timeout, retryAfter, realm, forget, shared, endpoint: async (auth) => await issuerOf(issuers, auth.claims.iss).metadata.get('userinfo_endpoint') })
  // Set once the metadata route is added, below: challenges then name it (RFC 9728 §5.1).
  let metadataURL: string | undefined
  const extras = { realm, dpop: dpop?.offer ?? null, resourceMetadata: () => metadataURL }
  const authenticator = new Authenticator(decider, { retryAfter, clockTolerance: options.clockTolerance, ...extras })
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
  decorateUserinfo(fastify, userinfo, extras)
  decorateRequireAuth(fastify, extras)
  fastify.decorate('authenticate', authenticateDecorator(authenticator))
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
  // One attempt per issuer that needs discovery (a template never does: its jwks_uri is given).
  fastify.addHook('onReady', async () => {
    await Promise.all(options.issuers.map(async (entry, index) => await discoverAtStartup(issuers[index]!.metadata, {
      needed: [...(entry.validation === 'introspection' ? [] : ['jwks_uri' as const]), ...(entry.introspection === null ? [] : ['introspection_endpoint' as const])],
      given: entry.metadata,
      timeout: options.timeout,
      log: fastify.log
    })))
  })
  if (options.resourceMetadata !== null) {
    metadataURL = serveResourceMetadata(fastify, options.resourceMetadata, {
      issuers: options.issuers.filter((entry) => entry.tenants === null).map((entry) => entry.issuer),
      // Every issuer's audiences: the resource should be one of them (`null`: some issuer takes any).
      audience: options.issuers.some((entry) => entry.audience === null) ? null : [...new Set(options.issuers.flatMap((entry) => entry.audience!))],
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
 * The level shared between instances, if `store` is set. DPoP's replay check is built on it with
 * `new SharedReplayStore({ local, shared, fallback: options.storeReplayFallback, retryAfter })`.
 */
function sharedLevel (fastify: FastifyInstance, options: ResolvedOptions): SharedLevel | null {
  if (options.store === null) return null
  const replay = options.storeReplayFallback === 'refuse' ? 'DPoP proofs are refused (503)' : 'DPoP replay checks are local to each instance'
  return new SharedLevel(options.store, {
    timeout: options.storeTimeout,
    log: fastify.log,
    fallback: `introspection and userinfo answers come from the provider and this instance's cache, ${replay}`
  })
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
