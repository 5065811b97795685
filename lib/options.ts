/**
 * Plugin options: one schema, named defaults, one function that validates everything at
 * registration, reports every problem at once ("option: expected ..., received ...") and returns
 * a frozen, fully resolved copy. Nothing is silently corrected.
 */
import { Type } from '@sinclair/typebox'
import { InvalidOptionsError } from './errors.js'
import { describe, schemaProblems, urlProblem } from './option-messages.js'
import { DEFAULT_MAX_TOKEN_LENGTH } from './token/bearer-token.js'
import { DEFAULT_CLAIM_NAMES } from './token/claims.js'
import { DEFAULT_TIMEOUT } from './token/http.js'
import { DEFAULT_JWKS_COOLDOWN, DEFAULT_JWKS_MAX_AGE } from './token/jwks-cache.js'
import { DEFAULT_ALGORITHMS, DEFAULT_CLOCK_TOLERANCE } from './token/jwt-verifier.js'
import { DEFAULT_CACHE_MAX_AGE, DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES } from './token/token-cache.js'
import { isIssuerTemplate } from './token/issuer-template.js'
import { issuerEntrySchema, issuerListProblems, resolveIssuers } from './issuer-options.js'
import type { ResolvedOptions } from './resolved-options.js'
import { DEFAULT_USERINFO_MAX_ENTRIES, DEFAULT_USERINFO_TTL } from './token/userinfo.js'
import { DEFAULT_STORE_TIMEOUT, type SharedStore } from './token/shared-store.js'
import { DEFAULT_REPLAY_FALLBACK } from './token/shared-replay-store.js'
import type { OAuthGuardOptions } from './types.js'
import { docsProblems, DocsOptionsSchema, scopeDescriptionProblems } from './openapi/docs-options.js'
import { dpopProblems, DPoPOptionsSchema, resolveDPoPOptions } from './dpop-options.js'
import { resolveResourceMetadata, resourceMetadataProblems, ResourceMetadataOptionSchema, ResourceOptionSchema } from './fastify/protected-resource.js'
import { protectProblems, ProtectAllRoutesSchema, resolveProtectAll } from './fastify/protect-options.js'

/** Default OpenAPI security scheme name. */
export const DEFAULT_SECURITY_SCHEME = 'oauth2'
/** Default `Retry-After` of a 503, in milliseconds (sent in whole seconds). */
export const DEFAULT_RETRY_AFTER = 5_000

const ASYMMETRIC = new Set(DEFAULT_ALGORITHMS)
/**
 * Every duration option is a whole number of milliseconds, Fastify's unit (`connectionTimeout`,
 * `keepAliveTimeout`); `unit` is not a JSON Schema keyword, it names the unit in the error message.
 */
const Millis = (minimum: number) => Type.Integer({ minimum, unit: 'milliseconds' })

const IntrospectionSchema = Type.Object({
  clientId: Type.String({ minLength: 1 }),
  clientSecret: Type.String({ minLength: 1 }),
  authMethod: Type.Optional(Type.Union([Type.Literal('client_secret_basic'), Type.Literal('client_secret_post')], { expected: "'client_secret_basic' or 'client_secret_post'" })),
  cacheMaxTTL: Type.Optional(Millis(0)),
  cacheMaxEntries: Type.Optional(Type.Integer({ minimum: 1 })),
  cacheMaxBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
  negativeCacheTTL: Type.Optional(Millis(0)),
  maxRequestsPerSecond: Type.Optional(Type.Integer({ minimum: 0 }))
}, { additionalProperties: false })

const IssuerEntrySchema = issuerEntrySchema(IntrospectionSchema)

