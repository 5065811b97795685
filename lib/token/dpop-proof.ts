/**
 * Checks a DPoP proof (RFC 9449 §4.3) presented with a DPoP-bound access token, completely and in
 * the RFC's order: one `DPoP` header holding one JWT; `typ` `dpop+jwt`; an allow-listed
 * asymmetric `alg`; a public `jwk` (no private member) that verifies the signature; `jti`, `htm`,
 * `htu`, `iat` and `ath` present and of the right type; `htm` the request's method; `htu` the
 * request's URL, both normalised (RFC 3986 §6.2.2, §6.2.3) without query and fragment; the server
 * nonce when nonces are on; `iat` within the window; `ath` the SHA-256 of the access token; the
 * RFC 7638 thumbprint of `jwk` equal to the token's `cnf.jkt`; then `jti` not seen before, through
 * the {@link ReplayStore}, keyed by a digest of the key thumbprint and the `jti`.
 *
 * Not checked: proofs at the authorization server (no `ath`), `x5t#S256` (mTLS) bindings.
 *
 * @see RFC 9449 §4.2 (the proof), §4.3 (checks), §6.1 (`cnf.jkt`), §7.1 (`ath`), §11.1 (replay)
 * @see RFC 7638 (JWK thumbprint)
 */
import { createHash } from 'node:crypto'
import { calculateJwkThumbprint, compactVerify, decodeProtectedHeader, importJWK, type JWK } from 'jose'
import { InvalidDPoPProofError, TokenBindingError, UseDPoPNonceError } from '../errors.js'
import type { DPoPNonces } from './dpop-nonce.js'
import type { ReplayStore } from './replay-store.js'
import type { DPoPOffer } from './www-authenticate.js'

/** Every algorithm a proof may be signed with (all asymmetric); the option picks among them. */
export const DPOP_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'EdDSA', 'Ed25519'])
/** Default algorithms accepted for proofs. */
export const DEFAULT_DPOP_ALGORITHMS: readonly string[] = Object.freeze(['ES256', 'RS256', 'PS256', 'EdDSA'])
/** Default time after its `iat` a proof is accepted, in milliseconds (clock tolerance added on both sides). */
export const DEFAULT_DPOP_IAT_WINDOW = 60_000
/** Longest `DPoP` header accepted, in characters (a proof with an RSA-4096 key is under 2,000). */
export const MAX_DPOP_PROOF_LENGTH = 8192

/** JWK members that only a private or symmetric key has (RFC 7517 §9.1 / RFC 7518 §6). */
const PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k']
const KEY_TYPES = new Set(['EC', 'RSA', 'OKP'])
const JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/

/** Options of {@link DPoPVerifier}. */
export interface DPoPVerifierOptions {
  algorithms: readonly string[]
  /** Milliseconds. */
  iatWindow: number
  /** Milliseconds. */
  clockTolerance: number
  replay: ReplayStore
  /** `null`: no server nonces. */
  nonces: DPoPNonces | null
  /** Whether plain Bearer tokens are refused (mode `required`). */
  required: boolean
}

/** What a request brings for the proof check. */
export interface DPoPRequest {
  /** The `DPoP` header value(s), as Node gives them. */
  proof: string | readonly string[] | undefined
  /** The raw header name/value list, where a second `DPoP` header shows. */
  rawHeaders?: readonly string[] | undefined
  /** The request method, e.g. `GET`. */
  method: string
  /** The request's absolute URL (the query and fragment are ignored). */
  url: string
}

/** Checks proofs; see the module comment. */
export class DPoPVerifier {
  /** What challenges offer: the algorithms, and whether Bearer is still accepted. */
  readonly offer: DPoPOffer
  readonly #options: DPoPVerifierOptions
  readonly #algorithms: ReadonlySet<string>

  constructor (options: DPoPVerifierOptions) {
    this.#options = options
    this.#algorithms = new Set(options.algorithms)
    this.offer = Object.freeze({ algs: options.algorithms.join(' '), bearer: !options.required })
  }

  /** Whether plain Bearer tokens are refused. */
  get required (): boolean {
    return this.#options.required
  }

  /** A nonce to hand out now, or `undefined` when nonces are off. */
  nonce (): string | undefined {
    return this.#options.nonces?.current()
  }

