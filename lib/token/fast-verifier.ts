/**
 * The hot path of JWT verification: the checks of jose's `jwtVerify` with the options
 * {@link JWTVerifier} gives it, in the same order and with the same verdicts, but with the
 * signature checked by node:crypto's one-shot `crypto.verify` on a `KeyObject`. jose 6 verifies
 * through WebCrypto, where every call is a job on libuv's thread pool plus promises
 * (docs/performance.md has the figures).
 *
 * What it relies on, and nothing more: jose's public API through {@link JWKSCache} (which key of
 * the provider's set a header gets: jose's `createLocalJWKSet` choice, made into a `KeyObject` by
 * node:crypto's `KeyObject.from`), and node:crypto. It makes no assumption about which objects
 * jose returns, nor about the checks jose makes privately: the checks of the key are its own, on
 * the `KeyObject` (the key type the algorithm needs; RSA keys of 2048 bits at least, RFC 7518
 * §3.3), and a key that fails them is handed over to jose.
 *
 * {@link FastJWTVerifier.verify} resolves to `undefined`, handing the token to jose, whenever it is
 * unusual: a segment that is not plain base64url (other characters, padding, a length base64
 * cannot have), a non-ASCII header, a header that is not a JSON object or carries `crit` or `b64`,
 * an algorithm outside the allow-list or unknown here, a key that fails the checks above, a
 * `crypto.verify` that throws, or a payload that is not a strict UTF-8 JSON object. No provider
 * sends such tokens; jose judges them.
 *
 * What this path decides, it decides as jose (and {@link JWTVerifier}) would: a bad signature is
 * {@link InvalidTokenError}; the claims are checked in jose's order (`iss`, `aud`, `exp` present;
 * `iss` equal; `aud` holds an accepted value; `iat` and `nbf` numbers; `nbf` ≤ now + tolerance, else
 * {@link TokenExpiredError}; `exp` a number; `exp` > now − tolerance, else
 * {@link TokenExpiredError}; `iat` not after now + tolerance, a check jose makes only with
 * `maxTokenAge`, so JWTVerifier adds it after jose); then a repeated top-level member name is
 * {@link InvalidTokenError}, as JWTVerifier rules on jose's result. Every refusal carries the same
 * log-safe `detail` as the jose path's (refusal-detail.ts). `typ` is left to JWTVerifier, which checks it on both paths.
 * test/token/fast-verifier.test.ts compares both paths on good, bad and random tokens and on
 * random key sets, for the jose version the lockfile holds.
 *
 * @see RFC 7515 §5.2 (JWS validation), RFC 7518 §3 (algorithms), RFC 7519 §7.2, RFC 8725 §3
 */
import { constants, verify as cryptoVerify, type KeyObject, type VerifyKeyObjectInput } from 'node:crypto'
import type { JWTHeaderParameters, JWTPayload } from 'jose'
import { InvalidTokenError, TokenExpiredError } from '../errors.js'
import type { JWKSCache } from './jwks-cache.js'
import { decodeSegment, isCompactJWS, parseObject, type Segment } from './jws-segment.js'
import { claimDetail, DUPLICATE_MEMBERS_DETAIL, SIGNATURE_DETAIL, type ClaimExpectations } from './refusal-detail.js'
import { templateIssuerDetail } from './issuer-template.js'

/** How node:crypto verifies an algorithm, and the key it needs. */
interface Profile {
  /** `KeyObject.asymmetricKeyType` the algorithm needs. */
  keyType: 'rsa' | 'ec' | 'ed25519'
  /** node:crypto digest; `null` for EdDSA. */
  digest: string | null
  /** IEEE P1363 signature length in bytes, for ECDSA (RFC 7518 §3.4). */
  signatureLength?: number
  /** PSS salt length in bytes: the digest length (RFC 7518 §3.5). */
  saltLength?: number
}

const rsa = (bits: number, pss: boolean): Profile => ({ keyType: 'rsa', digest: `sha${bits}`, saltLength: pss ? bits / 8 : undefined })
const ecdsa = (bits: number, signatureLength: number): Profile => ({ keyType: 'ec', digest: `sha${bits}`, signatureLength })

const PROFILES: ReadonlyMap<string, Profile> = new Map([
  ['RS256', rsa(256, false)],
  ['RS384', rsa(384, false)],
  ['RS512', rsa(512, false)],
  ['PS256', rsa(256, true)],
  ['PS384', rsa(384, true)],
  ['PS512', rsa(512, true)],
  ['ES256', ecdsa(256, 64)],
  ['ES384', ecdsa(384, 96)],
  ['ES512', ecdsa(512, 132)],
  ['EdDSA', { keyType: 'ed25519', digest: null }],
  ['Ed25519', { keyType: 'ed25519', digest: null }]
])

