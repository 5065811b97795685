/**
 * The in-process {@link ReplayStore}: single-use keys in a {@link LocalStore}, bounded by entries.
 * Each key is kept until its deadline (for a DPoP proof, the end of its `iat` window), after which
 * the proof would be refused anyway.
 *
 * When the store is full of live keys, the oldest is evicted, so a flood of more than `maxEntries`
 * proofs within one window makes the oldest of them replayable; size `maxEntries` above the number
 * of proofs the instance accepts per window. Replays across instances need a shared store.
 *
 * @see RFC 9449 §11.1 (DPoP proof replay)
 */
import { LocalStore } from './cache-store.js'
import type { ReplayStore } from './replay-store.js'

/** Default most keys remembered. */
export const DEFAULT_REPLAY_MAX_ENTRIES = 100_000
/** Estimated bytes of one key (a SHA-256 digest in base64url) and its entry. */
const ENTRY_BYTES = 256

/** See the module comment. */
export class LocalReplayStore implements ReplayStore {
  readonly #store: LocalStore<true>

  /** `maxEntries`: most keys remembered (default {@link DEFAULT_REPLAY_MAX_ENTRIES}). */
  constructor (maxEntries = DEFAULT_REPLAY_MAX_ENTRIES) {
    // No maxAge of its own: a key lives until the deadline its caller gives.
    this.#store = new LocalStore({ maxEntries, maxBytes: maxEntries * ENTRY_BYTES, maxAge: Number.MAX_SAFE_INTEGER })
  }

  /** Keys held (expired ones included until swept). */
  get size (): number {
    return this.#store.size
  }

  firstUse (key: string, until: number): boolean {
    if (this.#store.get(key) !== undefined) return false
    // A deadline already past is no use of anything: the caller's own window refuses it first.
    this.#store.set(key, true, until, ENTRY_BYTES)
    return true
  }
}
