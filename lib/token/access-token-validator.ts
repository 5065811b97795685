/**
 * Turns a Bearer token into an {@link AuthContext}: cache first, then local JWT verification.
 * Provider failures become {@link ProviderUnavailableError} (503): a token we could not check is
 * neither accepted nor called invalid.
 */
import { InvalidTokenError, ProviderUnavailableError } from '../errors.js'
import type { AccessTokenClaims, AuthContext } from './auth-context.js'
import { buildAuthContext, type ClaimNames } from './claims.js'
import { IssuerMismatchError, UnsafeEndpointError } from './discovery.js'
import { ProviderRequestError } from './http.js'
import { JWKSUnavailableError } from './jwks-cache.js'
import { logSafe } from './refusal-detail.js'
import type { JWTVerifier } from './jwt-verifier.js'
import { describeProviderFailure } from './provider-failure.js'
import type { RefusedTokens } from './refused-tokens.js'
import type { TokenCache } from './token-cache.js'

/** Something that validates a token another way (RFC 7662 introspection), returning an AuthContext. */
export interface TokenIntrospector {
  introspect (token: string): Promise<AuthContext>
  /**
   * A cached positive answer and the epoch milliseconds until which it may be served, without any
   * I/O; `until` must read 0 once the answer is no longer served. Optional.
   */
  cachedEntry? (token: string): Readonly<{ value: AuthContext, until: number }> | undefined
}

/** Which validation applies: local JWT, remote introspection, or JWT-shaped tokens locally and the rest remotely. */
export type ValidationMode = 'jwt' | 'introspection' | 'auto'

/** Parts the validator is made of. */
export interface AccessTokenValidatorOptions {
  mode: ValidationMode
  jwt: JWTVerifier | null
  introspector: TokenIntrospector | null
  claims: ClaimNames
  cache: TokenCache<AuthContext> | null
  /** Seconds, for the `Retry-After` of a 503. */
  retryAfter: number
  /** Tokens the provider refused after validation (userinfo 401): refused until their `exp`. */
  refused?: RefusedTokens | null
  /** The plugin-wide `validateClaims` check: `false` (or a throw) makes every token it sees invalid. */
  validateClaims?: ((claims: Readonly<AccessTokenClaims>) => boolean) | undefined
  /** The plugin-wide client allow-list: a token whose `clientId` is not in it is invalid. `null`: any client. */
  clients?: ReadonlySet<string> | null
}

/** A compact JWS: three base64url parts. Anything else (JWE, garbage) is not a JWT for `auto`. */
const JWS_SHAPE = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/** Validates access tokens; see the module comment. */
export class AccessTokenValidator {
  readonly #options: AccessTokenValidatorOptions

  constructor (options: AccessTokenValidatorOptions) {
    this.#options = options
  }

  /** A still-valid cached result and the epoch milliseconds until which it may be served; no I/O. */
  cachedEntry (token: string): Readonly<{ value: AuthContext, until: number }> | undefined {
    return this.#options.cache?.entry(token)
  }

  /**
   * A still-valid cached introspection answer for a token this validator would introspect, without
   * any I/O, with the epoch milliseconds until which it may be served (0 once the introspection
   * cache let it go, so the connection memo may hold it); `undefined` when there is none, the token
   * is verified locally, or the introspector has no `cachedEntry` (its `introspect` still answers).
   */
  cachedIntrospectionEntry (token: string): Readonly<{ value: AuthContext, until: number }> | undefined {
    const { mode, introspector } = this.#options
    if (introspector?.cachedEntry === undefined || mode === 'jwt' || (mode === 'auto' && JWS_SHAPE.test(token))) return undefined
    const entry = introspector.cachedEntry(token)
    // The introspection cache holds answers before this check: one that fails it goes the slow way, to its 401.
    return entry === undefined || this.#accepts(entry.value) ? entry : undefined
  }

  /**
   * {@link AccessTokenValidator.validate} without waiting, for a JWT the verifier can rule on with a
   * key it already holds (the common case): the same result, cached alike, or the same error;
   * `undefined` when only `validate` can answer (I/O, or an unusual token).
   */
  validateSync (token: string): AuthContext | undefined {
    const { mode, jwt } = this.#options
    if (jwt === null || !(mode === 'jwt' || (mode === 'auto' && JWS_SHAPE.test(token)))) return undefined
    this.#checkNotRefused(token)
    const claims = jwt.verifySync(token)
    if (claims === undefined) return undefined
    const auth = this.#check(buildAuthContext(claims, token, this.#options.claims, 'jwt'))
    this.#options.cache?.set(token, auth, auth.expiresAt.getTime())
    return auth
  }

  /** Validates `token`. Throws InvalidTokenError, TokenExpiredError or ProviderUnavailableError. */
  async validate (token: string): Promise<AuthContext> {
    const hit = this.#options.cache?.get(token)
    if (hit !== undefined) return hit
    this.#checkNotRefused(token)
    let auth: AuthContext
    try {
      auth = await this.#validate(token)
    } catch (err) {
      if (err instanceof JWKSUnavailableError || err instanceof ProviderRequestError || err instanceof IssuerMismatchError || err instanceof UnsafeEndpointError) {
        throw new ProviderUnavailableError(this.#options.retryAfter, { cause: err, detail: describeProviderFailure(err) })
      }
      throw err
    }
    // Introspection results have their own cache, keyed by a hash: raw tokens stay out of it.
    if (auth.method === 'jwt') this.#options.cache?.set(token, auth, auth.expiresAt.getTime())
    return auth
  }

  async #validate (token: string): Promise<AuthContext> {
    const { mode, jwt, introspector } = this.#options
    const useJWT = mode === 'jwt' || (mode === 'auto' && JWS_SHAPE.test(token))
    if (useJWT) {
      if (jwt === null) throw new InvalidTokenError({ detail: 'validation: a JWT, but no JWT verifier (validation: introspection)' })
      const claims = await jwt.verify(token)
      return this.#check(buildAuthContext(claims, token, this.#options.claims, 'jwt'))
    }
    if (introspector === null) throw new InvalidTokenError({ detail: 'validation: not a compact JWS, and introspection is not configured' })
    return this.#check(await introspector.introspect(token))
  }

  /** A token the provider refused at userinfo never reaches the caches again (they dropped it then). */
  #checkNotRefused (token: string): void {
    if (this.#options.refused?.has(token) === true) {
      throw new InvalidTokenError({ detail: 'userinfo: the identity provider refused this token earlier (401); refused until its exp' })
    }
  }

  /** Applies `clients` and `validateClaims`; the result is cached with the token, so it runs once per token. */
  #check (auth: AuthContext): AuthContext {
    const refusal = this.#refusal(auth)
    if (refusal !== null) throw new InvalidTokenError({ detail: refusal })
    return auth
  }

  #accepts (auth: AuthContext): boolean {
    return this.#refusal(auth) === null
  }

  /** Why the plugin-wide checks refuse `auth`, for the log; `null` when they accept it. */
  #refusal (auth: AuthContext): string | null {
    const clients = this.#options.clients
    // A token naming no client cannot show it is one of the allowed ones.
    if (clients != null && (auth.clientId === null || !clients.has(auth.clientId))) {
      return `clients: expected one of ${logSafe([...clients])}, received ${logSafe(auth.clientId)}`
    }
    const validate = this.#options.validateClaims
    if (validate === undefined) return null
    try {
      if (validate(auth.claims) === true) return null
    } catch {
      // A check that throws refuses: failing open on a bug would accept the token.
    }
    return 'validateClaims: refused the claims'
  }
}
