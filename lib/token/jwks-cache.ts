/**
 * The provider's signing keys, fetched from `jwks_uri` and kept in memory.
 *
 * - Keys are refreshed when older than `maxAge`; if that refresh fails, the keys already held
 *   keep working (an outage must not lock out valid tokens), and the failure is retried on the
 *   next request after that.
 * - A token whose `kid` is unknown triggers at most one refetch per `cooldown`, so a flood of
 *   forged `kid`s cannot turn into a flood of requests to the provider.
 * - After a failed fetch, the next attempt waits min(`cooldown`, {@link JWKS_FAILURE_BACKOFF}), shorter than the default `Retry-After`;
 *   meanwhile held keys keep working and, with none held, requests fail at once (503).
 * - Concurrent callers share one request.
 *
 * Keys come only from `jwks_uri`: `jwk`, `jku`, `x5u` and `x5c` token headers are never used.
 *
 * Which key a token gets is jose's choice (`createLocalJWKSet`, by the header's `alg` and `kid`:
 * `kty`, `crv`, `alg`, `use` and `key_ops` of the keys). For the node:crypto fast path
 * (fast-verifier.ts), {@link JWKSCache.verificationKey} turns that choice into a node:crypto
 * `KeyObject` and {@link JWKSCache.knownKey} answers it again without waiting, for as long as the
 * same key set is held and needs no refresh: jose's documented selection depends on the set and
 * on those two header parameters only.
 *
 * @see RFC 7517 §5 (JWK Set), RFC 7515 §4.1 (header parameters)
 */
import { KeyObject } from 'node:crypto'
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWSHeaderParameters, type FlattenedJWSInput } from 'jose'
import { fetchJSON, ProviderRequestError } from './http.js'

/** Default minimum time between two refetches caused by unknown `kid`s, in milliseconds. */
export const DEFAULT_JWKS_COOLDOWN = 30_000
/** Default age after which keys are refreshed, in milliseconds (a removed key stops working after at most this). */
export const DEFAULT_JWKS_MAX_AGE = 600_000

/** Longest wait after a failed fetch before the next attempt, in milliseconds (shorter when `cooldown` is). */
export const JWKS_FAILURE_BACKOFF = 1_000

/** Options of {@link JWKSCache}. */
export interface JWKSCacheOptions {
  /** Milliseconds per request. */
  timeout: number
  /** Milliseconds between refetches caused by unknown `kid`s. */
  cooldown: number
  /** Milliseconds after which keys are refreshed. */
  maxAge: number
}

type KeyResolver = ReturnType<typeof createLocalJWKSet>
type ResolvedKey = Awaited<ReturnType<KeyResolver>>

/** The JWKS could not be fetched when it was needed; carries the request failure as `cause`. */
export class JWKSUnavailableError extends Error {
  constructor (cause: unknown) {
    super('JWKS unavailable', { cause })
    this.name = 'JWKSUnavailableError'
  }
}

/** In-memory JWKS with refresh, stale-if-error and a refetch cooldown. */
export class JWKSCache {
  readonly #uri: () => Promise<string | undefined>
  readonly #options: JWKSCacheOptions
  #resolver: KeyResolver | undefined
  #fetchedAt = 0
  #lastAttempt = -Infinity
  #lastFailed = false
  #lastError: unknown
  #pending: Promise<void> | undefined
  /** Keys jose chose from the current set, by `alg` then `kid`; replaced with each new set. */
  #known = new Map<string, Map<string, KeyObject>>()
  /** Counts the sets fetched, so a choice made across a refetch is not remembered for the new set. */
  #sets = 0
  /** Number of JWKS requests made, for tests and metrics. */
  fetches = 0

  constructor (uri: () => Promise<string | undefined>, options: JWKSCacheOptions) {
    this.#uri = uri
    this.#options = options
  }

