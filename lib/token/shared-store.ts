/**
 * The second cache level, shared between the instances of an API (Redis: `fastify-oauth-guard/redis`),
 * and the one wrapper every call to it goes through.
 *
 * {@link SharedStore} is what a store implements: string values under string keys, each written
 * with its time to live in the same call, and an atomic add for single-use values. Keys given to
 * it are namespaced digests, values never hold a raw token, a secret or a DPoP proof (the callers
 * check it, see shared-outcomes.ts).
 *
 * {@link SharedLevel} makes an unreliable store harmless: each call is bounded by `timeout`; a
 * failed or late call counts as "no shared store", so the caller asks the provider as it would
 * without one (never an acceptance, never a 500). The first failure opens an outage: one warning,
 * then calls are skipped (no waiting, no queue building up in the client) except one probe every
 * {@link STORE_RETRY_INTERVAL} ms; the first call that succeeds closes it, with one info line.
 * Recovery needs no restart.
 */

/** A key → string store shared between instances. Durations in milliseconds. */
export interface SharedStore {
  /** The value of `key`; `null` or `undefined` when absent or expired. */
  get (key: string): Promise<string | null | undefined>
  /** Stores `value` under `key` for `ttl` ms, expiry set in the same write (e.g. `SET key value PX ttl`). */
  set (key: string, value: string, ttl: number): Promise<unknown>
  /** Stores `value` for `ttl` ms only if `key` is absent, atomically (`SET key value PX ttl NX`); `true` when it did. */
  add (key: string, value: string, ttl: number): Promise<boolean>
  /** Drops `key`. */
  delete (key: string): Promise<unknown>
}

/** Default bound of each call to the shared store, in milliseconds. */
export const DEFAULT_STORE_TIMEOUT = 100
/** Time between two probes of a store found unavailable, in milliseconds. */
export const STORE_RETRY_INTERVAL = 1_000

/** The two log methods the level uses (pino's signature: Fastify's logger fits). */
export interface StoreLogger {
  warn: (details: object, message: string) => void
  info: (details: object, message: string) => void
}

/** What {@link SharedLevel} needs. */
export interface SharedLevelOptions {
  /** Milliseconds per call. */
  timeout: number
  log: StoreLogger
  /** What the plugin does meanwhile, appended to the outage warning. */
  fallback: string
}

class StoreTimeoutError extends Error {
  override name = 'StoreTimeoutError'
  constructor (timeout: number) {
    super(`no answer within ${timeout} ms`)
  }
}

/** See the module comment. Every method resolves; `undefined` means "the store could not answer". */
export class SharedLevel {
  readonly #store: SharedStore
  readonly #options: SharedLevelOptions
  #down = false
  /** Epoch ms of the next probe while down. */
  #retryAt = 0
  #probing = false

  constructor (store: SharedStore, options: SharedLevelOptions) {
    this.#store = store
    this.#options = options
  }

  /** Whether an outage is open. */
  get down (): boolean {
    return this.#down
  }

  /** The value of `key`: a string, `null` when absent, `undefined` when the store could not answer. */
  async get (key: string): Promise<string | null | undefined> {
    // A store's `undefined` (absent) becomes `null` inside the call: outside it, `undefined` means no answer.
    return await this.#call(async () => (await this.#store.get(key)) ?? null)
  }

  /** Writes `value` for `ttl` ms; `false` when the store could not take it. */
  async set (key: string, value: string, ttl: number): Promise<boolean> {
    return (await this.#call(async () => { await this.#store.set(key, value, ttl); return true })) === true
  }

  /** `true`: added; `false`: already there; `undefined`: the store could not answer. */
  async add (key: string, value: string, ttl: number): Promise<boolean | undefined> {
    const added = await this.#call(async () => await this.#store.add(key, value, ttl))
    return added === undefined ? undefined : added === true
  }

  /** Drops `key`; `false` when the store could not. */
  async delete (key: string): Promise<boolean> {
    return (await this.#call(async () => { await this.#store.delete(key); return true })) === true
  }

  async #call<T> (operation: () => Promise<T>): Promise<T | undefined> {
    const probe = this.#down
    if (probe) {
      // One probe at a time, once per interval: an outage costs the requests no waiting.
      if (this.#probing || Date.now() < this.#retryAt) return undefined
      this.#probing = true
    }
    let timer: NodeJS.Timeout | undefined
    try {
      const pending = operation()
      // A call given up on may still fail later: that must not become an unhandled rejection.
      pending.catch(() => {})
      const late = new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new StoreTimeoutError(this.#options.timeout)), this.#options.timeout)
      })
      const value = await Promise.race([pending, late])
      if (this.#down) {
        this.#down = false
        this.#options.log.info({}, 'fastify-oauth-guard: the shared store answers again; shared caching resumed')
      }
      return value
    } catch (err) {
      this.#retryAt = Date.now() + STORE_RETRY_INTERVAL
      if (!this.#down) {
        this.#down = true
        this.#options.log.warn({ cause: describe(err) }, `fastify-oauth-guard: the shared store is unavailable; ${this.#options.fallback} until it answers again (probed every ${STORE_RETRY_INTERVAL} ms)`)
      }
      return undefined
    } finally {
      clearTimeout(timer)
      if (probe) this.#probing = false
    }
  }
}

/** A log-safe summary: the error's name and message (a client's connection error, never a value). */
function describe (err: unknown): string {
  return err instanceof Error ? `${err.name}: ${err.message}` : 'unknown error'
}
