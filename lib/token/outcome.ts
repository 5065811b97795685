/**
 * What loading a token's answer produced (introspection, userinfo), apart from any cache so that
 * the local cache and the shared store can both speak of it without importing each other.
 */

/** Why a negative answer refused: invalid in any way, or outside its validity period. */
export type RefusalReason = 'invalid' | 'expired'

/** What a load produced. */
export type Outcome<T> =
  | { readonly active: true, readonly value: T, /** Epoch ms after which `value` is dead; `Infinity` if unknown. */ readonly until: number, /** Estimated size. */ readonly bytes: number }
  | { readonly active: false, readonly reason: RefusalReason }
