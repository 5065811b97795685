/**
 * Public types, and the one augmentation of Fastify's own types.
 */
import type { Authenticate } from './fastify/authenticate-options.js'
import type { AccessTokenClaims, AuthContext } from './token/auth-context.js'
import type { AuthorizationServerMetadata } from './token/discovery.js'
import type { ValidationMode } from './token/validation-mode.js'
import type { ResolvedOptions } from './resolved-options.js'
import type { RouteSecurity } from './fastify/route-security.js'
import type { IntrospectionOptions } from './token/introspection.js'
import type { TenantPolicy } from './token/issuer-template.js'
import type { UserInfo } from './token/userinfo.js'
import type { DocsOptions } from './openapi/docs-options.js'
import type { RouteReportRow } from './fastify/route-report.js'
import type { SharedStore } from './token/shared-store.js'
import type { ReplayFallback } from './token/shared-replay-store.js'
import type { DPoPOptions } from './dpop-options.js'

export type { AccessTokenClaims, AuthContext, ValidationMethod } from './token/auth-context.js'
export type { AuthorizationServerMetadata } from './token/discovery.js'
export type { ValidationMode } from './token/validation-mode.js'
export type { RouteReportRow } from './fastify/route-report.js'
export type { DPoPMode, DPoPOptions } from './dpop-options.js'
export type { Authenticate, AuthenticateOptions } from './fastify/authenticate-options.js'
export type { SecurityRequirementObject } from './token/scopes.js'
export type { IntrospectionAuthMethod, IntrospectionOptions } from './token/introspection.js'
export type { TenantPolicy } from './token/issuer-template.js'
export type { UserInfo } from './token/userinfo.js'
export type { DocsOpenAPIOptions, DocsOptions, TokenRelayOptions } from './openapi/docs-options.js'
export type { OAuthGuardDocs, OpenAPIDocument } from './openapi/docs-pieces.js'
export type { OAuth2SecurityScheme, OAuthFlowObject } from './openapi/security-scheme.js'
export type { SwaggerUIInitOAuth } from './openapi/swagger-ui.js'
export type { ErrorResponse } from './openapi/error-responses.js'
export type { SharedStore } from './token/shared-store.js'
export type { ReplayFallback } from './token/shared-replay-store.js'

/**
 * One entry of the `issuer` list.
 * @example
 * { issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', audience: 'api://my-api', tenants: ['8eaef023-2b34-4da1-9baa-8bc8c9d6a490'], metadata: { jwks_uri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys' } }
 */
export interface IssuerOptions {
  /** The issuer identifier exactly as its tokens state it (`iss`); a template holds `{tenantid}` once. */
  issuer: string
  /** Accepted audience(s) of this issuer's tokens. Default: the top-level `audience`. */
  audience?: string | readonly string[]
  /** Metadata values that replace (or spare) this issuer's discovery; a template needs at least `jwks_uri`. */
  metadata?: AuthorizationServerMetadata
  /** How this issuer's tokens are validated. Default `jwt`. At most one entry may introspect. */
  validation?: ValidationMode
  /** This issuer's introspection credentials; required with `validation` `introspection` or `auto`, never shared between issuers. */
  introspection?: IntrospectionOptions
  /** With a template only, and then required: the tenant IDs accepted, or a function deciding (a throw refuses). */
  tenants?: TenantPolicy
}

