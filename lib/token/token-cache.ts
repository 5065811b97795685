/**
 * Remembers tokens already validated, so a client reusing its token (the common case) costs a
 * map lookup instead of a signature check. An entry is never served past the token's `exp` nor
 * past `maxAge`, and the cache is bounded by entries and by an estimate of bytes; when full, the
 * oldest entries go first.
 *
 * The map is keyed by the token's last {@link KEY_LENGTH} characters (a JWT's signature) and a hit
 * is confirmed by comparing the whole token: V8 hashes every character of a string used as a key,
 * and a token is a new string on every request, so a key of the whole token costs a hash of several
 * hundred characters per lookup (~0.8 µs measured for a 700-character token). Two tokens sharing
 * their last characters only replace each other; a token is never answered for another. Only
 * validated tokens are stored, so no one can choose the keys.
 *
 * When the cache is full of live entries, a new token is admitted only the second time it is
 * validated within a while (a "doorkeeper", as in TinyLFU): a server seeing more distinct tokens
 * than it can hold (the worst case) would otherwise evict and store on every request, and keep
 * every result alive long enough to burden the garbage collector, for entries nobody asks for
 * again. A client reusing its token gets it cached on its second request instead of its first.
 *
 * Eviction order is kept in a queue of its own rather than read from the Map: V8 leaves a hole
 * for every deleted Map entry until the table is rebuilt, so "the first entry" of a Map that
 * evicts on every insert costs a scan over up to a table's worth of holes (measured: ~0.5 µs per
 * insert at 1,000 entries, in the many-tokens case where every request inserts).
 */

/** Default largest number of cached tokens. */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000
/** Default memory budget of the cache, in bytes (an estimate: 3 bytes per token character plus 256). */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024
/** Default longest time an entry is kept, in milliseconds (bounds how long a removed signing key is still honoured). */
export const DEFAULT_CACHE_MAX_AGE = 600_000
/** How many trailing characters of a token key the map (see the module comment). */
export const KEY_LENGTH = 32

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  maxEntries: number
  /** Bytes. */
  maxBytes: number
  /** Milliseconds. */
  maxAge: number
}

interface Entry<T> {
  key: string
  token: string
  value: T
  /** Epoch milliseconds after which the entry is dead; 0 once it left the cache (and only then). */
  until: number
  bytes: number
}

/** Characters of the key the doorkeeper's fingerprint is taken from. */
const FINGERPRINT_LENGTH = 8

const keyOf = (token: string): string => token.length > KEY_LENGTH ? token.slice(-KEY_LENGTH) : token

/** A bounded map from token to validation result. */
export class TokenCache<T> {
  readonly #entries = new Map<string, Entry<T>>()
  readonly #options: TokenCacheOptions
  #bytes = 0
  /** Entries in insertion order from `#head` on; some may be stale (deleted or replaced). */
  #queue: Array<Entry<T>> = []
  #head = 0
  /** Fingerprints of tokens refused admission while full; made when first needed. */
  #doorkeeper: Uint32Array | undefined

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
    return this.entry(token)?.value
  }

  /**
   * The live entry: its value and the epoch milliseconds until which it may be served. The object
   * stays current: once the entry is deleted, replaced, evicted or cleared, its `until` becomes 0.
   */
  entry (token: string): Readonly<{ value: T, until: number }> | undefined {
    const entry = this.#entries.get(keyOf(token))
    if (entry === undefined || entry.token !== token) return undefined
    if (Date.now() >= entry.until) {
      this.#delete(entry)
      return undefined
    }
    return entry
  }

  /** Caches `value` until `expiresAt` (epoch milliseconds) or `maxAge` from now, whichever is first. */
  set (token: string, value: T, expiresAt: number): void {
    const now = Date.now()
    const until = Math.min(expiresAt, now + this.#options.maxAge)
    if (!(until > now)) return
    const bytes = token.length * 3 + 256
    if (bytes > this.#options.maxBytes) return
    const key = keyOf(token)
    const old = this.#entries.get(key)
    if (old !== undefined) this.#delete(old)
    else if (this.#isFull(bytes, now) && !this.#seenBefore(key)) return
    const entry: Entry<T> = { key, token, value, until, bytes }
    this.#entries.set(key, entry)
    this.#queue.push(entry)
    this.#bytes += bytes
    while (this.#entries.size > this.#options.maxEntries || this.#bytes > this.#options.maxBytes) {
      const oldest = this.#queue[this.#head++]
      if (oldest.until !== 0) this.#delete(oldest)
    }
    this.#compact()
  }

  /** Drops one token. */
  delete (token: string): void {
    const entry = this.#entries.get(keyOf(token))
    if (entry !== undefined && entry.token === token) this.#delete(entry)
  }

  /** Drops everything. */
  clear (): void {
    for (const entry of this.#entries.values()) entry.until = 0
    this.#entries.clear()
    this.#queue = []
    this.#head = 0
    this.#bytes = 0
  }

  /** Whether storing `bytes` more would evict a live entry; drops dead entries at the head first. */
  #isFull (bytes: number, now: number): boolean {
    while (this.#head < this.#queue.length) {
      const oldest = this.#queue[this.#head]
      if (oldest.until !== 0) {
        if (now < oldest.until) break
        this.#delete(oldest)
      }
      this.#head++
    }
    return this.#entries.size >= this.#options.maxEntries || this.#bytes + bytes > this.#options.maxBytes
  }

  /**
   * The doorkeeper: true when `key` was refused admission lately. One 32-bit fingerprint per slot,
   * as many slots as entries (a power of two): "lately" is about the last `maxEntries` refusals.
   * The fingerprint is taken from the key's last {@link FINGERPRINT_LENGTH} characters, a JWT's
   * signature (48 random bits): enough to tell tokens apart, and a false match only admits a token
   * one validation early.
   */
  #seenBefore (key: string): boolean {
    this.#doorkeeper ??= new Uint32Array(2 ** Math.ceil(Math.log2(Math.min(Math.max(this.#options.maxEntries, 64), 1 << 20))))
    // FNV-1a; never 0, the empty slot.
    let hash = 0x811c9dc5
    for (let i = Math.max(0, key.length - FINGERPRINT_LENGTH); i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
    const fingerprint = (hash | 1) >>> 0
    const slot = fingerprint & (this.#doorkeeper.length - 1)
    if (this.#doorkeeper[slot] === fingerprint) {
      this.#doorkeeper[slot] = 0
      return true
    }
    this.#doorkeeper[slot] = fingerprint
    return false
  }

  /** Drops the queue's consumed and stale slots once they outnumber the live entries (amortised O(1)). */
  #compact (): void {
    const slots = this.#queue.length - this.#head
    if (this.#head < Math.max(1024, this.#entries.size) && slots <= 2 * this.#entries.size + 1024) return
    this.#queue = this.#queue.slice(this.#head).filter((entry) => entry.until !== 0)
    this.#head = 0
  }

  #delete (entry: Entry<T>): void {
    this.#entries.delete(entry.key)
    this.#bytes -= entry.bytes
    // Whoever still holds the entry (fastify/connection-memo.ts) sees it dead from now on.
    entry.until = 0
  }
}
