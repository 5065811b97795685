/**
 * The token relay's rate limit: a fixed one-minute window per client address, and one for the
 * whole relay at ten times that. In process and tiny on purpose: the relay serves people typing
 * credentials into Swagger UI, so a few requests a minute are normal and anything near the limit
 * is abuse (credential stuffing through the API's address). Memory is bounded: the map is emptied
 * at each window and holds at most as many addresses as the relay's own limit lets through.
 */

/** Default requests a minute per client address. */
export const DEFAULT_RELAY_REQUESTS_PER_MINUTE = 30
/** The whole relay accepts this many times the per-address limit in one window. */
const GLOBAL_FACTOR = 10
const WINDOW_MS = 60_000

/** See the module comment. */
export class RelayRateLimit {
  readonly #perAddress: number
  readonly #global: number
  #windowStart = -Infinity
  #total = 0
  readonly #counts = new Map<string, number>()

  /** @param perMinute requests a minute per address */
  constructor (perMinute: number) {
    this.#perAddress = perMinute
    this.#global = perMinute * GLOBAL_FACTOR
  }

  /** Counts a request from `address`: `0` when allowed, else the seconds until the window ends (for `Retry-After`). */
  take (address: string, now = Date.now()): number {
    if (now - this.#windowStart >= WINDOW_MS) {
      this.#windowStart = now
      this.#total = 0
      this.#counts.clear()
    }
    const count = this.#counts.get(address) ?? 0
    if (count >= this.#perAddress || this.#total >= this.#global) return Math.max(1, Math.ceil((this.#windowStart + WINDOW_MS - now) / 1000))
    this.#counts.set(address, count + 1)
    this.#total++
    return 0
  }
}
