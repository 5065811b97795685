/**
 * The `docs` option: its schema, defaults, the checks the schema cannot express, and its resolved
 * form. Shared by the plugin's own docs registration and by {@link oauthGuardDocs}.
 */
import { Type } from '@sinclair/typebox'
import { DEFAULT_RELAY_REQUESTS_PER_MINUTE } from './relay-rate-limit.js'

/** Default path of Swagger UI, relative to the prefix the plugin is registered under. */
export const DEFAULT_DOCS_ROUTE_PREFIX = '/docs'
/** OpenID Connect scopes offered and preselected by default. */
export const DEFAULT_OPENID_SCOPES: readonly string[] = Object.freeze(['openid', 'profile', 'email'])

/** The parts of the OpenAPI document you may set; paths and security come from your routes. */
export interface DocsOpenAPIOptions {
  /** OpenAPI version. Default `3.0.3` (the @fastify/swagger default); `3.1.0` is supported. */
  openapi?: string
  /** Default: `title` and `version` from package.json. */
  info?: { title: string, version: string, description?: string, [field: string]: unknown }
  servers?: Array<{ url: string, description?: string, [field: string]: unknown }>
  tags?: Array<{ name: string, description?: string, [field: string]: unknown }>
  externalDocs?: { url: string, description?: string }
  /** Your components; `securitySchemes` may hold schemes named in `externalSchemes`, never this plugin's. */
  components?: Record<string, unknown>
  [extension: `x-${string}`]: unknown
}

/**
 * Swagger UI login and OpenAPI settings. Used as the plugin's `docs` option (the plugin registers
 * @fastify/swagger and @fastify/swagger-ui) or passed to {@link oauthGuardDocs} (you register them).
 */
export interface DocsOptions {
  /**
   * Client ID of Swagger UI at the identity provider: a *public* client (no secret) allowed the
   * authorization code grant with PKCE and the redirect URI `<origin><prefix><routePrefix>/static/oauth2-redirect.html`.
   * Default none: the Authorize dialog then asks for it.
   */
  clientId?: string
  /** Where Swagger UI is served, under the plugin's prefix. Default `/docs`. */
  routePrefix?: string
  /** OpenID Connect scopes offered in the Authorize dialog and preselected. Default `['openid', 'profile', 'email']`; `[]` for plain OAuth 2.0. */
  openidScopes?: readonly string[]
  /** Scopes checked when the Authorize dialog opens. Default: `openidScopes` and every scope a route requires. */
  selectedScopes?: readonly string[]
  /** Extra query parameters of the authorization request, e.g. `{ audience: 'https://api.example.com' }` for Auth0. Default none. */
  authorizationParams?: Readonly<Record<string, string>>
  /**
   * Also document the client credentials flow (machine clients type their own ID and secret).
   * Default false. Without `tokenRelay`, Swagger UI then posts the secret from the browser to the
   * provider's token endpoint, which most providers refuse (and which needs CORS there).
   */
  clientCredentials?: boolean
  /**
   * The token relay: `POST <routePrefix>/token`, which forwards Swagger UI's client credentials
   * token requests to the provider server-side, and becomes the `tokenUrl` of the
   * `clientCredentials` flow (turned on by this option). `true` for the defaults. Default off.
   * See docs/swagger-ui-login.md#token-relay for what it does and does not do.
   */
  tokenRelay?: boolean | TokenRelayOptions
  /** The URL people use to reach this server (origin plus any path a proxy adds), only to print the redirect URI at startup. Default: the listening address. */
  publicURL?: string
  /** Merged into the OpenAPI document. */
  openapi?: DocsOpenAPIOptions
  /** More @fastify/swagger options (`transform`, `transformObject`, `hideUntagged`, ...). */
  swagger?: Record<string, unknown>
  /** More @fastify/swagger-ui options (`uiConfig`, `theme`, `staticCSP`, `uiHooks`, ...). */
  swaggerUI?: Record<string, unknown>
}

/** Options of the docs' token relay. */
export interface TokenRelayOptions {
  /** `audience` parameter added to every relayed request (Auth0 needs it). Default none. */
  audience?: string
  /** RFC 8707 `resource` indicator(s) added to every relayed request, absolute URIs. Default none. */
  resource?: string | readonly string[]
  /** Token requests a minute per client address (the whole relay takes ten times that); past it, 429 with `Retry-After`. Default 30. */
  maxRequestsPerMinute?: number
}

/** {@link TokenRelayOptions} with defaults applied. */
export interface ResolvedTokenRelay {
  audience: string | undefined
  resource: readonly string[]
  maxRequestsPerMinute: number
}

