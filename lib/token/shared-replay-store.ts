/**
 * A {@link ReplayStore} shared between instances: a DPoP proof's `jti` used on one instance is
 * refused on every other (RFC 9449 §11.1).
 *
 * The local store stays in front: a replay to this instance is caught without a round trip, and
 * this instance's own record survives a store outage. A first use here is then added to the
 * shared store with an atomic set-if-absent with expiry (`SET key 1 PX ttl NX`); "already there"
 * is a replay through another instance.
 *
 * When the shared store cannot answer, `fallback` decides:
 * - `'local'` (default): the local check alone decides, so a proof replayed to another instance
 *   during the outage is not detected; the outage is logged once (see {@link SharedLevel}).
 * - `'refuse'`: the request gets 503 {@link StoreUnavailableError}, with `Retry-After`.
 *
 * @see RFC 9449 §11.1 (DPoP proof replay)
 */
import { StoreUnavailableError } from '../errors.js'
import type { ReplayStore } from './replay-store.js'
import type { SharedLevel } from './shared-store.js'

/** What a replay check does while the shared store cannot answer. */
export type ReplayFallback = 'local' | 'refuse'

/** Default {@link ReplayFallback}: keep serving, with the local check only. */
export const DEFAULT_REPLAY_FALLBACK: ReplayFallback = 'local'

/** What {@link SharedReplayStore} needs. */
export interface SharedReplayStoreOptions {
  local: ReplayStore
  shared: SharedLevel
  fallback: ReplayFallback
  /** Milliseconds, for the `Retry-After` of a 503 (sent in seconds). */
  retryAfter: number
}

/** See the module comment. Keys are digests (the {@link ReplayStore} contract); they are stored as `jti:<key>`. */
export class SharedReplayStore implements ReplayStore {
  readonly #options: SharedReplayStoreOptions

  constructor (options: SharedReplayStoreOptions) {
    this.#options = options
  }

  async firstUse (key: string, until: number): Promise<boolean> {
    const { local, shared, fallback, retryAfter } = this.#options
    if (!(await local.firstUse(key, until))) return false
    const ttl = Math.ceil(until - Date.now())
    // Already past its deadline: nothing to remember (the caller refuses such a proof anyway).
    if (!(ttl > 0)) return true
    const added = await shared.add(`jti:${key}`, '1', ttl)
    if (added !== undefined) return added
    if (fallback === 'refuse') throw new StoreUnavailableError(Math.ceil(retryAfter / 1000), { cause: new Error('The shared store did not answer the DPoP replay check') })
    return true
  }
}