/** Smallest RSA modulus accepted, in bits (RFC 7518 §3.3, §3.5). */
const MIN_RSA_BITS = 2048

/** Options of {@link FastJWTVerifier}: those {@link JWTVerifier} gives jose. */
export interface FastJWTVerifierOptions {
  /** The exact `iss`; for an issuer template, its text (named in refusal details). */
  issuer: string
  /** An issuer template's check of the claims (issuer-template.ts), in place of comparing `iss` with `issuer`. */
  issuerCheck?: ((claims: JWTPayload) => boolean) | undefined
  /** `null`: the audience check was explicitly waived. */
  audience: readonly string[] | null
  algorithms: readonly string[]
  /** Milliseconds. */
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

type VerifyKey = KeyObject | VerifyKeyObjectInput
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

/** See the module comment. */
export class FastJWTVerifier {
  readonly #options: FastJWTVerifierOptions
  readonly #algorithms: ReadonlySet<string>
  /** What the claims are held to, the clock tolerance in seconds as the claims count. */
  readonly #expected: ClaimExpectations
  /** The verification input made for each key and algorithm; `null` when the key fails the checks. */
  readonly #prepared = new WeakMap<KeyObject, Map<string, VerifyKey | null>>()

  constructor (options: FastJWTVerifierOptions) {
    this.#options = options
    this.#algorithms = new Set(options.algorithms)
    this.#expected = { issuer: options.issuer, audience: options.audience, clockTolerance: options.clockTolerance / 1000 }
  }

  /**
   * Verifies `token` as jose would. Resolves to `undefined` when the token must go to jose instead;
   * throws {@link InvalidTokenError}, {@link TokenExpiredError}, or what the key lookup throws.
   */
  async verify (token: string): Promise<FastVerifyResult | undefined> {
    const parsed = this.#parse(token)
    if (parsed === undefined) return undefined
    const { alg, header, dot1, dot2 } = parsed
    let key = this.#knownKey(parsed)
    if (key === undefined) {
      const input = { protected: token.slice(0, dot1), payload: token.slice(dot1 + 1, dot2), signature: token.slice(dot2 + 1) }
      key = this.#prepare(await this.#options.keys.verificationKey(header.value, input), alg, parsed.profile)
    }
    return key === null ? undefined : this.#finish(token, parsed, key)
  }

  /**
   * {@link FastJWTVerifier.verify} without waiting, for a token whose key was looked up before: the
   * same verdict, or {@link KEY_NEEDED} when only `verify` can give it.
   */
  verifySync (token: string): FastVerifyResult | undefined | typeof KEY_NEEDED {
    const parsed = this.#parse(token)
    if (parsed === undefined) return undefined
    const key = this.#knownKey(parsed)
    if (key === undefined) return KEY_NEEDED
    return key === null ? undefined : this.#finish(token, parsed, key)
  }

  /**
   * Everything jose checks before the key lookup: the token's shape and its header. The signature
   * and the payload are decoded after it, as jose decodes them (see {@link FastJWTVerifier.#finish}).
   */
  #parse (token: string): Parsed | undefined {
    const dot1 = token.indexOf('.')
    const dot2 = token.indexOf('.', dot1 + 1)
    if (dot1 < 1 || dot2 < dot1 + 2 || dot2 === token.length - 1 || token.indexOf('.', dot2 + 1) !== -1) return undefined
    const bytes = decodeSegment(token.slice(0, dot1))
    if (bytes === undefined) return undefined
    const header = parseObject(bytes, true)
    if (header === undefined || Object.hasOwn(header.value, 'crit') || Object.hasOwn(header.value, 'b64')) return undefined
    const alg = header.value.alg
    const profile = typeof alg === 'string' && this.#algorithms.has(alg) ? PROFILES.get(alg) : undefined
    if (profile === undefined) return undefined
    return { alg: alg as string, profile, header, dot1, dot2 }
  }

