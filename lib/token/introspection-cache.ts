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
 * With a shared store (the `shared` argument), a local miss asks it before loading, a shared hit is copied into
 * the local level (so the next request with that key costs no round trip), and every outcome loaded
 * here is written there with the same deadline, before the waiters get it: once an instance
 * answered, every other instance finds the answer. A store that cannot answer is a miss.
 *
 * @see RFC 7662 §4 (caching introspection responses, and the revocation trade-off)
 */
import { hash } from 'node:crypto'
import { LocalStore, type StoreEntry } from './cache-store.js'
import type { Outcome, RefusalReason } from './outcome.js'
import type { SharedOutcomes } from './shared-outcomes.js'

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

export type { Outcome, RefusalReason } from './outcome.js'

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
  readonly #options: OutcomeCacheOptions
  readonly #shared: SharedOutcomes<T> | undefined

  /** `shared`: the second level shared between instances, if any. */
  constructor (options: OutcomeCacheOptions, shared?: SharedOutcomes<T>) {
    this.#options = options
    this.#shared = shared
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
   * shared store's, else the result of `load()`, stored as the options allow. A rejected load is
   * shared by its waiters and not stored. `secret` (the raw token) must not appear in what is
   * written to the shared store: an outcome whose text contains it stays local.
   */
  async load (key: string, load: () => Promise<Outcome<T>>, secret?: string): Promise<Outcome<T>> {
    const hit = this.get(key)
    if (hit !== undefined) return hit
    let loading = this.#loading.get(key)
    if (loading === undefined) {
      loading = this.#load(key, load, secret).finally(() => this.#loading.delete(key))
      this.#loading.set(key, loading)
    }
    return await loading
  }

  /** Forgets `key` (both halves, and in the shared store: resolves once it is gone there, or could not be). */
  async delete (key: string): Promise<void> {
    this.#positive.delete(key)
    this.#negative.delete(key)
    await this.#shared?.delete(key)
  }

  /** Forgets everything. Loads in flight still complete and are stored. */
  clear (): void {
    this.#positive.clear()
    this.#negative.clear()
  }

  async #load (key: string, load: () => Promise<Outcome<T>>, secret: string | undefined): Promise<Outcome<T>> {
    const shared = this.#shared
    if (shared !== undefined) {
      const found = await shared.get(key)
      if (found !== undefined) {
        this.#store(key, found.outcome, found.until)
        return found.outcome
      }
    }
    const outcome = await load()
    const now = Date.now()
    const until = outcome.active ? Math.min(outcome.until, now + this.#options.maxTTL) : now + this.#options.negativeTTL
    this.#store(key, outcome, until)
    // Awaited (bounded by the store's timeout): once this instance answered, the others find it.
    if (shared !== undefined) await shared.set(key, outcome, until, secret)
    return outcome
  }

  #store (key: string, outcome: Outcome<T>, until: number): void {
    if (!outcome.active) {
      this.#negative.set(key, outcome.reason, until, NEGATIVE_ENTRY_BYTES)
      return
    }
    // A newer answer replaces whatever the key held (e.g. a refusal of a token that became valid).
    this.#negative.delete(key)
    this.#positive.set(key, outcome.value, until, outcome.bytes)
  }
}
