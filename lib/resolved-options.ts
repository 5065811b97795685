/**
 * The options as the plugin uses them: validated, every default applied, durations in
 * milliseconds (options.ts makes them). Types only, apart from the public option types in
 * types.ts, which `fastify.oauthGuard.options` shows without a cycle back to the resolver.
 */
import type { ResolvedDPoPOptions } from './dpop-options.js'
import type { ResolvedResourceMetadata } from './fastify/protected-resource.js'
import type { ResolvedProtectAll } from './fastify/protect-options.js'
import type { AccessTokenClaims } from './token/auth-context.js'
import type { ClaimNames } from './token/claims.js'
import type { AuthorizationServerMetadata } from './token/discovery.js'
import type { ResolvedIntrospectionOptions } from './token/introspection.js'
import type { TenantPolicy } from './token/issuer-template.js'
import type { ReplayFallback } from './token/shared-replay-store.js'
import type { SharedStore } from './token/shared-store.js'
import type { TokenCacheOptions } from './token/token-cache.js'
import type { ValidationMode } from './token/validation-mode.js'

/** Options after validation, with every default applied. */
export interface ResolvedOptions {
  /**
   * The primary issuer: the only one, or the first of the list. `audience`, `metadata`,
   * `validation` and `introspection` below are its own; the OpenAPI document and Swagger UI use it.
   */
  readonly issuer: string
  /** Every trusted issuer, the primary first. */
  readonly issuers: readonly ResolvedIssuer[]
  readonly audience: readonly string[] | null
  readonly securityScheme: string
  readonly externalSchemes: readonly string[]
  readonly metadata: Readonly<AuthorizationServerMetadata>
  readonly validation: ValidationMode
  readonly algorithms: readonly string[]
  /** Milliseconds, as every duration here. */
  readonly clockTolerance: number
  readonly requireAccessTokenType: boolean
  readonly realm: string | undefined
  readonly timeout: number
  readonly retryAfter: number
  readonly maxTokenLength: number
  readonly jwks: { readonly cooldown: number, readonly maxAge: number }
  readonly claims: ClaimNames
  readonly cache: Readonly<TokenCacheOptions> | null
  /** `null` with `validation: 'jwt'`. */
  readonly introspection: ResolvedIntrospectionOptions | null
  /** Milliseconds; entries. */
  readonly userinfo: { readonly ttl: number, readonly maxEntries: number }
  /** Scope → description, for the OpenAPI document. */
  readonly scopes: Readonly<Record<string, string>>
  /** `null`: off (routes that declare nothing are public). */
  readonly protectAllRoutes: ResolvedProtectAll
  readonly strictScopes: boolean
  readonly validateClaims: ((claims: Readonly<AccessTokenClaims>) => boolean) | undefined
  /** `null`: DPoP off. */
  readonly dpop: ResolvedDPoPOptions
  /** Client IDs whose tokens are accepted; `null`: any client. */
  readonly clients: readonly string[] | null
  /** RFC 9728 metadata; `null`: off. */
  readonly resourceMetadata: ResolvedResourceMetadata | null
  /** The shared store, or `null`. Not enumerable: the options are frozen, the client must not be. */
  readonly store: SharedStore | null
  /** Milliseconds per call to the shared store. */
  readonly storeTimeout: number
  readonly storeReplayFallback: ReplayFallback
}

/** One trusted issuer after validation, with every default applied. */
export interface ResolvedIssuer {
  readonly issuer: string
  /** `null`: the audience check was explicitly waived (`dangerouslyAllowAnyAudience`). */
  readonly audience: readonly string[] | null
  readonly metadata: Readonly<AuthorizationServerMetadata>
  readonly validation: ValidationMode
  /** `null` with `validation: 'jwt'`. */
  readonly introspection: ResolvedIntrospectionOptions | null
  /** Set for a template issuer only. */
  readonly tenants: TenantPolicy | null
}