/** {@link DocsOptions} with defaults applied. Not frozen: @fastify/swagger may mutate what it is given. */
export interface ResolvedDocsOptions {
  clientId: string | undefined
  routePrefix: string
  openidScopes: readonly string[]
  selectedScopes: readonly string[] | null
  authorizationParams: Readonly<Record<string, string>>
  clientCredentials: boolean
  /** `null`: no relay. */
  tokenRelay: ResolvedTokenRelay | null
  /** The relay's URL in the document (set once the docs path is known); `undefined` without a relay. */
  tokenRelayURL?: string
  publicURL: string | null
  openapi: DocsOpenAPIOptions
  swagger: Record<string, unknown>
  swaggerUI: Record<string, unknown>
}

const SCOPE_TOKEN_PATTERN = '^[\\x21\\x23-\\x5B\\x5D-\\x7E]+$'
const ScopeName = Type.String({ minLength: 1, pattern: SCOPE_TOKEN_PATTERN })
const AnyObject = Type.Record(Type.String(), Type.Unknown())

/** Schema of {@link DocsOptions}; what it cannot say is in {@link docsProblems}. */
export const DocsOptionsSchema = Type.Object({
  clientId: Type.Optional(Type.String({ minLength: 1 })),
  routePrefix: Type.Optional(Type.String({ pattern: '^(/[^/?#\\s]+)+$' })),
  openidScopes: Type.Optional(Type.Array(ScopeName)),
  selectedScopes: Type.Optional(Type.Array(ScopeName)),
  authorizationParams: Type.Optional(Type.Record(Type.String({ minLength: 1 }), Type.String())),
  clientCredentials: Type.Optional(Type.Boolean()),
  tokenRelay: Type.Optional(Type.Union([Type.Boolean(), Type.Object({
    audience: Type.Optional(Type.String({ minLength: 1 })),
    resource: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { expected: 'a non-empty string, or a non-empty list of them' })),
    maxRequestsPerMinute: Type.Optional(Type.Integer({ minimum: 1 }))
  }, { additionalProperties: false })], { expected: 'true, false, or { audience, resource, maxRequestsPerMinute }' })),
  publicURL: Type.Optional(Type.String({ minLength: 1 })),
  openapi: Type.Optional(Type.Object({
    openapi: Type.Optional(Type.String({ pattern: '^3\\.[0-9]+\\.[0-9]+$' })),
    info: Type.Optional(Type.Object({ title: Type.String(), version: Type.String() })),
    servers: Type.Optional(Type.Array(Type.Object({ url: Type.String() }))),
    tags: Type.Optional(Type.Array(Type.Object({ name: Type.String() }))),
    externalDocs: Type.Optional(Type.Object({ url: Type.String() })),
    components: Type.Optional(AnyObject)
  })),
  swagger: Type.Optional(AnyObject),
  swaggerUI: Type.Optional(AnyObject)
}, { additionalProperties: false })

const SCOPE_TOKEN = new RegExp(SCOPE_TOKEN_PATTERN)

/** Problems of the `scopes` option: each key must be a scope token (RFC 6749 §3.3). */
export function scopeDescriptionProblems (scopes: Readonly<Record<string, string>> | undefined): string[] {
  if (scopes === null || typeof scopes !== 'object') return []
  return Object.keys(scopes).filter((scope) => !SCOPE_TOKEN.test(scope))
    .map((scope) => `options.scopes: expected scope names without spaces, quotes or backslashes (RFC 6749 §3.3), received ${JSON.stringify(scope)}`)
}

// Swagger UI sets these itself; a second value would break the authorization request or leak a secret.
const RESERVED_PARAMS = new Set(['client_id', 'client_secret', 'redirect_uri', 'response_type', 'scope', 'state', 'code_challenge', 'code_challenge_method'])

