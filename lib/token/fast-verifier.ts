/**
 * The hot path of JWT verification: the checks of jose's `jwtVerify` with the options
 * {@link JWTVerifier} gives it, in the same order and with the same verdicts, but with the
 * signature checked by node:crypto's one-shot `crypto.verify` on a KeyObject. jose 6 verifies
 * through WebCrypto, where every call is a job on libuv's thread pool plus promises: measured here,
 * ~100 µs per RS256 verification against ~32 µs for `crypto.verify` alone.
 *
 * jose still does everything around the signature: the JWKS (fetched, selected by `kid`, `alg`,
 * `kty`, `crv`, `use` and `key_ops`, imported and cached per algorithm by `createLocalJWKSet`), and
 * every token this path does not fully understand. {@link FastJWTVerifier.verify} resolves to
 * `undefined`, handing the token to jose, whenever it is unusual: a segment that is not plain
 * base64url (other characters, padding, a length base64 cannot have), a
 * non-ASCII header, a header that is not a JSON object or carries `crit` or `b64`, an algorithm
 * outside the allow-list or unknown here, a key jose would refuse for the algorithm (type,
 * algorithm, hash, curve, usage, RSA under 2048 bits), a `crypto.verify` that throws, or a
 * payload that is not a strict UTF-8 JSON object. No provider sends such tokens; jose judges them.
 *
 * What this path decides, it decides as jose (and {@link JWTVerifier}) would: a bad signature is
 * {@link InvalidTokenError}; the claims are checked in jose's order (`iss`, `aud`, `exp` present;
 * `iss` equal; `aud` holds an accepted value; `iat` and `nbf` numbers; `nbf` ≤ now + tolerance, else
 * {@link TokenExpiredError}; `exp` a number; `exp` > now − tolerance, else
 * {@link TokenExpiredError}; `iat` not after now + tolerance, a check jose makes only with
 * `maxTokenAge`, so JWTVerifier adds it after jose); then a repeated top-level member name is {@link InvalidTokenError}, as
 * JWTVerifier rules on jose's result. `typ` is left to JWTVerifier, which checks it on both paths.
 * test/token/fast-verifier.test.ts compares both paths on good, bad and random tokens.
 *
 * @see RFC 7515 §5.2 (JWS validation), RFC 7518 §3 (algorithms), RFC 7519 §7.2, RFC 8725 §3
 */
import { constants, KeyObject, verify as cryptoVerify, type VerifyKeyObjectInput, type VerifyPublicKeyInput } from 'node:crypto'
import type { JWTHeaderParameters, JWTPayload } from 'jose'
import { InvalidTokenError, TokenExpiredError } from '../errors.js'
import type { JWKSCache } from './jwks-cache.js'
import { decodeSegment, parseObject, type Segment } from './jws-segment.js'
import { claimDetail, DUPLICATE_MEMBERS_DETAIL, SIGNATURE_DETAIL } from './refusal-detail.js'

/** What a WebCrypto key must be for an algorithm (jose's table), and how node:crypto verifies it. */
interface Profile {
  /** WebCrypto `algorithm.name` jose requires. */
  name: string
  /** WebCrypto `algorithm.hash.name`, for RSA. */
  hash?: string
  /** WebCrypto `algorithm.namedCurve`, for ECDSA. */
  curve?: string
  /** node:crypto digest; `null` for EdDSA. */
  digest: string | null
  /** IEEE P1363 signature length in bytes, for ECDSA. */
  signatureLength?: number
  /** PSS salt length in bytes (the digest length, as WebCrypto and RFC 7518 §3.5 use). */
  saltLength?: number
}

const rsa = (bits: number, pss: boolean): Profile => ({
  name: pss ? 'RSA-PSS' : 'RSASSA-PKCS1-v1_5',
  hash: `SHA-${bits}`,
  digest: `sha${bits}`,
  saltLength: pss ? bits / 8 : undefined
})
const ecdsa = (curve: string, bits: number, signatureLength: number): Profile => ({ name: 'ECDSA', curve, digest: `sha${bits}`, signatureLength })

