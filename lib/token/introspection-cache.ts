/**
 * A bounded, expiring cache of remote answers, with concurrent loads of one key coalesced into a
 * single request: two {@link LocalStore}s (answers and refusals) and the loads in flight. Built
 * for RFC 7662 introspection (keys are SHA-256 digests of tokens, see {@link tokenKey}, and
 * values never hold the token); `request.userinfo()` uses it too.
 *
 * Positive answers live until the earlier of their own deadline (a token's `exp`) and `maxTTL`;
 * negative ones (`active: false`, wrong audience...) for `negativeTTL`, in a separate store, so a
 * flood of bad tokens can neither hammer the provider nor evict the good entries. Failures (the
 * provider is down) are never cached. When full, the oldest entries go first.
 *
 * @see RFC 7662 §4 (caching introspection responses, and the revocation trade-off)
 */
import { hash } from 'node:crypto'
import { LocalStore, type StoreEntry } from './cache-store.js'

/** Default longest time an introspection answer is trusted, in milliseconds (bounds revocation delay). */
export const DEFAULT_INTROSPECTION_CACHE_MAX_TTL = 60_000
/** Default largest number of cached positive answers (negative ones have as many again). */
export const DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES = 10_000
/** Default memory budget of the positive answers, in estimated bytes (16 MiB). */
export const DEFAULT_INTROSPECTION_CACHE_MAX_BYTES = 16 * 1024 * 1024
/** Default time a refused token is remembered as refused, in milliseconds. */
export const DEFAULT_NEGATIVE_CACHE_TTL = 5_000

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

/** Options of {@link OutcomeCache}; a duration of `0` disables the matching half. */
export interface OutcomeCacheOptions {
  /** Longest time a positive outcome is served, in milliseconds. */
  maxTTL: number
  /** Time a negative outcome is served, in milliseconds. */
  negativeTTL: number
  /** Most positive outcomes held (and, apart, as many negative ones). */
  maxEntries: number
  /** Estimated bytes of positive values. */
  maxBytes: number
}

/** What a remembered refusal costs, in estimated bytes (its key and entry). */
const NEGATIVE_ENTRY_BYTES = 128

/** See the module comment: two {@link LocalStore}s and the loads in flight. */
export class OutcomeCache<T> {
  readonly #positive: LocalStore<T>
  /** Apart, so a flood of refused keys never evicts a positive answer. */
  readonly #negative: LocalStore<RefusalReason>
  readonly #loading = new Map<string, Promise<Outcome<T>>>()

  constructor (options: OutcomeCacheOptions) {
    this.#positive = new LocalStore({ maxEntries: options.maxEntries, maxBytes: options.maxBytes, maxAge: options.maxTTL })
    this.#negative = new LocalStore({ maxEntries: options.maxEntries, maxBytes: options.maxEntries * NEGATIVE_ENTRY_BYTES, maxAge: options.negativeTTL })
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
    return this.#positive.bytes
  }

  /** Loads in flight. */
  get pending (): number {
    return this.#loading.size
  }

  /** The live cached outcome of `key`, if any. */
  get (key: string): Outcome<T> | undefined {
    const positive = this.#positive.get(key)
    if (positive !== undefined) return { active: true, value: positive.value, until: positive.until, bytes: positive.bytes }
    const negative = this.#negative.get(key)
    return negative === undefined ? undefined : { active: false, reason: negative.value }
  }

  /** The live positive entry of `key` itself, without allocating. */
  entry (key: string): StoreEntry<T> | undefined {
    return this.#positive.get(key)
  }

  /** Whether a positive entry handed out by {@link OutcomeCache.entry} is still the live one of its key. */
  holds (entry: StoreEntry<T>): boolean {
    return this.#positive.holds(entry)
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
    this.#positive.delete(key)
    this.#negative.delete(key)
  }

  /** Forgets everything. Loads in flight still complete and are stored. */
  clear (): void {
    this.#positive.clear()
    this.#negative.clear()
  }

  #store (key: string, outcome: Outcome<T>): void {
    if (!outcome.active) {
      this.#negative.set(key, outcome.reason, Infinity, NEGATIVE_ENTRY_BYTES)
      return
    }
    // A newer answer replaces whatever the key held (e.g. a refusal of a token that became valid).
    this.#negative.delete(key)
    this.#positive.set(key, outcome.value, outcome.until, outcome.bytes)
  }
}
