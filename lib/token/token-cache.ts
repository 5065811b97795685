/**
 * The results of JWT verification, by token, so that a client reusing its token (the common case)
 * costs a lookup instead of a signature check: a {@link LocalStore} keyed by the token's last
 * {@link KEY_LENGTH} characters, a hit confirmed by comparing the whole token. Only tokens a
 * verifier accepted are stored, so no one chooses the keys; two tokens sharing their last
 * characters only replace each other, and a token is never answered for another.
 *
 * Why not the whole token as key: V8 hashes every character of a string used as a Map key, and a
 * token is a new string on every request, so a key of the whole token costs a hash of several
 * hundred characters per lookup (docs/performance.md).
 *
 * When full of live entries, a new token is admitted on its second validation, so a server seeing
 * more distinct tokens than it can hold (the worst case) does not evict and store on every request.
 */
import type { AuthContext } from './auth-context.js'
import { LocalStore, type StoreEntry } from './cache-store.js'

/** Default largest number of cached tokens. */
export const DEFAULT_CACHE_MAX_ENTRIES = 10_000
/** Default memory budget of the cache, in bytes (an estimate: 3 bytes per token character plus 256). */
export const DEFAULT_CACHE_MAX_BYTES = 64 * 1024 * 1024
/** Default longest time an entry is kept, in milliseconds (bounds how long a removed signing key is still honoured). */
export const DEFAULT_CACHE_MAX_AGE = 600_000
/** How many trailing characters of a token key the store (see the module comment). */
export const KEY_LENGTH = 32

/** Options of {@link TokenCache}. */
export interface TokenCacheOptions {
  maxEntries: number
  /** Estimated bytes. */
  maxBytes: number
  /** Milliseconds. */
  maxAge: number
}

const keyOf = (token: string): string => token.length > KEY_LENGTH ? token.slice(-KEY_LENGTH) : token

/** Verified tokens and their {@link AuthContext}; see the module comment. */
export class TokenCache {
  /** The store itself: the connection memo asks it whether an entry it keeps is still live. */
  readonly store: LocalStore<AuthContext>

  constructor (options: TokenCacheOptions) {
    this.store = new LocalStore({ ...options, admitOnSecondOffer: true })
  }

  /** The live entry of `token`, or `undefined`. */
  entry (token: string): StoreEntry<AuthContext> | undefined {
    const entry = this.store.get(keyOf(token))
    return entry !== undefined && entry.value.token === token ? entry : undefined
  }

  /** Caches `auth` (the context of `auth.token`) until its `expiresAt` or `maxAge` from now, whichever is first. */
  set (auth: AuthContext): StoreEntry<AuthContext> | undefined {
    return this.store.set(keyOf(auth.token), auth, auth.expiresAt.getTime(), auth.token.length * 3 + 256)
  }

  /** Forgets `token`. */
  delete (token: string): void {
    if (this.entry(token) !== undefined) this.store.delete(keyOf(token))
  }
}