const PROFILES: ReadonlyMap<string, Profile> = new Map([
  ['RS256', rsa(256, false)],
  ['RS384', rsa(384, false)],
  ['RS512', rsa(512, false)],
  ['PS256', rsa(256, true)],
  ['PS384', rsa(384, true)],
  ['PS512', rsa(512, true)],
  ['ES256', ecdsa('P-256', 256, 64)],
  ['ES384', ecdsa('P-384', 384, 96)],
  ['ES512', ecdsa('P-521', 512, 132)],
  ['EdDSA', { name: 'Ed25519', digest: null }],
  ['Ed25519', { name: 'Ed25519', digest: null }]
])

/** Options of {@link FastJWTVerifier}: those {@link JWTVerifier} gives jose. */
export interface FastJWTVerifierOptions {
  issuer: string
  /** `null`: the audience check was explicitly waived. */
  audience: readonly string[] | null
  algorithms: readonly string[]
  /** Seconds. */
  clockTolerance: number
  keys: JWKSCache
}

/** A verified token. */
export interface FastVerifyResult {
  payload: JWTPayload
  protectedHeader: JWTHeaderParameters
}

/** What {@link FastJWTVerifier.verifySync} answers when the key must first be looked up. */
export const KEY_NEEDED = Symbol('key needed')

type VerifyKey = KeyObject | VerifyKeyObjectInput | VerifyPublicKeyInput
interface PreparedKey { alg: string, key: VerifyKey | null }
/** A token that passed every check made before the key lookup. */
interface Parsed {
  alg: string
  profile: Profile
  header: Segment
  /** Index of the first dot (end of the header). */
  dot1: number
  /** Index of the second dot: the characters before it are signed. */
  dot2: number
}

/** A JOSE header that passed every check of {@link FastJWTVerifier}'s parse, with its encoded text. */
interface AcceptedHeader { encoded: string, header: Segment, alg: string, profile: Profile }

/** See the module comment. */
export class FastJWTVerifier {
  readonly #options: FastJWTVerifierOptions
  readonly #algorithms: ReadonlySet<string>
  /** jose's key cache returns the same CryptoKey for a JWK and alg, so its KeyObject is made once. */
  readonly #prepared = new WeakMap<object, PreparedKey>()
  /** Keys resolved from the key set `#generation`, by `alg` and `kid`; emptied when the set changes. */
  readonly #byKid = new Map<string, Map<string, VerifyKey | null>>()
  #generation: object | undefined
  /**
   * The last header accepted: a provider signs all its tokens of one key with the same header, so
   * comparing its text spares decoding and parsing it per token. Its value is never handed out to
   * be changed (only `typ` is read from it).
   */
  #lastHeader: AcceptedHeader | undefined

  constructor (options: FastJWTVerifierOptions) {
    this.#options = options
    this.#algorithms = new Set(options.algorithms)
  }

  /**
   * Verifies `token` as jose would. Resolves to `undefined` when the token must go to jose instead;
   * throws {@link InvalidTokenError}, {@link TokenExpiredError}, or what the key function throws.
   */
  async verify (token: string): Promise<FastVerifyResult | undefined> {
    const parsed = this.#parse(token)
    if (parsed === undefined) return undefined
    const { alg, header } = parsed
    const known = this.#knownKey(alg, header.value.kid)
    if (known !== undefined && known !== null) return this.#finish(token, parsed, known)
    const generation = this.#options.keys.generation
    const { dot1, dot2 } = parsed
    const input = { protected: token.slice(0, dot1), payload: token.slice(dot1 + 1, dot2), signature: token.slice(dot2 + 1) }
    const resolved = await this.#options.keys.key(header.value, input)
    const key = this.#prepare(resolved, alg, header.value.kid, parsed.profile, generation)
    return key === null ? undefined : this.#finish(token, parsed, key)
  }

  /**
   * {@link FastJWTVerifier.verify} without waiting, for a token whose key was resolved before: the
   * same verdict, or {@link KEY_NEEDED} when only `verify` can give it (the key must be looked up).
   */
  verifySync (token: string): FastVerifyResult | undefined | typeof KEY_NEEDED {
    const parsed = this.#parse(token)
    if (parsed === undefined) return undefined
    const key = this.#knownKey(parsed.alg, parsed.header.value.kid)
    return key === undefined || key === null ? KEY_NEEDED : this.#finish(token, parsed, key)
  }