  /** The key for a token header, in the shape jose's `jwtVerify` accepts as its key function. */
  readonly key = async (header: JWSHeaderParameters, input: FlattenedJWSInput): Promise<ResolvedKey> => (await this.#lookup(header, input)).key

  /** The key for a header, and the number of the key set it was chosen from. */
  async #lookup (header: JWSHeaderParameters, input: FlattenedJWSInput): Promise<{ key: ResolvedKey, set: number }> {
    if (this.#resolver === undefined) {
      if (this.#backingOff()) throw new JWKSUnavailableError(this.#lastError)
      await this.#reload()
    } else if (Date.now() - this.#fetchedAt > this.#options.maxAge && !this.#backingOff()) {
      await this.#reload().catch(() => {})
    }
    try {
      return await this.#resolveIn(header, input)
    } catch (err) {
      if (!(err instanceof errors.JWKSNoMatchingKey)) throw err
      // An unknown kid may be a rotation we have not seen yet; during an outage it must not read as forged.
      if (Date.now() - this.#lastAttempt < this.#options.cooldown) {
        if (this.#lastFailed) throw new JWKSUnavailableError(err)
        throw err
      }
      await this.#reload()
      return await this.#resolveIn(header, input)
    }
  }

  async #resolveIn (header: JWSHeaderParameters, input: FlattenedJWSInput): Promise<{ key: ResolvedKey, set: number }> {
    const set = this.#sets
    return { key: await this.#resolver!(header, input), set }
  }

  /**
   * The key {@link JWKSCache.key} chooses for a token header, as a node:crypto `KeyObject` (made
   * from jose's CryptoKey with `KeyObject.from`); remembered for {@link JWKSCache.knownKey} when
   * the header has a string `kid`. Rejects as `key` does.
   */
  async verificationKey (header: JWSHeaderParameters, input: FlattenedJWSInput): Promise<KeyObject> {
    const { key, set } = await this.#lookup(header, input)
    const keyObject = KeyObject.from(key as CryptoKey)
    const { alg, kid } = header
    // Remembered only if the set it was chosen from is still the current one.
    if (typeof alg === 'string' && typeof kid === 'string' && set === this.#sets) {
      let byKid = this.#known.get(alg)
      if (byKid === undefined) this.#known.set(alg, byKid = new Map())
      byKid.set(kid, keyObject)
    }
    return keyObject
  }

  /**
   * The key {@link JWKSCache.verificationKey} gave for this `alg` and `kid`, without waiting, while
   * the same key set is held and is no older than `maxAge`; `undefined` otherwise (then
   * `verificationKey` refreshes the set or looks the key up).
   */
  knownKey (alg: string, kid: string): KeyObject | undefined {
    if (Date.now() - this.#fetchedAt > this.#options.maxAge) return undefined
    return this.#known.get(alg)?.get(kid)
  }

  /** True shortly after a failed fetch: an outage costs the provider one request per backoff, not one per token. */
  #backingOff (): boolean {
    return this.#lastFailed && Date.now() - this.#lastAttempt < Math.min(this.#options.cooldown, JWKS_FAILURE_BACKOFF)
  }

  /** Fetches the keys now, sharing a request already under way. Rejects with {@link JWKSUnavailableError}. */
  async #reload (): Promise<void> {
    this.#pending ??= this.#fetch().finally(() => { this.#pending = undefined })
    return await this.#pending
  }

  async #fetch (): Promise<void> {
    this.#lastAttempt = Date.now()
    this.fetches++
    try {
      const uri = await this.#uri()
      if (uri === undefined) throw new ProviderRequestError('status', 'about:blank')
      const jwks = await fetchJSON(uri, { timeout: this.#options.timeout })
      if (!Array.isArray(jwks.keys)) throw new ProviderRequestError('invalid-json', uri)
      this.#resolver = createLocalJWKSet(jwks as unknown as JSONWebKeySet)
      this.#known = new Map()
      this.#sets++
      this.#fetchedAt = Date.now()
      this.#lastFailed = false
    } catch (err) {
      this.#lastFailed = true
      this.#lastError = err
      throw new JWKSUnavailableError(err)
    }
  }
}
