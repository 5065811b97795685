/**
 * Local validation of JWT access tokens with jose: signature against the provider's JWKS,
 * an explicit asymmetric algorithm allow-list, exact `iss`, `aud` (unless explicitly waived),
 * required `exp`, `nbf`, a clock tolerance, and a `typ` policy.
 *
 * Not checked here: scopes, permissions and ACR (the route's requirement does that), `jti`
 * replay (access tokens are bearer tokens, reusable until `exp`), and `iat` beyond its type.
 *
 * @see RFC 9068 §4 (validating JWT access tokens), RFC 7519 §4.1, RFC 8725 §3 (JWT BCP)
 */
import { jwtVerify, errors, type JWTPayload, type JWTVerifyOptions } from 'jose'
import { InvalidTokenError, TokenExpiredError } from '../errors.js'
import { FastJWTVerifier, KEY_NEEDED } from './fast-verifier.js'
import type { JWKSCache } from './jwks-cache.js'
import { hasRepeatedMembers, isCompactJWS } from './jws-segment.js'

/** Default allowed algorithms: every asymmetric JWS algorithm. `none` and HS* are never allowed. */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])

/** Default clock tolerance for `exp` and `nbf`, in milliseconds. */
export const DEFAULT_CLOCK_TOLERANCE = 5_000

/** Options of {@link JWTVerifier}. */
export interface JWTVerifierOptions {
  /**
   * The exact `iss`, or a check of the verified claims for an issuer template (issuer-template.ts),
   * made where jose would compare `iss`: after the signature, before `aud` and the times.
   */
  issuer: string | ((claims: JWTPayload) => boolean)
  /** Accepted audiences; `null` when the check was explicitly waived. */
  audience: readonly string[] | null
  algorithms: readonly string[]
  /** Milliseconds. */
  clockTolerance: number
  /** Require `typ: at+jwt` (RFC 9068 §2.1) instead of also accepting `JWT` or no `typ`. */
  requireAccessTokenType: boolean
  keys: JWKSCache
  /** Verify signatures with node:crypto when the token allows it (see fast-verifier.ts). Default true; false: jose only. */
  fastPath?: boolean
}

/** Verifies JWT access tokens and returns their claims; throws this package's HTTP errors. */
export class JWTVerifier {
  readonly #options: JWTVerifyOptions
  readonly #keys: JWKSCache
  readonly #strictType: boolean
  readonly #fast: FastJWTVerifier | null
  readonly #issuerCheck: ((claims: JWTPayload) => boolean) | null

  constructor (options: JWTVerifierOptions) {
    this.#keys = options.keys
    this.#fast = options.fastPath === false ? null : new FastJWTVerifier(options)
    this.#strictType = options.requireAccessTokenType
    this.#issuerCheck = typeof options.issuer === 'string' ? null : options.issuer
    this.#options = {
      issuer: typeof options.issuer === 'string' ? options.issuer : undefined,
      audience: options.audience === null ? undefined : [...options.audience],
      algorithms: [...options.algorithms],
      // jose counts in seconds.
      clockTolerance: options.clockTolerance / 1000,
      requiredClaims: ['exp']
    }
  }

  /**
   * Returns the verified payload. Key fetch failures propagate as they are (the caller turns them
   * into 503); every token problem becomes {@link InvalidTokenError} or {@link TokenExpiredError}.
   */
  async verify (token: string): Promise<JWTPayload> {
    let result
    let checkedMembers = false
    try {
      // The fast path (fast-verifier.ts) rules as the jose path below would, repeated members
      // included, or hands the token over (undefined); it only takes compact JWS.
      result = this.#fast === null ? undefined : await this.#fast.verify(token)
      checkedMembers = result !== undefined
      if (result === undefined) {
        // jose's base64url decoding tolerates padding; a compact JWS never has any (RFC 7515 §2).
        if (!isCompactJWS(token)) throw new InvalidTokenError()
        result = this.#issuerCheck === null
          ? await jwtVerify(token, this.#keys.key, this.#options)
          : await this.#verifyTemplate(token, this.#issuerCheck)
      }
    } catch (err) {
      throw mapJoseError(err)
    }
    if (!this.#acceptsType(result.protectedHeader.typ)) throw new InvalidTokenError()
    if (!checkedMembers && hasRepeatedMembers(token)) throw new InvalidTokenError()
    return result.payload
  }

  /**
   * {@link JWTVerifier.verify} without waiting, when the fast path can rule on its own with a key
   * it already holds: the same payload or error; `undefined` when only `verify` can answer.
   */
  verifySync (token: string): JWTPayload | undefined {
    if (this.#fast === null) return undefined
    let result
    try {
      result = this.#fast.verifySync(token)
    } catch (err) {
      throw mapJoseError(err)
    }
    if (result === undefined || result === KEY_NEEDED) return undefined
    if (!this.#acceptsType(result.protectedHeader.typ)) throw new InvalidTokenError()
    return result.payload
  }

  /**
   * jose's verification for an issuer template: jose cannot take a check for `iss`, so the claims
   * are checked once jose verified the signature, and `iss` ranks before its time claims as it does
   * for a string issuer (an expired token of another issuer is invalid, not expired).
   */
  async #verifyTemplate (token: string, accepts: (claims: JWTPayload) => boolean): Promise<Awaited<ReturnType<typeof jwtVerify>>> {
    try {
      const result = await jwtVerify(token, this.#keys.key, this.#options)
      if (!accepts(result.payload)) throw new InvalidTokenError()
      return result
    } catch (err) {
      if (err instanceof errors.JWTClaimValidationFailed || err instanceof errors.JWTExpired) {
        if (!accepts(err.payload)) throw new InvalidTokenError({ cause: err })
      }
      throw err
    }
  }

  #acceptsType (typ: unknown): boolean {
    if (typ === undefined) return !this.#strictType
    if (typeof typ !== 'string') return false
    // RFC 7515 §4.1.9: the "application/" prefix may be omitted and media types are case-insensitive.
    const type = typ.toLowerCase().replace(/^application\//, '')
    return type === 'at+jwt' || (!this.#strictType && type === 'jwt')
  }
}

function mapJoseError (err: unknown): unknown {
  if (err instanceof errors.JWTExpired) return new TokenExpiredError({ cause: err })
  if (err instanceof errors.JWTClaimValidationFailed && err.claim === 'nbf' && err.reason === 'check_failed') {
    return new TokenExpiredError({ cause: err })
  }
  if (err instanceof errors.JOSEError || err instanceof TypeError) return new InvalidTokenError({ cause: err })
  return err
}
