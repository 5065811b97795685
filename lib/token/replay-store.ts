/**
 * Where single-use values (a DPoP proof's `jti`, RFC 9449 §11.1) are remembered until they can no
 * longer be replayed. The local implementation keeps them in this process; a shared one (Redis)
 * makes a proof used on one instance refused on every other.
 *
 * Keys are never raw proofs or tokens: callers pass a digest.
 */

/** Remembers single-use keys until a deadline. */
export interface ReplayStore {
  /**
   * `true` when `key` was not in use, and is now recorded until `until` (epoch milliseconds);
   * `false` when it was already recorded (a replay). Atomic: two concurrent first uses of one key
   * cannot both get `true`.
   */
  firstUse (key: string, until: number): boolean | Promise<boolean>
}
