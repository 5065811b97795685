/**
 * The plugin shell: resolve options, build the validator, decorate Fastify, add the hooks.
 */
import type { FastifyInstance } from 'fastify'
import fp from 'fastify-plugin'
import { Authenticator } from './fastify/authenticate.js'
import { routeSecurityHook, type RouteSecurityState } from './fastify/route-security.js'
import { logRouteReport, routeReport } from './fastify/route-report.js'
import { routeDefaults } from './fastify/protect-options.js'
import { unseenRouteHook } from './fastify/unseen-routes.js'
import { decorateUserinfo } from './fastify/userinfo.js'
import { resolveOptions } from './options.js'
import { kAuthState } from './symbols.js'
import { CredentialDecider } from './token/credential-decision.js'
import { IssuerRouter } from './token/issuer-router.js'
import { TokenCache } from './token/token-cache.js'
import { issuerOf, trustedIssuer } from './trusted-issuers.js'
import { UserinfoClient } from './token/userinfo.js'
import type { OAuthGuardAPI, OAuthGuardOptions } from './types.js'
import { createDocsState, docsRouteHook } from './openapi/docs-state.js'
import { registerDocs } from './openapi/docs-plugin.js'

async function oauthGuardPlugin (fastify: FastifyInstance, rawOptions: OAuthGuardOptions): Promise<void> {
  const options = resolveOptions(rawOptions)
  if (options.issuers.some((issuer) => issuer.audience === null)) {
    fastify.log.warn('fastify-oauth-guard: dangerouslyAllowAnyAudience is set, tokens issued for any audience are accepted')
  }
  const issuers = options.issuers.map((issuer) => trustedIssuer(issuer, options))
  const primary = issuers[0]!
  const metadata = primary.metadata
  const { timeout, retryAfter, realm } = options
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
    validateClaims: options.validateClaims
  })
  // A token the provider refuses at userinfo is refused from then on, not only once the caches expire.
  const forget = (token: string): void => decider.forget(token)
  const userinfo = new UserinfoClient({ ...options.userinfo, timeout, retryAfter, realm, forget, endpoint: async (auth) => await issuerOf(issuers, auth.claims.iss).metadata.get('userinfo_endpoint') })
  const authenticator = new Authenticator(decider, options)
  const state: RouteSecurityState = { scopes: new Set(), routes: [], hidden: [] }
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
  decorateUserinfo(fastify, userinfo, { realm })
  fastify.decorate('authenticate', authenticator.decorator())
  fastify.decorate('oauthGuard', api)
  fastify.addHook('onRoute', routeSecurityHook(authenticator, options.securityScheme, options.externalSchemes, state, defaults))
  fastify.addHook('onRequest', unseenRouteHook(authenticator, { scheme: options.securityScheme, externalSchemes: options.externalSchemes, defaults, log: fastify.log }))
  fastify.addHook('onReady', async () => logRouteReport(fastify.log, routeReport(state)))
  fastify.addHook('onRoute', docsRouteHook(createDocsState(api)))
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