const OptionsSchema = Type.Object({
  // A list's entries are checked one by one (issuer-options.ts), for messages that name the entry.
  issuer: Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.Unknown(), { minItems: 1 })], { expected: 'an issuer URL, or a non-empty list of issuer entries' }),
  audience: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { expected: 'a non-empty string, or a non-empty list of them' })),
  dangerouslyAllowAnyAudience: Type.Optional(Type.Boolean()),
  securityScheme: Type.Optional(Type.String({ minLength: 1 })),
  externalSchemes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
  metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  validation: Type.Optional(Type.Union([Type.Literal('jwt'), Type.Literal('introspection'), Type.Literal('auto')], { expected: "'jwt', 'introspection' or 'auto'" })),
  algorithms: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  clockTolerance: Type.Optional(Millis(0)),
  requireAccessTokenType: Type.Optional(Type.Boolean()),
  realm: Type.Optional(Type.String({ pattern: '^[\\x20\\x21\\x23-\\x5B\\x5D-\\x7E]*$' })),
  timeout: Type.Optional(Millis(1)),
  retryAfter: Type.Optional(Type.Integer({ minimum: 0, multipleOf: 1000, unit: 'milliseconds, whole seconds: Retry-After is sent in seconds' })),
  maxTokenLength: Type.Optional(Type.Integer({ minimum: 16 })),
  jwks: Type.Optional(Type.Object({
    cooldown: Type.Optional(Millis(0)),
    maxAge: Type.Optional(Millis(1))
  }, { additionalProperties: false })),
  claims: Type.Optional(Type.Object({
    id: Type.Optional(Type.String({ minLength: 1 })),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    permissions: Type.Optional(Type.String({ minLength: 1 })),
    clientId: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }))
  }, { additionalProperties: false })),
  clients: Type.Optional(Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })),
  cache: Type.Optional(Type.Union([Type.Literal(false), Type.Object({
    maxEntries: Type.Optional(Type.Integer({ minimum: 1 })),
    maxBytes: Type.Optional(Type.Integer({ minimum: 1024 })),
    maxAge: Type.Optional(Millis(1))
  }, { additionalProperties: false })], { expected: 'false, or { maxEntries, maxBytes, maxAge }' })),
  introspection: Type.Optional(IntrospectionSchema),
  userinfo: Type.Optional(Type.Object({
    ttl: Type.Optional(Millis(0)),
    maxEntries: Type.Optional(Type.Integer({ minimum: 1 }))
  }, { additionalProperties: false })),
  scopes: Type.Optional(Type.Record(Type.String(), Type.String())),
  protectAllRoutes: Type.Optional(ProtectAllRoutesSchema),
  strictScopes: Type.Optional(Type.Boolean()),
  validateClaims: Type.Optional(Type.Function([Type.Unknown()], Type.Boolean())),
  // Checked for its methods in semanticProblems: a client object is no schema's business.
  store: Type.Optional(Type.Unknown()),
  storeTimeout: Type.Optional(Millis(1)),
  storeReplayFallback: Type.Optional(Type.Union([Type.Literal('local'), Type.Literal('refuse')], { expected: "'local' or 'refuse'" })),
  dpop: Type.Optional(DPoPOptionsSchema),
  docs: Type.Optional(DocsOptionsSchema),
  resource: Type.Optional(ResourceOptionSchema),
  resourceMetadata: Type.Optional(ResourceMetadataOptionSchema)
}, { additionalProperties: false })

/** Validates `options`; throws {@link InvalidOptionsError} listing every problem. */
export function resolveOptions (options: OAuthGuardOptions): ResolvedOptions {
  const problems = schemaProblems(OptionsSchema, options)
  if (options === null || typeof options !== 'object') throw new InvalidOptionsError(problems)
  problems.push(...semanticProblems(options))
  if (problems.length > 0) throw new InvalidOptionsError(problems)

  const cache = options.cache === false ? null : options.cache
  const issuers = resolveIssuers(options)
  const primary = issuers[0]!
  const resolved = {
    issuer: primary.issuer,
    issuers,
    audience: primary.audience,
    securityScheme: options.securityScheme ?? DEFAULT_SECURITY_SCHEME,
    externalSchemes: [...(options.externalSchemes ?? [])],
    metadata: primary.metadata,
    validation: primary.validation,
    algorithms: [...(options.algorithms ?? DEFAULT_ALGORITHMS)],
    clockTolerance: options.clockTolerance ?? DEFAULT_CLOCK_TOLERANCE,
    requireAccessTokenType: options.requireAccessTokenType ?? false,
    realm: options.realm,
    timeout: options.timeout ?? DEFAULT_TIMEOUT,
    retryAfter: options.retryAfter ?? DEFAULT_RETRY_AFTER,
    maxTokenLength: options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH,
    jwks: {
      cooldown: options.jwks?.cooldown ?? DEFAULT_JWKS_COOLDOWN,
      maxAge: options.jwks?.maxAge ?? DEFAULT_JWKS_MAX_AGE
    },
    claims: {
      id: options.claims?.id ?? DEFAULT_CLAIM_NAMES.id,
      scopes: [...(options.claims?.scopes ?? DEFAULT_CLAIM_NAMES.scopes)],
      permissions: options.claims?.permissions ?? DEFAULT_CLAIM_NAMES.permissions,
      clientId: [...(options.claims?.clientId ?? DEFAULT_CLAIM_NAMES.clientId)]
    },
    cache: cache === null
      ? null
      : {
          maxEntries: cache?.maxEntries ?? DEFAULT_CACHE_MAX_ENTRIES,
          maxBytes: cache?.maxBytes ?? DEFAULT_CACHE_MAX_BYTES,
          maxAge: cache?.maxAge ?? DEFAULT_CACHE_MAX_AGE
        },
    introspection: primary.introspection,
    userinfo: {
      ttl: options.userinfo?.ttl ?? DEFAULT_USERINFO_TTL,
      maxEntries: options.userinfo?.maxEntries ?? DEFAULT_USERINFO_MAX_ENTRIES
    },
    scopes: { ...options.scopes },
    protectAllRoutes: resolveProtectAll(options.protectAllRoutes),
    strictScopes: options.strictScopes ?? false,
    validateClaims: options.validateClaims,
    dpop: resolveDPoPOptions(options.dpop),
    clients: options.clients === undefined ? null : [...new Set(options.clients)],
    resourceMetadata: resolveResourceMetadata(options),
    storeTimeout: options.storeTimeout ?? DEFAULT_STORE_TIMEOUT,
    storeReplayFallback: options.storeReplayFallback ?? DEFAULT_REPLAY_FALLBACK
  }
  // Not enumerable, so deepFreeze (and a log of the options) leaves the user's client alone.
  Object.defineProperty(resolved, 'store', { value: options.store ?? null, enumerable: false })
  return deepFreeze(resolved as typeof resolved & { store: SharedStore | null })
}

