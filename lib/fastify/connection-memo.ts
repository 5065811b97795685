/**
 * The last token each connection presented, with the cached validation result, so that a client
 * reusing its token on a keep-alive connection (the common case) is recognised by comparing the
 * `Authorization` header with the one it sent before: no parsing of the header, no lookup in the
 * token cache, and so no hashing of a string of several hundred characters on every request.
 *
 * It is a view of the token cache, not a second cache: it holds the token cache's own entry, and
 * serves it only while that entry is live: never at or past its deadline (the token's `exp`, or
 * the cache's `maxAge`), nor once the cache dropped it (evicted, or deleted because the provider
 * refused the token at userinfo). With `cache: false` there is no memo.
 *
 * Introspection answers are remembered the same way, as a view of the introspection cache's entry
 * (its `until` drops to 0 once that cache lets the answer go: `cacheMaxTTL`, eviction, a refusal
 * at userinfo), so a warm introspected token costs a string comparison instead of a SHA-256 of the
 * token and a lookup. That cache is keyed by a hash so that it never holds raw tokens; this memo
 * does hold the raw header, but only of a connection that is open and sent it last, which the
 * request being served holds anyway, and no longer than the connection (a `WeakMap` on its socket):
 * it adds no token to memory that a heap dump of the live requests would not show, and it is
 * never enumerable. The JWT path has made the same trade since the memo exists.
 *
 * One entry per connection, dropped with the connection. The checks that depend on the request
 * itself (no token in the query string, a single `Authorization` header) still run on every
 * request.
 */
import type { AuthContext } from '../token/auth-context.js'

/** What a connection presented last, and until when its result stands. */
export interface Remembered {
  /** The whole `Authorization` header value. */
  readonly header: string
  /** The token it carried. */
  readonly token: string
  /** The cache's entry itself (token cache, or a view of the introspection cache's): its `until` drops to 0 as soon as the cache lets it go. */
  readonly entry: Readonly<{ value: AuthContext, until: number }>
}

/** See the module comment. Keyed by the connection's socket (any object), held weakly. */
export class ConnectionMemo {
  readonly #memos = new WeakMap<object, Remembered>()

  /** The connection's memo, if it was made for this very header value and is still live. */
  recall (connection: object, header: string | undefined): Remembered | undefined {
    const memo = this.#memos.get(connection)
    if (memo === undefined || memo.header !== header) return undefined
    if (Date.now() >= memo.entry.until) {
      this.#memos.delete(connection)
      return undefined
    }
    return memo
  }

  /** Remembers what the connection just presented. */
  remember (connection: object, memo: Remembered): void {
    this.#memos.set(connection, memo)
  }
}