  /**
   * Everything jose checks before the key lookup: the token's shape and its header. The signature
   * and the payload are decoded after it, as jose decodes them (see {@link FastJWTVerifier.#finish}).
   */
  #parse (token: string): Parsed | undefined {
    const dot1 = token.indexOf('.')
    const dot2 = token.indexOf('.', dot1 + 1)
    if (dot1 < 1 || dot2 < dot1 + 2 || dot2 === token.length - 1 || token.indexOf('.', dot2 + 1) !== -1) return undefined
    const accepted = this.#header(token, dot1)
    if (accepted === undefined) return undefined
    const { alg, profile, header } = accepted
    return { alg, profile, header, dot1, dot2 }
  }

  /** The token's header, decoded and checked, or the last one accepted if its text is the same. */
  #header (token: string, dot1: number): AcceptedHeader | undefined {
    const last = this.#lastHeader
    if (last !== undefined && last.encoded.length === dot1 && token.startsWith(last.encoded)) return last
    return this.#acceptHeader(token, dot1)
  }

  /** A header not seen last time, decoded and checked; the next token's comparison uses it. */
  #acceptHeader (token: string, dot1: number): AcceptedHeader | undefined {
    const encoded = token.slice(0, dot1)
    const bytes = decodeSegment(encoded)
    if (bytes === undefined) return undefined
    const header = parseObject(bytes, true)
    if (header === undefined || Object.hasOwn(header.value, 'crit') || Object.hasOwn(header.value, 'b64')) return undefined
    const alg = header.value.alg
    const profile = typeof alg === 'string' && this.#algorithms.has(alg) ? PROFILES.get(alg) : undefined
    if (profile === undefined) return undefined
    this.#lastHeader = { encoded, header, alg: alg as string, profile }
    return this.#lastHeader
  }

  /**
   * The signature, then the payload and its claims, in jose's order. Each segment is decoded just
   * before it is used, as a minimal verifier would: measured in a loaded server, decoding both
   * before the key lookup cost ~1 µs more per token, the buffers going cold by the time they were read.
   * The signing input is the token's text encoded as UTF-8, the bytes jose verifies, whatever the
   * characters (a non-base64url payload is refused right after, handed over to jose).
   */
  #finish (token: string, parsed: Parsed, key: VerifyKey): FastVerifyResult | undefined {
    const { profile, header, dot1, dot2 } = parsed
    const signature = decodeSegment(token.slice(dot2 + 1))
    if (signature === undefined) return undefined
    if (profile.signatureLength !== undefined && signature.length !== profile.signatureLength) return refuseSignature(token)
    let valid: boolean
    try {
      valid = cryptoVerify(profile.digest, Buffer.from(token.slice(0, dot2)), key, signature)
    } catch {
      return undefined
    }
    if (!valid) return refuseSignature(token)

    const payloadBytes = decodeSegment(token.slice(dot1 + 1, dot2))
    if (payloadBytes === undefined) return undefined
    const payload = parseObject(payloadBytes, false)
    if (payload === undefined) return undefined
    this.#checkClaims(payload.value)
    // After the claims, as JWTVerifier checks the jose path's result (see json-members.ts).
    if (header.repeats || payload.repeats) throw new InvalidTokenError({ detail: DUPLICATE_MEMBERS_DETAIL })
    return { payload: payload.value, protectedHeader: header.value as JWTHeaderParameters }
  }

  /**
   * jose's `validateClaimsSet`, for the options JWTVerifier uses, in the same order and with the
   * same claim and reason (refusal-detail.ts), then JWTVerifier's own `iat` check.
   */
  #checkClaims (claims: JWTPayload): void {
    const { issuer, audience, clockTolerance } = this.#options
    const refuse = (claim: string, reason: string, expired = false): never => {
      const detail = claimDetail(claim, reason, claims, this.#options)
      throw expired ? new TokenExpiredError({ detail }) : new InvalidTokenError({ detail })
    }
    if (!Object.hasOwn(claims, 'iss')) refuse('iss', 'missing')
    if (audience !== null && !Object.hasOwn(claims, 'aud')) refuse('aud', 'missing')
    if (!Object.hasOwn(claims, 'exp')) refuse('exp', 'missing')
    if (claims.iss !== issuer) refuse('iss', 'check_failed')
    if (audience !== null && !hasAudience(claims.aud, audience)) refuse('aud', 'check_failed')
    const now = Math.floor(Date.now() / 1000)
    const iat = claims.iat
    if (iat !== undefined && typeof iat !== 'number') refuse('iat', 'invalid')
    const nbf = claims.nbf
    if (nbf !== undefined && typeof nbf !== 'number') refuse('nbf', 'invalid')
    if (nbf !== undefined && nbf > now + clockTolerance) refuse('nbf', 'check_failed', true)
    const exp = claims.exp
    if (typeof exp !== 'number') refuse('exp', 'invalid')
    if ((exp as number) <= now - clockTolerance) refuse('exp', 'check_failed', true)
    if (isFutureIat(iat, clockTolerance)) refuse('iat', 'check_failed')
  }

  /**
   * The key `keys.key` resolved for this `alg` and `kid` from the current key set, if it did: jose
   * picks a key from the header's `alg` and `kid` alone, so the answer holds until the set changes.
   */
  #knownKey (alg: string, kid: unknown): VerifyKey | null | undefined {
    const generation = this.#options.keys.generation
    if (generation !== this.#generation) {
      this.#byKid.clear()
      this.#generation = generation
    }
    return generation === undefined || typeof kid !== 'string' ? undefined : this.#byKid.get(alg)?.get(kid)
  }

  /** The node:crypto key for a jose-resolved key, or `null` when jose would refuse the key for `alg`. */
  #prepare (key: unknown, alg: string, kid: unknown, profile: Profile, generation: object | undefined): VerifyKey | null {
    if (key === null || typeof key !== 'object') return null
    let prepared = this.#prepared.get(key)
    if (prepared === undefined || prepared.alg !== alg) {
      prepared = { alg, key: toVerifyKey(key, profile) }
      this.#prepared.set(key, prepared)
    }
    // Remembered only if the key set in use before the lookup is still the one in use after it.
    if (typeof kid === 'string' && generation !== undefined && generation === this.#options.keys.generation && generation === this.#generation) {
      let byKid = this.#byKid.get(alg)
      if (byKid === undefined) this.#byKid.set(alg, byKid = new Map())
      byKid.set(kid, prepared.key)
    }
    return prepared.key
  }
}