  /** The key of a header already looked up in the current key set (see JWKSCache.knownKey). */
  #knownKey (parsed: Parsed): VerifyKey | null | undefined {
    const kid = parsed.header.value.kid
    if (typeof kid !== 'string') return undefined
    const key = this.#options.keys.knownKey(parsed.alg, kid)
    return key === undefined ? undefined : this.#prepare(key, parsed.alg, parsed.profile)
  }

  /** The verification input for `key` and `alg`, made once per key; `null` when the key is not fit for `alg`. */
  #prepare (key: KeyObject, alg: string, profile: Profile): VerifyKey | null {
    let byAlg = this.#prepared.get(key)
    if (byAlg === undefined) this.#prepared.set(key, byAlg = new Map())
    let prepared = byAlg.get(alg)
    if (prepared === undefined) byAlg.set(alg, prepared = toVerifyKey(key, profile))
    return prepared
  }

  /**
   * The signature, then the payload and its claims, in jose's order, each segment decoded just
   * before it is used. The signing input is the token's text encoded as UTF-8, the bytes jose
   * verifies, whatever the characters (a non-base64url payload is handed over right after).
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
    // After the claims, as JWTVerifier checks the jose path's result (jws-segment.ts).
    if (header.repeats || payload.repeats) throw new InvalidTokenError({ detail: DUPLICATE_MEMBERS_DETAIL })
    return { payload: payload.value, protectedHeader: header.value as JWTHeaderParameters }
  }

  /**
   * The claims checks of `jwtVerify` with the options JWTVerifier uses, in the same order and with
   * the same claim and reason (refusal-detail.ts), then JWTVerifier's own `iat` check.
   */
  #checkClaims (claims: JWTPayload): void {
    const expected = this.#expected
    const { issuer, audience, clockTolerance } = expected
    if (!Object.hasOwn(claims, 'iss')) refuse(claims, expected, 'iss', 'missing')
    if (audience !== null && !Object.hasOwn(claims, 'aud')) refuse(claims, expected, 'aud', 'missing')
    if (!Object.hasOwn(claims, 'exp')) refuse(claims, expected, 'exp', 'missing')
    const check = this.#options.issuerCheck
    if (check === undefined ? claims.iss !== issuer : !check(claims)) {
      if (check === undefined) refuse(claims, expected, 'iss', 'check_failed')
      throw new InvalidTokenError({ detail: templateIssuerDetail(claims, issuer) })
    }
    if (audience !== null && !hasAudience(claims.aud, audience)) refuse(claims, expected, 'aud', 'check_failed')
    const now = Math.floor(Date.now() / 1000)
    const iat = claims.iat
    if (iat !== undefined && typeof iat !== 'number') refuse(claims, expected, 'iat', 'invalid')
    const nbf = claims.nbf
    if (nbf !== undefined && typeof nbf !== 'number') refuse(claims, expected, 'nbf', 'invalid')
    if (nbf !== undefined && nbf > now + clockTolerance) refuse(claims, expected, 'nbf', 'check_failed', true)
    const exp = claims.exp
    if (typeof exp !== 'number') refuse(claims, expected, 'exp', 'invalid')
    if ((exp as number) <= now - clockTolerance) refuse(claims, expected, 'exp', 'check_failed', true)
    if (isFutureIat(iat, clockTolerance)) refuse(claims, expected, 'iat', 'check_failed')
  }
}

/** Refuses claims for `claim`'s check; a module function, so a token that passes allocates no closure for it. */
function refuse (claims: JWTPayload, expected: ClaimExpectations, claim: string, reason: string, expired = false): never {
  const detail = claimDetail(claim, reason, claims, expected)
  throw expired ? new TokenExpiredError({ detail }) : new InvalidTokenError({ detail })
}

/**
 * The node:crypto verification input for `key` under `profile`, or `null` when the key is not of
 * the type the algorithm needs, or is an RSA key under {@link MIN_RSA_BITS} bits (jose refuses
 * those too; handing them over lets it say so).
 */
function toVerifyKey (key: KeyObject, profile: Profile): VerifyKey | null {
  if (key.type !== 'public' || key.asymmetricKeyType !== profile.keyType) return null
  if (profile.keyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) < MIN_RSA_BITS) return null
  if (profile.signatureLength !== undefined) return { key, dsaEncoding: 'ieee-p1363' }
  if (profile.saltLength !== undefined) return { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: profile.saltLength }
  return key
}

/**
 * A signature that does not verify. The payload is not decoded yet, so a token with a character
 * outside base64url there is handed to jose, which refuses it for its shape, as JWTVerifier does
 * first: both paths then name the same check. Off the hot path: only refused tokens get here.
 */
function refuseSignature (token: string): undefined {
  if (!isCompactJWS(token)) return undefined
  throw new InvalidTokenError({ detail: SIGNATURE_DETAIL })
}

/**
 * An `iat` later than now plus the clock tolerance (seconds): a token issued in the future (a
 * forged token, or a provider whose clock is off). jose checks this only with `maxTokenAge`, which
 * would also make `iat` required; JWTVerifier applies it on both paths.
 */
export function isFutureIat (iat: unknown, clockTolerance: number): boolean {
  return typeof iat === 'number' && iat > Math.floor(Date.now() / 1000) + clockTolerance
}

/** An `aud` that is a string among `accepted`, or an array sharing one with it (RFC 7519 §4.1.3). */
function hasAudience (aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud)
  return Array.isArray(aud) && accepted.some((value) => aud.includes(value))
}
