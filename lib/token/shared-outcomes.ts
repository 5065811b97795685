/**
 * Cached outcomes (introspection answers and refusals, userinfo responses) in the shared store,
 * for {@link OutcomeCache} to consult on a local miss and to write after a load.
 *
 * Each entry is one JSON string written with its time to live in the same command:
 * `{"u":<until, epoch ms>,"v":<value>}` for an answer, `{"u":...,"r":"invalid"|"expired"}` for a
 * refusal. `u` travels with the value so an instance that copies it into its own level keeps it no
 * longer than the instance that wrote it did: a revoked token is trusted for at most `cacheMaxTTL`
 * across all instances, not once per instance.
 *
 * What is written is the codec's choice (an introspection answer's claims, never the token), and a
 * text that still contains the raw token is not written at all: the guarantee that Redis holds no
 * token does not depend on what a provider puts in its answers.
 */
import type { Outcome, RefusalReason } from './outcome.js'
import type { SharedLevel } from './shared-store.js'

/** How one cache's values are written and read back. */
export interface OutcomeCodec<T> {
  /** The JSON-serialisable form of `value`. */
  encode: (value: T) => unknown
  /**
   * The outcome for a stored form, decided by this instance (`undefined` when unusable). `until`:
   * the writer's deadline, epoch ms.
   */
  decode: (stored: unknown, until: number) => Outcome<T> | undefined
}

/** One cache's view of the shared level: its key namespace and its codec. */
export class SharedOutcomes<T> {
  readonly #level: SharedLevel
  readonly #namespace: string
  readonly #codec: OutcomeCodec<T>

  /** `namespace` is prepended to every key (after the store's own prefix). */
  constructor (level: SharedLevel, namespace: string, codec: OutcomeCodec<T>) {
    this.#level = level
    this.#namespace = namespace
    this.#codec = codec
  }

  /**
   * The live shared outcome of `key` and its deadline (epoch ms), or `undefined` (absent,
   * unusable, or the store did not answer).
   */
  async get (key: string): Promise<{ outcome: Outcome<T>, until: number } | undefined> {
    const text = await this.#level.get(this.#namespace + key)
    if (typeof text !== 'string') return undefined
    let entry: { u?: unknown, v?: unknown, r?: unknown }
    try {
      entry = JSON.parse(text)
    } catch {
      return undefined
    }
    if (entry === null || typeof entry !== 'object' || typeof entry.u !== 'number' || !(entry.u > Date.now())) return undefined
    const until = entry.u
    if (entry.r === 'invalid' || entry.r === 'expired') return { outcome: { active: false, reason: entry.r as RefusalReason }, until }
    const outcome = this.#codec.decode(entry.v, until)
    if (outcome === undefined) return undefined
    // A refusal decided here from a stored answer (it expired since, another audience...) is this instance's own.
    if (!outcome.active) return { outcome, until }
    return { outcome, until: Math.min(outcome.until, until) }
  }

  /**
   * Writes `outcome` until `until` (epoch ms). Skipped when nothing is left of its life, or when
   * its text contains `secret` (the raw token it answers for).
   */
  async set (key: string, outcome: Outcome<T>, until: number, secret: string | undefined): Promise<void> {
    const ttl = Math.ceil(until - Date.now())
    if (!(ttl > 0) || !Number.isFinite(until)) return
    const text = JSON.stringify(outcome.active ? { u: until, v: this.#codec.encode(outcome.value) } : { u: until, r: outcome.reason })
    if (secret !== undefined && secret !== '' && text.includes(secret)) return
    await this.#level.set(this.#namespace + key, text, ttl)
  }

  /** Drops `key`. */
  async delete (key: string): Promise<void> {
    await this.#level.delete(this.#namespace + key)
  }
}
