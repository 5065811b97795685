/**
 * The last credentials each connection presented, with their result, so that a client reusing its
 * token on a keep-alive connection (the common case) is recognised by comparing its whole
 * `Authorization` header with the one it sent before: no parsing, no cache key, no hashing.
 *
 * It is a view of the caches, not a cache: each memo holds the entry of the store that answered
 * (the token cache, or the introspection cache) and is served only while that store still holds
 * that very entry ({@link Liveness.holds}): never past its deadline (the token's `exp`, the store's
 * `maxAge`), nor once the store let it go (evicted, cleared, or forgotten because the provider
 * refused the token at userinfo).
 *
 * The memo holds the raw header of a connection that is open and sent it last, no longer than the
 * connection (a `WeakMap` on it), and never enumerable: no token that a heap dump of the live
 * requests would not show. The introspection cache itself stays keyed by a digest.
 *
 * The checks that depend on the request rather than on the header's value (no token in the query
 * string, a single `Authorization` header) are not the memo's: its caller makes them first.
 */
import type { AuthContext } from './auth-context.js'

/** The store an entry came from, asked whether the entry is still its live one. */
export interface Liveness<E> {
  holds (entry: E): boolean
}

/** What a connection presented last, and where its result lives. */
interface Remembered {
  /** The whole `Authorization` header value. */
  readonly header: string
  readonly auth: AuthContext
  readonly store: Liveness<never>
  readonly entry: unknown
}

/** See the module comment. Keyed by the connection (any object: the socket), held weakly. */
export class ConnectionMemo {
  readonly #memos = new WeakMap<object, Remembered>()

  /** The connection's result, if it was made for this very header value and its entry is still live. */
  recall (connection: object, header: string): AuthContext | undefined {
    const memo = this.#memos.get(connection)
    if (memo === undefined || memo.header !== header) return undefined
    if (memo.store.holds(memo.entry as never)) return memo.auth
    this.#memos.delete(connection)
    return undefined
  }

  /** Remembers what the connection just presented: `auth`, as long as `store` holds `entry`. */
  remember<E> (connection: object, header: string, auth: AuthContext, store: Liveness<E>, entry: E): void {
    this.#memos.set(connection, { header, auth, store: store as Liveness<never>, entry })
  }
}