/** Mirrors jose's checks of a CryptoKey (type, algorithm, hash, curve, usage, RSA size). */
function toVerifyKey (key: object, profile: Profile): VerifyKey | null {
  if ((key as { [Symbol.toStringTag]?: string })[Symbol.toStringTag] !== 'CryptoKey') return null
  const cryptoKey = key as CryptoKey
  const algorithm = cryptoKey.algorithm as { name: string, hash?: { name: string }, namedCurve?: string, modulusLength?: number }
  if (cryptoKey.type !== 'public' || !cryptoKey.usages.includes('verify') || algorithm.name !== profile.name) return null
  if (profile.hash !== undefined && (algorithm.hash?.name !== profile.hash || typeof algorithm.modulusLength !== 'number' || algorithm.modulusLength < 2048)) return null
  if (profile.curve !== undefined && algorithm.namedCurve !== profile.curve) return null
  const keyObject = KeyObject.from(cryptoKey)
  if (profile.signatureLength !== undefined) return { key: keyObject, dsaEncoding: 'ieee-p1363' }
  if (profile.saltLength !== undefined) return { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: profile.saltLength }
  return keyObject
}

/** Three base64url segments, as JWTVerifier requires before it calls jose. */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/**
 * A signature that does not verify. The payload is not decoded yet, so a token with a character
 * outside base64url there is handed to jose, which refuses it for its shape, as JWTVerifier does
 * first: both paths then name the same check. Off the hot path: only refused tokens get here.
 */
function refuseSignature (token: string): undefined {
  if (!COMPACT_JWS.test(token)) return undefined
  throw new InvalidTokenError({ detail: SIGNATURE_DETAIL })
}

/**
 * An `iat` later than now plus the clock tolerance: a token issued in the future (a forged token,
 * or a provider whose clock is off). jose checks this only with `maxTokenAge`, which would also
 * make `iat` required; JWTVerifier applies it on both paths.
 */
export function isFutureIat (iat: unknown, clockTolerance: number): boolean {
  return typeof iat === 'number' && iat > Math.floor(Date.now() / 1000) + clockTolerance
}

/** jose's audience check: a string among `accepted`, or an array sharing one with it. */
function hasAudience (aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud)
  return Array.isArray(aud) && accepted.some((value) => aud.includes(value))
}
