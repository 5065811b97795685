/**
 * Tokens the identity provider itself refused after they were validated here (a 401 from the
 * userinfo endpoint: revoked, or the session ended). Each is refused from then on, until its own
 * `exp`, not only until the caches let it go: a JWT would otherwise verify again on the next request.
 *
 * Bounded: at most {@link REFUSED_TOKENS_MAX_ENTRIES} tokens, the oldest forgotten first. Only
 * tokens that passed validation get here, so no one without valid tokens can fill it. Keyed by the
 * token itself, like the token cache; nothing is logged or exposed.
 */

/** Largest number of refused tokens remembered. */
export const REFUSED_TOKENS_MAX_ENTRIES = 1000

/** A bounded set of refused tokens, each until an expiry time. */
export class RefusedTokens {
  /** Token to epoch milliseconds until which it is refused; insertion order is eviction order. */
  readonly #until = new Map<string, number>()
  readonly #maxEntries: number

  constructor (maxEntries = REFUSED_TOKENS_MAX_ENTRIES) {
    this.#maxEntries = maxEntries
  }

  /** Number of tokens remembered (expired ones included until looked up or evicted). */
  get size (): number {
    return this.#until.size
  }

  /** Refuses `token` until `until` (epoch milliseconds, normally its `exp`). */
  add (token: string, until: number): void {
    if (!(until > Date.now())) return
    this.#until.delete(token)
    this.#until.set(token, until)
    if (this.#until.size > this.#maxEntries) this.#until.delete(this.#until.keys().next().value as string)
  }

  /** True while `token` is refused. Costs nothing while the set is empty (the usual case). */
  has (token: string): boolean {
    if (this.#until.size === 0) return false
    const until = this.#until.get(token)
    if (until === undefined) return false
    if (until > Date.now()) return true
    this.#until.delete(token)
    return false
  }
}