function semanticProblems (options: OAuthGuardOptions): string[] {
  const problems: string[] = []
  if (typeof options.issuer === 'string' && options.issuer !== '') {
    const issuerProblem = urlProblem(options.issuer)
    if (issuerProblem !== null) problems.push(`options.issuer: ${issuerProblem}`)
    else if (isIssuerTemplate(options.issuer)) problems.push(`options.issuer: expected an issuer identifier; a template goes in a list entry with tenants and metadata.jwks_uri ([{ issuer, tenants, metadata }]), received ${JSON.stringify(options.issuer)}`)
  }
  if (Array.isArray(options.issuer)) problems.push(...issuerListProblems(options.issuer, options, IssuerEntrySchema))
  const single = typeof options.issuer === 'string'
  if (single && options.audience === undefined && options.dangerouslyAllowAnyAudience !== true) {
    problems.push('options.audience: expected the audience your API is known by (its `aud`), received undefined; to accept any audience, set dangerouslyAllowAnyAudience: true')
  }
  if (options.audience !== undefined && options.dangerouslyAllowAnyAudience === true) {
    problems.push('options.dangerouslyAllowAnyAudience: expected it only without options.audience, received both')
  }
  for (const alg of Array.isArray(options.algorithms) ? options.algorithms : []) {
    if (!ASYMMETRIC.has(alg)) {
      problems.push(`options.algorithms: expected asymmetric JWS algorithms (${DEFAULT_ALGORITHMS.join(', ')}), received ${JSON.stringify(alg)}; "none" and HMAC algorithms are never accepted`)
    }
  }
  for (const [field, value] of Object.entries(options.metadata ?? {})) {
    if (field.endsWith('_uri') || field.endsWith('_endpoint')) {
      const problem = typeof value === 'string' ? urlProblem(value) : `expected a URL string, received ${describe(value)}`
      if (problem !== null) problems.push(`options.metadata.${field}: ${problem}`)
    }
  }
  if (options.securityScheme !== undefined && options.externalSchemes?.includes(options.securityScheme) === true) {
    problems.push(`options.externalSchemes: expected schemes other than securityScheme, received ${JSON.stringify(options.securityScheme)}`)
  }
  const validation = options.validation ?? 'jwt'
  if (single && validation !== 'jwt' && options.introspection === undefined) {
    problems.push(`options.introspection: expected { clientId, clientSecret } (the API's credentials at the introspection endpoint) with validation ${JSON.stringify(validation)}, received undefined`)
  }
  if (single && validation === 'jwt' && options.introspection !== undefined) {
    problems.push("options.introspection: expected only with validation 'introspection' or 'auto', received it with validation 'jwt'")
  }
  problems.push(...scopeDescriptionProblems(options.scopes), ...docsProblems(options.docs, options.securityScheme ?? DEFAULT_SECURITY_SCHEME))
  problems.push(...protectProblems(options), ...dpopProblems(options.dpop))
  problems.push(...resourceMetadataProblems(options))
  problems.push(...storeProblems(options))
  return problems
}

const STORE_METHODS = ['get', 'set', 'add', 'delete'] as const

function storeProblems (options: OAuthGuardOptions): string[] {
  const { store } = options
  if (store === undefined) {
    return (['storeTimeout', 'storeReplayFallback'] as const)
      .filter((name) => options[name] !== undefined)
      .map((name) => `options.${name}: expected only with options.store, received it without`)
  }
  const missing = store === null || typeof store !== 'object' ? STORE_METHODS : STORE_METHODS.filter((name) => typeof store[name] !== 'function')
  if (missing.length === 0) return []
  return [`options.store: expected a shared store with get, set, add and delete methods (e.g. redisStore(app.redis) from fastify-oauth-guard/redis), received ${store === null || typeof store !== 'object' ? describe(store) : `an object without ${missing.join(', ')}`}`]
}

function deepFreeze<T> (value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value)
    for (const child of Object.values(value)) deepFreeze(child)
  }
  return value
}
