/**
 * A token bucket bounding the requests made to the identity provider on behalf of tokens it has
 * never seen. Caching covers repeated tokens; only a budget bounds a flood of distinct ones (each
 * garbage string would otherwise cost one introspection call). Over budget, the caller answers
 * 503 with Retry-After instead of forwarding the flood.
 */

/** Default introspection requests allowed per second (also the burst size). */
export const DEFAULT_INTROSPECTION_REQUESTS_PER_SECOND = 100

/** At most `perSecond` takes per second on average, and at most `perSecond` at once. */
export class RequestBudget {
  readonly #perSecond: number
  #available: number
  #refilledAt: number

  /** `perSecond`: requests per second, and burst size; `0` means unlimited. */
  constructor (perSecond: number) {
    this.#perSecond = perSecond
    this.#available = perSecond
    this.#refilledAt = Date.now()
  }

  /** Takes one request from the budget; `false` when it is spent. */
  take (): boolean {
    if (this.#perSecond === 0) return true
    const now = Date.now()
    this.#available = Math.min(this.#perSecond, this.#available + (now - this.#refilledAt) * this.#perSecond / 1000)
    this.#refilledAt = now
    if (this.#available < 1) return false
    this.#available--
    return true
  }
}
