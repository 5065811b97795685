import { calculateJwkThumbprint, exportJWK, generateKeyPair } from 'jose'
import type { CryptoKey, JWK } from 'jose'

/** JWS algorithms the local issuer can generate signing keys for. */
export const SIGNING_ALGORITHMS = ['RS256', 'PS256', 'ES256', 'ES384', 'EdDSA'] as const

/** One of {@link SIGNING_ALGORITHMS}. */
export type SigningAlgorithm = typeof SIGNING_ALGORITHMS[number]

/** A signing key pair of the local issuer, with its public JWK as published. */
export interface IssuerKeyPair {
  /** Key ID: the RFC 7638 JWK thumbprint (SHA-256) of the public key. */
  kid: string
  alg: SigningAlgorithm
  privateKey: CryptoKey
  publicKey: CryptoKey
  /** Public JWK with `kid`, `alg` and `use: 'sig'`; never holds private members. */
  publicJwk: JWK
}

/** Whether `value` names an algorithm in {@link SIGNING_ALGORITHMS}. */
export function isSigningAlgorithm (value: unknown): value is SigningAlgorithm {
  return (SIGNING_ALGORITHMS as readonly unknown[]).includes(value)
}

/**
 * Generates an extractable key pair for `alg` (RSA keys are 2048 bits, EdDSA uses Ed25519).
 * @see https://www.rfc-editor.org/rfc/rfc7638 for the `kid` derivation
 */
export async function generateIssuerKeyPair (alg: SigningAlgorithm): Promise<IssuerKeyPair> {
  const { privateKey, publicKey } = await generateKeyPair(alg, { extractable: true })
  const jwk = await exportJWK(publicKey)
  const kid = await calculateJwkThumbprint(jwk)
  return { kid, alg, privateKey, publicKey, publicJwk: { ...jwk, kid, alg, use: 'sig' } }
}

/**
 * The issuer's keys: every key ever created (so tests can still reach removed ones),
 * which of them are published, and the active signing key per algorithm.
 */
export class KeyStore {
  readonly #keys = new Map<string, IssuerKeyPair>()
  readonly #published = new Set<string>()
  readonly #active = new Map<SigningAlgorithm, string>()

  /** Adds `pair`, publishes it and makes it the signing key for its algorithm. */
  add (pair: IssuerKeyPair): void {
    this.#keys.set(pair.kid, pair)
    this.#published.add(pair.kid)
    this.#active.set(pair.alg, pair.kid)
  }

  /** The signing key for `alg`, or `undefined` when the store has none. */
  active (alg: string): IssuerKeyPair | undefined {
    const kid = this.#active.get(alg as SigningAlgorithm)
    return kid === undefined ? undefined : this.#keys.get(kid)
  }

  /** The key pair for `kid`, published or not, or `undefined`. */
  get (kid: string): IssuerKeyPair | undefined {
    return this.#keys.get(kid)
  }

  /** Takes `kid` out of the JWKS; the pair stays reachable through {@link KeyStore.get}. */
  unpublish (kid: string): boolean {
    return this.#published.delete(kid)
  }

  /** Algorithms that have a signing key, in the order they were first added. */
  algorithms (): SigningAlgorithm[] {
    return [...this.#active.keys()]
  }

  /** The published JWK Set; each call returns fresh copies. */
  jwks (): { keys: JWK[] } {
    return { keys: [...this.#published].map((kid) => structuredClone(this.#keys.get(kid)!.publicJwk)) }
  }
}