  /**
   * Resolves when the request's proof fits `token`, bound to the key of thumbprint `jkt`; rejects
   * with {@link InvalidDPoPProofError}, {@link UseDPoPNonceError} or {@link TokenBindingError}.
   */
  async verify (request: DPoPRequest, token: string, jkt: string): Promise<void> {
    const proof = singleProof(request.proof, request.rawHeaders)
    if (proof.length > MAX_DPOP_PROOF_LENGTH || !JWS.test(proof)) throw new InvalidDPoPProofError('malformed')
    let header
    try {
      header = decodeProtectedHeader(proof)
    } catch (err) {
      throw new InvalidDPoPProofError('malformed', { cause: err })
    }
    const { typ, alg, jwk } = header
    if (typ !== 'dpop+jwt' || typeof alg !== 'string' || !this.#algorithms.has(alg) || !isPublicJWK(jwk)) throw new InvalidDPoPProofError('header')
    let payload
    try {
      const key = await importJWK(jwk, alg)
      payload = (await compactVerify(proof, key, { algorithms: [alg] })).payload
    } catch (err) {
      throw new InvalidDPoPProofError('signature', { cause: err })
    }
    const claims = parseClaims(payload)
    if (claims.htm !== request.method) throw new InvalidDPoPProofError('htm')
    const htu = normalizeHTU(claims.htu)
    if (htu === null || htu !== normalizeHTU(request.url)) throw new InvalidDPoPProofError('htu')
    const nonces = this.#options.nonces
    if (nonces !== null && !nonces.accepts(claims.nonce)) throw new UseDPoPNonceError(nonces.current())
    const { iatWindow, clockTolerance } = this.#options
    const iat = claims.iat * 1000
    const now = Date.now()
    if (iat - clockTolerance > now || iat + iatWindow + clockTolerance < now) throw new InvalidDPoPProofError('iat')
    if (claims.ath !== sha256(token)) throw new InvalidDPoPProofError('ath')
    if (await calculateJwkThumbprint(jwk, 'sha256') !== jkt) throw new TokenBindingError('key-mismatch', { scheme: 'DPoP' })
    // Last, so that a proof refused for another reason does not use up its jti.
    const fresh = await this.#options.replay.firstUse(sha256(`${jkt}.${claims.jti}`), iat + iatWindow + clockTolerance + 1000)
    if (!fresh) throw new InvalidDPoPProofError('replayed')
  }
}

/** The one proof of the request: RFC 9449 §4.3 check 1 (Node joins repeated `DPoP` headers with ", "). */
function singleProof (proof: string | readonly string[] | undefined, rawHeaders: readonly string[] | undefined): string {
  if (proof === undefined) throw new InvalidDPoPProofError('missing')
  if (typeof proof !== 'string' || proof.includes(',') || (rawHeaders !== undefined && countHeader(rawHeaders, 'dpop') > 1)) {
    throw new InvalidDPoPProofError('multiple')
  }
  if (proof === '') throw new InvalidDPoPProofError('missing')
  return proof
}

function countHeader (rawHeaders: readonly string[], name: string): number {
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) if (rawHeaders[i].toLowerCase() === name) count++
  return count
}

/** A public asymmetric JWK: an object of a known `kty` with no private or symmetric member (RFC 9449 §4.3 check 7). */
function isPublicJWK (jwk: unknown): jwk is JWK {
  if (jwk === null || typeof jwk !== 'object' || Array.isArray(jwk)) return false
  const { kty } = jwk as Record<string, unknown>
  return typeof kty === 'string' && KEY_TYPES.has(kty) && !PRIVATE_MEMBERS.some((name) => Object.hasOwn(jwk, name))
}

interface ProofClaims { jti: string, htm: string, htu: string, iat: number, ath: string, nonce?: unknown }

/** The claims every proof to a resource server carries (RFC 9449 §4.2, §7.1), of the right types. */
function parseClaims (payload: Uint8Array): ProofClaims {
  let claims: Record<string, unknown>
  try {
    claims = JSON.parse(Buffer.from(payload).toString('utf8'))
  } catch (err) {
    throw new InvalidDPoPProofError('claims', { cause: err })
  }
  if (claims === null || typeof claims !== 'object' || Array.isArray(claims)) throw new InvalidDPoPProofError('claims')
  const { jti, htm, htu, iat, ath } = claims
  if (typeof jti !== 'string' || jti === '' || jti.length > 256 || typeof htm !== 'string' || typeof htu !== 'string' ||
    typeof iat !== 'number' || !Number.isFinite(iat) || typeof ath !== 'string') {
    throw new InvalidDPoPProofError('claims')
  }
  return { jti, htm, htu, iat, ath, nonce: claims.nonce }
}

/**
 * An HTTP(S) URL without query and fragment, normalised as RFC 9449 §4.3 asks (RFC 3986 §6.2.2,
 * §6.2.3): scheme and host lower case, default port dropped, dot segments resolved (by the WHATWG
 * URL parser), percent-encodings upper case and unreserved characters decoded. `null` if not one.
 */
export function normalizeHTU (value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return null
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null
  const path = url.pathname.replace(/%([0-9A-Fa-f]{2})/g, (_, hex: string) => {
    const char = String.fromCharCode(parseInt(hex, 16))
    return /[A-Za-z0-9\-._~]/.test(char) ? char : `%${hex.toUpperCase()}`
  })
  return `${url.protocol}//${url.host}${path}`
}

function sha256 (value: string): string {
  return createHash('sha256').update(value).digest('base64url')
}