/** Options of the plugin. Only `issuer` and `audience` are needed for most providers. */
export interface OAuthGuardOptions {
  /**
   * The issuer identifier, exactly as the provider's metadata and tokens state it (`iss`); or a
   * list of trusted issuers, each with its own audience, metadata and validation (docs/multiple-issuers.md).
   * With a list, the first entry is the primary issuer: the OpenAPI document and Swagger UI use it.
   */
  issuer: string | readonly IssuerOptions[]
  /** Accepted audience(s): a token's `aud` must contain one. Required unless `dangerouslyAllowAnyAudience`. */
  audience?: string | readonly string[]
  /** Accept tokens for any audience. Only for providers whose access tokens carry none (Cognito); logs a warning. */
  dangerouslyAllowAnyAudience?: boolean
  /** Name of the OpenAPI security scheme this plugin owns. Default `oauth2`. */
  securityScheme?: string
  /** Other schemes a route's `schema.security` may name, enforced by your own hooks. Default none. */
  externalSchemes?: readonly string[]
  /** Metadata values that replace (or spare) discovery, with RFC 8414 names, e.g. `{ jwks_uri }`. */
  metadata?: AuthorizationServerMetadata
  /** `jwt` (default): local verification; `introspection`: RFC 7662; `auto`: JWTs locally, others introspected. */
  validation?: ValidationMode
  /** Allowed JWS algorithms (asymmetric only). Default every RS, PS, ES algorithm and EdDSA. */
  algorithms?: readonly string[]
  /** Leeway for `exp` and `nbf`, in milliseconds. Default 5000. */
  clockTolerance?: number
  /** Require `typ: at+jwt` (RFC 9068). Default false: `at+jwt`, `JWT` and no `typ` are accepted. */
  requireAccessTokenType?: boolean
  /** `realm` attribute of every challenge. Default none. */
  realm?: string
  /** Time allowed for each request to the provider, in milliseconds. Default 5000. */
  timeout?: number
  /** `Retry-After` of the 503 sent when the provider is unreachable, in milliseconds, a multiple of 1000 (the header is sent in seconds). Default 5000. */
  retryAfter?: number
  /** Longest access token accepted, in characters. Default 8192. */
  maxTokenLength?: number
  /** Signing key cache. */
  jwks?: {
    /** Least time between refetches caused by unknown `kid`s, in milliseconds. Default 30000. */
    cooldown?: number
    /** Age after which keys are refreshed, in milliseconds. Default 600000. */
    maxAge?: number
  }
  /** Which claims hold the ID, the scopes and the permissions. Dotted paths reach nested claims. */
  claims?: {
    /** Default `sub`. */
    id?: string
    /** Default `['scope', 'scp']`. */
    scopes?: readonly string[]
    /** Default `permissions`. */
    permissions?: string
    /** Claims holding the client ID for `request.auth.clientId`, first present wins. Default `['client_id', 'azp', 'cid']`. */
    clientId?: readonly string[]
  }
  /**
   * Client IDs whose tokens this API accepts (the client a token was issued to: see
   * `claims.clientId`). A token issued to another client, or naming none, gets 401
   * `invalid_token` on every route, on the JWT and the introspection paths alike. Default none:
   * any client of the issuer whose tokens carry this API's audience.
   * @example clients: ['billing-service', 'swagger-ui']
   */
  clients?: readonly string[]
  /** Cache of validated JWTs, or `false` to verify every JWT (introspection answers keep their own cache). */
  cache?: false | {
    /** Default 10000. */
    maxEntries?: number
    /** Estimated bytes. Default 64 MiB. */
    maxBytes?: number
    /** Milliseconds. Default 600000. */
    maxAge?: number
  }
  /** RFC 7662 introspection: the API's credentials and the answer cache. Required with `validation` `introspection` or `auto`. */
  introspection?: IntrospectionOptions
  /** Cache of `request.userinfo()`, per issuer, subject and granted scopes. */
  userinfo?: {
    /** Milliseconds a response is reused. Default 60000; `0` asks every time (concurrent calls still share one request). */
    ttl?: number
    /** Default 1000. */
    maxEntries?: number
  }
  /** Descriptions of your scopes for the OpenAPI document and Swagger UI, e.g. `{ 'items:read': 'Read items' }`. Default none: a scope is described by the routes requiring it. */
  scopes?: Readonly<Record<string, string>>
  /** Register @fastify/swagger and @fastify/swagger-ui with Swagger UI login (optional peer dependencies). Default none; see also `oauthGuardDocs`. */
  docs?: DocsOptions
  /**
   * Secure by default: every route that declares neither `schema.security` nor an `authenticate`
   * hook requires a valid token (with `scopes`, if given). `security: []` keeps a route public, as do
   * `exclude` entries: exact paths or prefixes ending at a segment (`'/health'` covers `/health/live`).
   * Routes with `schema.hide` (the docs) stay public. Default `false`.
   * @example protectAllRoutes: { exclude: ['/health', '/metrics'] }
   */
  protectAllRoutes?: boolean | {
    /** Paths or path prefixes left public. Default none. */
    exclude?: readonly string[]
    /** Scopes required by default. Default none (any valid token). */
    scopes?: readonly string[]
  }
  /** Fail when a route requires a scope that `scopes` does not list (catches typos). Needs `scopes`. Default `false`. */
  strictScopes?: boolean
  /**
   * A plugin-wide check of every token's claims, after signature/introspection and the standard
   * checks: `false` (or a throw) gets 401 `invalid_token` on every route. Synchronous; runs once per
   * token (the result is cached with it). E.g. Cognito: `(c) => c.token_use === 'access' && c.client_id === 'abc'`.
   * Default none.
   */
  validateClaims?: (claims: Readonly<AccessTokenClaims>) => boolean
  /**
   * DPoP sender-constrained tokens (RFC 9449): `'off'`, `'allowed'` (default: the `DPoP` scheme
   * with a proof, and plain Bearer tokens) or `'required'` (DPoP only), or an object with the mode
   * and its settings. Whatever the mode, a token bound to a key (`cnf.jkt`) is refused with the
   * Bearer scheme. See docs/dpop.md.
   */
  dpop?: DPoPOptions
  /**
   * The resource identifier (RFC 9728 §1.2): the URL clients call, e.g. `https://api.example.com/mcp`,
   * an https URL (http on localhost) without query or fragment. Setting it serves the protected
   * resource metadata and names it in every challenge (see `resourceMetadata`). Clients ask for
   * tokens for it (RFC 8707): make it one of your `audience` values, or have the provider map it to
   * one. Default none: no metadata (the plugin neither guesses the public URL nor trusts the Host header).
   */
  resource?: string
  /**
   * RFC 9728 protected resource metadata at `/.well-known/oauth-protected-resource` (and the
   * path-suffixed form of §3.1 when `resource` has a path), named by `resource_metadata` in every
   * challenge. Needs `resource`, and the plugin registered at the root. `false` turns it off.
   * Default on whenever `resource` is set, with `maxAge` 3600000 milliseconds, an hour (`Cache-Control`).
   */
  resourceMetadata?: boolean | {
    /** `Cache-Control: max-age` of the document, in milliseconds, a multiple of 1000 (the header counts in seconds). Default 3600000. */
    maxAge?: number
  }
  /**
   * A store shared by the API's instances (see docs/scaling.md): introspection answers and
   * refusals, userinfo responses and DPoP `jti`s are shared, so one instance's provider call serves
   * them all. Each instance keeps its own cache in front. E.g. `redisStore(app.redis)` from
   * `fastify-oauth-guard/redis`. Default none: every instance on its own.
   */
  store?: SharedStore
  /**
   * Time allowed for each call to `store`, in milliseconds; a call that takes longer counts as the
   * store being unavailable (the provider is asked instead). Default 100.
   */
  storeTimeout?: number
  /**
   * DPoP replay check while `store` is unavailable: `'local'` (default) checks against this
   * instance's own record only, and warns once per outage; `'refuse'` answers 503 with Retry-After.
   */
  storeReplayFallback?: ReplayFallback
}

