/**
 * The one cache primitive of the package: a bounded, expiring key → value store. The token cache,
 * the introspection cache (its answers and its refusals) and the userinfo cache are each one
 * {@link LocalStore} with their own key and limits; nothing else keeps validation results.
 *
 * - Bounded by entries and by (estimated) bytes; when full, the oldest entry goes first.
 * - `exp`-aware: an entry is never served at or past the earlier of its own deadline (a token's
 *   `exp`) and `maxAge` after it was stored.
 * - Invalidation is explicit: {@link LocalStore.delete} and {@link LocalStore.clear}. An entry handed
 *   out is never changed afterwards; whoever keeps one (the connection memo) asks
 *   {@link LocalStore.holds} whether it is still the live entry of its key.
 * - Synchronous, so that a cached answer costs no promise on the hot path.
 *
 * A store shared between instances (Redis...) is asynchronous by nature: it goes behind a local
 * store as a second level (shared-store.ts, shared-outcomes.ts), consulted only when the local
 * level misses, so this one stays synchronous.
 *
 * Durations are epoch milliseconds and milliseconds, like every duration option of the plugin.
 */

/** A live entry: its value, and the epoch milliseconds until which it may be served. Never changed once handed out. */
export interface StoreEntry<T> {
  readonly key: string
  readonly value: T
  /** Epoch milliseconds; the entry is served while `Date.now() < until`. */
  readonly until: number
  /** Estimated size, counted against `maxBytes`. */
  readonly bytes: number
}

/** Options of {@link LocalStore}. */
export interface LocalStoreOptions {
  /** Most entries held. */
  maxEntries: number
  /** Memory budget, in estimated bytes; an entry larger than this is never stored. */
  maxBytes: number
  /** Longest time an entry is served after it was stored, in milliseconds; `0` stores nothing. */
  maxAge: number
  /**
   * When the store is full of live entries, admit a new key only the second time it is offered
   * within a while (a "doorkeeper", as in TinyLFU), so a flood of keys seen once cannot evict the
   * keys in use, nor make every request pay an eviction. Default false: always admitted.
   */
  admitOnSecondOffer?: boolean
}

class Entry<T> implements StoreEntry<T> {
  constructor (readonly key: string, readonly value: T, readonly until: number, readonly bytes: number) {}
}

/** See the module comment. */
export class LocalStore<T> {
  readonly #options: LocalStoreOptions
  readonly #entries = new Map<string, Entry<T>>()
  /**
   * Insertion order, from `#head` on; slots whose entry left the map are skipped. A queue of its
   * own because V8 leaves a hole per deleted Map entry until the table is rebuilt: the Map's first
   * entry, in a store that evicts on every insert, is found by a scan over those holes.
   */
  #queue: Array<Entry<T>> = []
  #head = 0
  #bytes = 0
  /** Fingerprints of keys refused admission while full; made when first needed. */
  #doorkeeper: Uint32Array | undefined

  constructor (options: LocalStoreOptions) {
    this.#options = options
  }

  /** Entries held (expired ones included until swept). */
  get size (): number {
    return this.#entries.size
  }

  /** Estimated bytes held. */
  get bytes (): number {
    return this.#bytes
  }

  /** The live entry of `key`; an expired one is dropped. */
  get (key: string): StoreEntry<T> | undefined {
    const entry = this.#entries.get(key)
    if (entry === undefined) return undefined
    if (Date.now() < entry.until) return entry
    this.#remove(entry)
    return undefined
  }

  /** Whether `entry` (handed out by {@link LocalStore.get} or `set`) is still the live entry of its key. */
  holds (entry: StoreEntry<T>): boolean {
    return Date.now() < entry.until && this.#entries.get(entry.key) === entry
  }

  /**
   * Stores `value` until `expiresAt` (epoch milliseconds; `Infinity` if unknown) or `maxAge` from
   * now, whichever is first, replacing what `key` held. Returns the entry, or `undefined` when it
   * is not stored: already expired, larger than `maxBytes`, or not admitted (see `admitOnSecondOffer`).
   */
  set (key: string, value: T, expiresAt: number, bytes: number): StoreEntry<T> | undefined {
    const now = Date.now()
    const until = Math.min(expiresAt, now + this.#options.maxAge)
    if (!(until > now) || bytes > this.#options.maxBytes) return undefined
    const old = this.#entries.get(key)
    if (old !== undefined) this.#remove(old)
    else if (this.#options.admitOnSecondOffer === true && this.#isFull(bytes, now) && !this.#seenBefore(key)) return undefined
    const entry = new Entry(key, value, until, bytes)
    this.#entries.set(key, entry)
    this.#queue.push(entry)
    this.#bytes += bytes
    while (this.#entries.size > this.#options.maxEntries || this.#bytes > this.#options.maxBytes) {
      const oldest = this.#queue[this.#head++]
      if (this.#entries.get(oldest.key) === oldest) this.#remove(oldest)
    }
    this.#compact()
    return entry
  }

  /** Drops `key`. */
  delete (key: string): void {
    const entry = this.#entries.get(key)
    if (entry !== undefined) this.#remove(entry)
  }

  /** Drops everything. */
  clear (): void {
    this.#entries.clear()
    this.#queue = []
    this.#head = 0
    this.#bytes = 0
  }

  /** Whether storing `bytes` more would evict a live entry; drops dead entries at the head first. */
  #isFull (bytes: number, now: number): boolean {
    while (this.#head < this.#queue.length) {
      const oldest = this.#queue[this.#head]
      if (this.#entries.get(oldest.key) === oldest) {
        if (now < oldest.until) break
        this.#remove(oldest)
      }
      this.#head++
    }
    return this.#entries.size >= this.#options.maxEntries || this.#bytes + bytes > this.#options.maxBytes
  }

  /**
   * The doorkeeper: true when `key` was refused admission lately. One 32-bit fingerprint per slot,
   * as many slots as entries (a power of two), so "lately" is about the last `maxEntries`
   * refusals. The fingerprint is taken from the key's last 8 characters (a JWT's signature, or a
   * digest: random either way); a false match only admits a key one offer early.
   */
  #seenBefore (key: string): boolean {
    this.#doorkeeper ??= new Uint32Array(2 ** Math.ceil(Math.log2(Math.min(Math.max(this.#options.maxEntries, 64), 1 << 20))))
    // FNV-1a; never 0, the empty slot.
    let hash = 0x811c9dc5
    for (let i = Math.max(0, key.length - 8); i < key.length; i++) hash = Math.imul(hash ^ key.charCodeAt(i), 0x01000193)
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
    this.#queue = this.#queue.slice(this.#head).filter((entry) => this.#entries.get(entry.key) === entry)
    this.#head = 0
  }

  #remove (entry: Entry<T>): void {
    this.#entries.delete(entry.key)
    this.#bytes -= entry.bytes
  }
}
