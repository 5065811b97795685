/**
 * Tokens the identity provider itself refused after they were validated here (a 401 from the
 * userinfo endpoint: revoked, or the session ended). Each is refused from then on, until its own
 * `exp`, not only until the caches let it go: a JWT would otherwise verify again on the next request.
 *
 * Bounded: at most {@link REFUSED_TOKENS_MAX_ENTRIES} tokens, the oldest forgotten first. Only
 * tokens that passed validation get here, so no one without valid tokens can fill it. Keyed by the
 * token itself, like the token cache; nothing is logged or exposed. A {@link LocalStore}, as
 * every cache of the package.
 */
import { LocalStore } from './cache-store.js'

/** Largest number of refused tokens remembered. */
export const REFUSED_TOKENS_MAX_ENTRIES = 1000

/** A bounded set of refused tokens, each until an expiry time. */
export class RefusedTokens {
  readonly #store: LocalStore<true>

  constructor (maxEntries = REFUSED_TOKENS_MAX_ENTRIES) {
    // Bounded by entries only; each entry lives until the time it is given.
    this.#store = new LocalStore({ maxEntries, maxBytes: Number.MAX_SAFE_INTEGER, maxAge: Infinity })
  }

  /** Number of tokens remembered (expired ones included until looked up or evicted). */
  get size (): number {
    return this.#store.size
  }

  /** Refuses `token` until `until` (epoch milliseconds, normally its `exp`). */
  add (token: string, until: number): void {
    this.#store.set(token, true, until, 1)
  }

  /** True while `token` is refused. Costs nothing while the set is empty (the usual case). */
  has (token: string): boolean {
    return this.#store.size !== 0 && this.#store.get(token) !== undefined
  }
}