/** `fastify.oauthGuard`: what the plugin resolved and collected, for docs and reports. */
export interface OAuthGuardAPI {
  /** The validated options, defaults applied. */
  readonly options: ResolvedOptions
  /** The primary issuer's metadata (discovered once, merged under `options.metadata`). */
  metadata (): Promise<AuthorizationServerMetadata>
  /** Every scope some route requires, filled as routes are added. */
  readonly scopes: ReadonlySet<string>
  /** How each route is protected, filled as routes are added. */
  readonly routes: readonly RouteSecurity[]
  /**
   * Every route with its effective requirement, as logged at `onReady`: a route left public by
   * mistake shows as `public` with source `none`.
   */
  report (): RouteReportRow[]
}

declare module 'fastify' {
  // Declared exactly as @fastify/swagger declares them, so both augmentations merge.
  interface FastifySchema {
    /** Leave the route out of the docs; the guard leaves it alone too. */
    hide?: boolean
    /** OpenAPI security requirements, enforced by this plugin for its own scheme. */
    security?: ReadonlyArray<{ [securityLabel: string]: readonly string[] }>
  }
  interface FastifyRequest {
    /** The authenticated caller, or `null` when the route let an anonymous request through. */
    auth: AuthContext | null
    /**
     * `request.auth`, typed non-null, for handlers of protected routes. Throws `MissingTokenError`
     * (401, `WWW-Authenticate: Bearer`) when no token was accepted: an anonymous call of an
     * optional route, or a route the guard does not protect.
     */
    requireAuth: () => AuthContext
    /**
     * The caller's OpenID Connect userinfo, cached per subject and scopes. Rejects with this
     * package's HTTP errors: 401 without `request.auth` or when the provider refuses the token,
     * 403 when the token lacks `openid`, 502 when the provider answers badly, 503 when unreachable.
     */
    userinfo: () => Promise<UserInfo>
  }
  interface FastifyInstance {
    /** Validates the Bearer token; see {@link Authenticate}. */
    authenticate: Authenticate
    /** See {@link OAuthGuardAPI}. */
    oauthGuard: OAuthGuardAPI
  }
}
