/**
 * A bounded, expiring cache of remote answers, with concurrent loads of one key coalesced into a
 * single request. Built for RFC 7662 introspection (keys are SHA-256 digests of tokens, see
 * {@link tokenKey}, and values never hold the token); `request.userinfo()` uses it too.
 *
 * Positive answers live until the earlier of their own deadline (a token's `exp`) and `maxTTL`;
 * negative ones (`active: false`, wrong audience...) for `negativeTTL`, in a separate map, so a
 * flood of bad tokens can neither hammer the provider nor evict the good entries. Failures (the
 * provider is down) are never cached. When full, the oldest entries go first.
 *
 * @see RFC 7662 §4 (caching introspection responses, and the revocation trade-off)
 */
import { hash } from 'node:crypto'

/** Default longest time an introspection answer is trusted, in seconds (bounds revocation delay). */
export const DEFAULT_INTROSPECTION_CACHE_MAX_TTL = 60
/** Default largest number of cached positive answers (negative ones have as many again). */
export const DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES = 10_000
/** Default memory budget of the positive answers, in estimated bytes (16 MiB). */
export const DEFAULT_INTROSPECTION_CACHE_MAX_BYTES = 16 * 1024 * 1024
/** Default time a refused token is remembered as refused, in seconds. */
export const DEFAULT_NEGATIVE_CACHE_TTL = 5

/** The cache key of a token: its SHA-256, base64url. The raw token is never a key. */
export function tokenKey (token: string): string {
  // The one-shot hash: a Hash object per call costs more than the digest itself (hot path of a warm cache).
  return hash('sha256', token, 'base64url')
}

/** Why a negative answer refused: invalid in any way, or outside its validity period. */
export type RefusalReason = 'invalid' | 'expired'

/** What a load produced. */
export type Outcome<T> =
  | { readonly active: true, readonly value: T, /** Epoch ms after which `value` is dead; `Infinity` if unknown. */ readonly until: number, /** Estimated size. */ readonly bytes: number }
  | { readonly active: false, readonly reason: RefusalReason }

/** Options of {@link OutcomeCache}; `0` disables the matching half. */
export interface OutcomeCacheOptions {
  /** Milliseconds. */
  maxTTL: number
  /** Milliseconds. */
  negativeTTL: number
  maxEntries: number
  /** Estimated bytes of positive values. */
  maxBytes: number
}

/** A positive entry; `until` drops to 0 once it leaves the cache, so whoever holds it sees it dead. */
interface Positive<T> { value: T, until: number, bytes: number }
interface Negative { reason: RefusalReason, until: number }

/** See the module comment. */
export class OutcomeCache<T> {
  readonly #options: OutcomeCacheOptions
  readonly #positive = new Map<string, Positive<T>>()
  readonly #negative = new Map<string, Negative>()
  readonly #loading = new Map<string, Promise<Outcome<T>>>()
  #bytes = 0

  constructor (options: OutcomeCacheOptions) {
    this.#options = options
  }

  /** Positive entries held (expired ones included until swept). */
  get size (): number {
    return this.#positive.size
  }

  /** Negative entries held. */
  get negativeSize (): number {
    return this.#negative.size
  }

  /** Estimated bytes of the positive entries. */
  get bytes (): number {
    return this.#bytes
  }

  /** Loads in flight. */
  get pending (): number {
    return this.#loading.size
  }

  /** The live cached outcome of `key`, if any. */
  get (key: string): Outcome<T> | undefined {
    const now = Date.now()
    const positive = this.#positive.get(key)
    if (positive !== undefined) {
      if (now < positive.until) return { active: true, value: positive.value, until: positive.until, bytes: positive.bytes }
      this.#deletePositive(key, positive)
    }
    const negative = this.#negative.get(key)
    if (negative !== undefined) {
      if (now < negative.until) return { active: false, reason: negative.reason }
      this.#negative.delete(key)
    }
    return undefined
  }

  /**
   * The live positive entry of `key` itself, without allocating: its value and the epoch
   * milliseconds until which it may be served. The object stays current: once the entry is
   * deleted, replaced, evicted or cleared, its `until` becomes 0 (fastify/connection-memo.ts).
   */
  entry (key: string): Readonly<{ value: T, until: number }> | undefined {
    const positive = this.#positive.get(key)
    if (positive === undefined) return undefined
    if (Date.now() < positive.until) return positive
    this.#deletePositive(key, positive)
    return undefined
  }

  /**
   * The cached outcome, else the one a load already in flight for `key` will give, else the
   * result of `load()`, stored as the options allow. A rejected load is shared by its waiters and
   * not stored.
   */
  async load (key: string, load: () => Promise<Outcome<T>>): Promise<Outcome<T>> {
    const hit = this.get(key)
    if (hit !== undefined) return hit
    let loading = this.#loading.get(key)
    if (loading === undefined) {
      loading = load().then((outcome) => {
        this.#store(key, outcome)
        return outcome
      }).finally(() => this.#loading.delete(key))
      this.#loading.set(key, loading)
    }
    return await loading
  }

  /** Forgets `key` (both halves). */
  delete (key: string): void {
    const positive = this.#positive.get(key)
    if (positive !== undefined) this.#deletePositive(key, positive)
    this.#negative.delete(key)
  }

  /** Forgets everything. Loads in flight still complete and are stored. */
  clear (): void {
    for (const entry of this.#positive.values()) entry.until = 0
    this.#positive.clear()
    this.#negative.clear()
    this.#bytes = 0
  }

  #store (key: string, outcome: Outcome<T>): void {
    const now = Date.now()
    const { maxTTL, negativeTTL, maxEntries, maxBytes } = this.#options
    if (!outcome.active) {
      if (negativeTTL <= 0) return
      this.#negative.delete(key)
      this.#negative.set(key, { reason: outcome.reason, until: now + negativeTTL })
      for (const oldest of this.#negative.keys()) {
        if (this.#negative.size <= maxEntries) break
        this.#negative.delete(oldest)
      }
      return
    }
    const until = Math.min(outcome.until, now + maxTTL)
    if (!(until > now) || outcome.bytes > maxBytes) return
    // A newer answer replaces whatever the key held (e.g. a refusal of a token that became valid).
    this.delete(key)
    this.#positive.set(key, { value: outcome.value, until, bytes: outcome.bytes })
    this.#bytes += outcome.bytes
    for (const [oldest, entry] of this.#positive) {
      if (this.#positive.size <= maxEntries && this.#bytes <= maxBytes) break
      this.#deletePositive(oldest, entry)
    }
  }

  #deletePositive (key: string, entry: Positive<T>): void {
    this.#positive.delete(key)
    this.#bytes -= entry.bytes
    entry.until = 0
  }
}