/** Problems the schema cannot express, as "path: expected ..., received ...". */
export function docsProblems (docs: DocsOptions | undefined, scheme: string, root = 'options.docs'): string[] {
  const problems: string[] = []
  if (docs === null || typeof docs !== 'object') return problems
  for (const name of Object.keys(docs.authorizationParams ?? {})) {
    if (RESERVED_PARAMS.has(name)) problems.push(`${root}.authorizationParams.${name}: expected a parameter Swagger UI does not set itself, received ${JSON.stringify(name)}`)
  }
  if (typeof docs.publicURL === 'string' && !isHTTPURL(docs.publicURL)) {
    problems.push(`${root}.publicURL: expected an absolute http(s) URL without query or fragment, received ${JSON.stringify(docs.publicURL)}`)
  }
  const relay = docs.tokenRelay
  if (relay !== null && typeof relay === 'object') {
    for (const resource of typeof relay.resource === 'string' ? [relay.resource] : Array.isArray(relay.resource) ? relay.resource : []) {
      // RFC 8707 §2: an absolute URI without a fragment.
      if (typeof resource === 'string' && !isAbsoluteURI(resource)) problems.push(`${root}.tokenRelay.resource: expected absolute URIs without a fragment (RFC 8707 §2), received ${JSON.stringify(resource)}`)
    }
  }
  const openapi = (docs.openapi ?? {}) as Record<string, unknown>
  for (const field of ['paths', 'security', 'webhooks']) {
    if (openapi[field] !== undefined) problems.push(`${root}.openapi.${field}: expected undefined (the document describes your routes as they are enforced), received a value`)
  }
  const schemes = (openapi.components as { securitySchemes?: Record<string, unknown> } | undefined)?.securitySchemes
  if (schemes?.[scheme] !== undefined) problems.push(`${root}.openapi.components.securitySchemes.${scheme}: expected undefined (this plugin writes its own scheme), received a value`)
  for (const field of ['openapi', 'swagger', 'mode']) {
    if (docs.swagger?.[field] !== undefined) problems.push(`${root}.swagger.${field}: expected undefined (use ${root}.openapi), received a value`)
  }
  const ui = docs.swaggerUI ?? {}
  if (ui.routePrefix !== undefined) problems.push(`${root}.swaggerUI.routePrefix: expected undefined (use ${root}.routePrefix), received a value`)
  for (const path of secretPaths(ui, `${root}.swaggerUI`)) {
    problems.push(`${path}: expected no client secret in the Swagger UI configuration (it is sent to the browser, where it is no secret; use a public client with PKCE), received a value`)
  }
  for (const path of secretPaths(docs.authorizationParams, `${root}.authorizationParams`)) {
    if (!problems.some((p) => p.startsWith(`${path}:`))) problems.push(`${path}: expected no client secret (authorization parameters are sent by the browser), received a value`)
  }
  return problems
}

/** `client_secret`, `clientSecret`, `Client-Secret`, `secret`...: case and punctuation do not matter. */
function isSecretName (key: string): boolean {
  return key.toLowerCase().replace(/[^a-z0-9]/g, '').endsWith('secret')
}

/** Paths of every key named like a secret in `value`, at any depth (arrays and cycles included). */
function secretPaths (value: unknown, path: string, seen = new WeakSet<object>()): string[] {
  if (value === null || typeof value !== 'object' || seen.has(value)) return []
  seen.add(value)
  const paths: string[] = []
  for (const [key, child] of Object.entries(value)) {
    const childPath = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`
    if (!Array.isArray(value) && isSecretName(key) && child !== undefined) paths.push(childPath)
    else paths.push(...secretPaths(child, childPath, seen))
  }
  return paths
}

function isAbsoluteURI (value: string): boolean {
  try {
    return new URL(value).hash === '' && !value.includes('#')
  } catch {
    return false
  }
}

function isHTTPURL (value: string): boolean {
  try {
    const url = new URL(value)
    return (url.protocol === 'https:' || url.protocol === 'http:') && url.search === '' && url.hash === ''
  } catch {
    return false
  }
}

/** Applies the defaults to validated options. */
export function resolveDocsOptions (docs: DocsOptions): ResolvedDocsOptions {
  return {
    clientId: docs.clientId,
    routePrefix: docs.routePrefix ?? DEFAULT_DOCS_ROUTE_PREFIX,
    openidScopes: [...(docs.openidScopes ?? DEFAULT_OPENID_SCOPES)],
    selectedScopes: docs.selectedScopes === undefined ? null : [...docs.selectedScopes],
    authorizationParams: { ...docs.authorizationParams },
    clientCredentials: (docs.clientCredentials ?? false) || (docs.tokenRelay !== undefined && docs.tokenRelay !== false),
    tokenRelay: resolveTokenRelay(docs.tokenRelay),
    publicURL: docs.publicURL?.replace(/\/$/, '') ?? null,
    openapi: { ...docs.openapi },
    swagger: { ...docs.swagger },
    swaggerUI: { ...docs.swaggerUI }
  }
}

function resolveTokenRelay (relay: DocsOptions['tokenRelay']): ResolvedTokenRelay | null {
  if (relay === undefined || relay === false) return null
  const given = relay === true ? {} : relay
  return {
    audience: given.audience,
    resource: given.resource === undefined ? [] : typeof given.resource === 'string' ? [given.resource] : [...given.resource],
    maxRequestsPerMinute: given.maxRequestsPerMinute ?? DEFAULT_RELAY_REQUESTS_PER_MINUTE
  }
}
