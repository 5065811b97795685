/**
 * Local validation of JWT access tokens with jose: signature against the provider's JWKS,
 * an explicit asymmetric algorithm allow-list, exact `iss`, `aud` (unless explicitly waived),
 * required `exp`, `nbf`, a clock tolerance, and a `typ` policy.
 *
 * `iat`, when present, must be a number and not later than now plus the clock tolerance (a token
 * issued in the future is refused, as PyJWT and others do); it is not required.
 *
 * Not checked here: scopes, permissions and ACR (the route's requirement does that), `jti`
 * replay (access tokens are bearer tokens, reusable until `exp`), and how old `iat` is.
 *
 * Every refusal carries a log-safe `detail` naming the check (refusal-detail.ts); both paths give
 * the same one.
 *
 * @see RFC 9068 §4 (validating JWT access tokens), RFC 7519 §4.1, RFC 8725 §3 (JWT BCP)
 */
import { decodeProtectedHeader, jwtVerify, errors, type JWTPayload, type JWTVerifyOptions } from 'jose'
import { InvalidTokenError, TokenExpiredError } from '../errors.js'
import { FastJWTVerifier, isFutureIat, KEY_NEEDED } from './fast-verifier.js'
import type { JWKSCache } from './jwks-cache.js'
import { hasRepeatedMembers, isCompactJWS } from './jws-segment.js'
import { claimDetail, DUPLICATE_MEMBERS_DETAIL, logSafe, SIGNATURE_DETAIL, typeDetail, type ClaimExpectations } from './refusal-detail.js'

/** Default allowed algorithms: every asymmetric JWS algorithm. `none` and HS* are never allowed. */
export const DEFAULT_ALGORITHMS: readonly string[] = Object.freeze(['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'])

/** Default clock tolerance for `exp` and `nbf`, in milliseconds. */
export const DEFAULT_CLOCK_TOLERANCE = 5_000

/** Options of {@link JWTVerifier}. */
export interface JWTVerifierOptions {
  issuer: string
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
  readonly #expected: ClaimExpectations

  constructor (options: JWTVerifierOptions) {
    this.#keys = options.keys
    this.#fast = options.fastPath === false ? null : new FastJWTVerifier(options)
    this.#strictType = options.requireAccessTokenType
    // jose and the claims count in seconds.
    this.#expected = { issuer: options.issuer, audience: options.audience, clockTolerance: options.clockTolerance / 1000 }
    this.#options = {
      issuer: options.issuer,
      audience: options.audience === null ? undefined : [...options.audience],
      algorithms: [...options.algorithms],
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
        if (!isCompactJWS(token)) throw new InvalidTokenError({ detail: 'token: not a compact JWS (three base64url segments without padding)' })
        result = await jwtVerify(token, this.#keys.key, this.#options)
        // In the fast path's order (claims, iat, repeated members), so both name the same check.
        if (isFutureIat(result.payload.iat, this.#expected.clockTolerance)) {
          throw new InvalidTokenError({ detail: claimDetail('iat', 'check_failed', result.payload, this.#expected) })
        }
      }
    } catch (err) {
      throw this.#mapJoseError(err, token)
    }
    if (!checkedMembers && hasRepeatedMembers(token)) throw new InvalidTokenError({ detail: DUPLICATE_MEMBERS_DETAIL })
    if (!this.#acceptsType(result.protectedHeader.typ)) throw new InvalidTokenError({ detail: typeDetail(result.protectedHeader.typ, this.#strictType) })
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
      throw this.#mapJoseError(err, token)
    }
    if (result === undefined || result === KEY_NEEDED) return undefined
    const header = result.protectedHeader
    if (!this.#acceptsType(header.typ)) throw new InvalidTokenError({ detail: typeDetail(header.typ, this.#strictType) })
    return result.payload
  }

  #acceptsType (typ: unknown): boolean {
    if (typ === undefined) return !this.#strictType
    if (typeof typ !== 'string') return false
    // RFC 7515 §4.1.9: the "application/" prefix may be omitted and media types are case-insensitive.
    const type = typ.toLowerCase().replace(/^application\//, '')
    return type === 'at+jwt' || (!this.#strictType && type === 'jwt')
  }

  /** jose's errors as this package's, each with a detail naming the check (and values for alg, kid). */
  #mapJoseError (err: unknown, token: string): unknown {
    if (!(err instanceof errors.JOSEError || err instanceof TypeError)) return err
    const cause = { cause: err }
    if (err instanceof errors.JWTExpired) {
      return new TokenExpiredError({ ...cause, detail: claimDetail(err.claim, err.reason, err.payload, this.#expected) })
    }
    if (err instanceof errors.JWTClaimValidationFailed) {
      const detail = claimDetail(err.claim, err.reason, err.payload, this.#expected)
      if (err.claim === 'nbf' && err.reason === 'check_failed') return new TokenExpiredError({ ...cause, detail })
      return new InvalidTokenError({ ...cause, detail })
    }
    if (err instanceof errors.JOSEAlgNotAllowed) {
      return new InvalidTokenError({ ...cause, detail: `alg: expected one of ${logSafe(this.#options.algorithms)}, received ${logSafe(headerOf(token).alg)}` })
    }
    if (err instanceof errors.JWKSNoMatchingKey || err instanceof errors.JWKSMultipleMatchingKeys) {
      const { alg, kid } = headerOf(token)
      return new InvalidTokenError({ ...cause, detail: `kid: no single key of the JWKS matches, received kid ${logSafe(kid)} with alg ${logSafe(alg)}` })
    }
    if (err instanceof errors.JWSSignatureVerificationFailed) return new InvalidTokenError({ ...cause, detail: SIGNATURE_DETAIL })
    // The rest (malformed segments, bad JSON, unsupported header) has jose's fixed text, cut.
    const code = err instanceof errors.JOSEError ? err.code : err.name
    return new InvalidTokenError({ ...cause, detail: `token: ${code} ${logSafe(err.message)}` })
  }
}

/** The token's header, for a detail; empty when it cannot be read. */
function headerOf (token: string): Record<string, unknown> {
  try {
    return decodeProtectedHeader(token)
  } catch {
    return {}
  }
}
