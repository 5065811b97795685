/**
 * Remembers tokens already validated, so a client reusing its token (the common case) costs a
 * map lookup instead of a signature check. Keyed by the token string itself: hashing it on every
 * hit would cost more than the lookup. An entry is never served past the token's `exp` nor past
 * `maxAge`, and the cache is bounded by entries and by an estimate of bytes; when full, the
 * oldest entries go first.
 */

/** Default largest number of cached tokens. */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000
/** Default memory budget of the cache, in bytes (an estimate: 3 bytes per token character plus 256). */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024
/** Default longest time an entry is kept, in milliseconds (bounds how long a removed signing key is still honoured). */
export const DEFAULT_CACHE_MAX_AGE = 600_000

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  maxEntries: number
  /** Bytes. */
  maxBytes: number
  /** Milliseconds. */
  maxAge: number
}

interface Entry<T> {
  value: T
  /** Epoch milliseconds after which the entry is dead. */
  until: number
  bytes: number
}

/** A bounded map from token to validation result. */
export class TokenCache<T> {
  readonly #entries = new Map<string, Entry<T>>()
  readonly #options: TokenCacheOptions
  #bytes = 0

  constructor (options: TokenCacheOptions) {
    this.#options = options
  }

  /** Number of live-or-not-yet-swept entries. */
  get size (): number {
    return this.#entries.size
  }

  /** Estimated bytes held. */
  get bytes (): number {
    return this.#bytes
  }

  /** The cached value, or `undefined` when absent or expired (an expired entry is dropped). */
  get (token: string): T | undefined {
    const entry = this.#entries.get(token)
    if (entry === undefined) return undefined
    if (Date.now() >= entry.until) {
      this.#delete(token, entry)
      return undefined
    }
    return entry.value
  }

  /** Caches `value` until `expiresAt` (epoch milliseconds) or `maxAge` from now, whichever is first. */
  set (token: string, value: T, expiresAt: number): void {
    const until = Math.min(expiresAt, Date.now() + this.#options.maxAge)
    if (!(until > Date.now())) return
    const bytes = token.length * 3 + 256
    if (bytes > this.#options.maxBytes) return
    const old = this.#entries.get(token)
    if (old !== undefined) this.#delete(token, old)
    this.#entries.set(token, { value, until, bytes })
    this.#bytes += bytes
    for (const [key, entry] of this.#entries) {
      if (this.#entries.size <= this.#options.maxEntries && this.#bytes <= this.#options.maxBytes) break
      this.#delete(key, entry)
    }
  }

  /** Drops one token. */
  delete (token: string): void {
    const entry = this.#entries.get(token)
    if (entry !== undefined) this.#delete(token, entry)
  }

  /** Drops everything. */
  clear (): void {
    this.#entries.clear()
    this.#bytes = 0
  }

  #delete (token: string, entry: Entry<T>): void {
    this.#entries.delete(token)
    this.#bytes -= entry.bytes
  }
}
