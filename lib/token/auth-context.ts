/**
 * The authenticated caller, as handlers see it on `request.auth`.
 */
import { inspect, type InspectOptionsStylized } from 'node:util'

/** Claims of a verified access token. Extend it to type your provider's own claims. */
export interface AccessTokenClaims {
  iss?: string
  sub?: string
  aud?: string | string[]
  exp?: number
  nbf?: number
  iat?: number
  jti?: string
  scope?: string
  scp?: string | string[]
  client_id?: string
  azp?: string
  cid?: string
  acr?: string
  [claim: string]: unknown
}

/** How the token was validated. */
export type ValidationMethod = 'jwt' | 'introspection'

/**
 * What the plugin puts on `request.auth` once a token is accepted.
 * @typeParam Claims - the shape of your provider's claims
 */
export interface AuthContext<Claims extends AccessTokenClaims = AccessTokenClaims> {
  /**
   * The user (or client) ID: the `sub` claim unless `claims.id` names another. When that claim is
   * absent (a client credentials token, RFC 7662 §2.2), the client ID: RFC 9068 §2.2 says a
   * machine token's `sub` identifies the client. A token with neither is refused.
   */
  id: string
  /**
   * The client the token was issued to: the first of `client_id`, `azp`, `cid` present (the
   * `claims.clientId` option changes the list and order); `null` when the token names none.
   */
  clientId: string | null
  /** Granted scopes, from `scope` (space-separated) and `scp` (string or array). */
  scopes: readonly string[]
  /** Granted permissions, from the claim `claims.permissions` names (default `permissions`). */
  permissions: readonly string[]
  /** The raw access token, to call other APIs on the user's behalf. Never log it. */
  token: string
  /** The verified JWT payload, or the introspection response. */
  claims: Readonly<Claims>
  /** When the token expires (its `exp`). */
  expiresAt: Date
  /** Whether the token was verified locally or introspected. */
  method: ValidationMethod
  /**
   * The RFC 7638 thumbprint of the key the token is bound to (its `cnf.jkt`, RFC 9449 §6), when it
   * is DPoP-bound: the request then carried a valid DPoP proof signed by that key.
   */
  jkt?: string | undefined
}

/** Tokens shorter than this print as their length only: a few characters would be too much of them. */
const MIN_LENGTH_TO_SHOW_END = 24
/** How many of a token's last characters `util.inspect` shows, to tell tokens apart in a log. */
const SHOWN_END = 4

/**
 * Base of the objects on `request.auth`: under `util.inspect` and `console.log` the token prints
 * as its length and last {@link SHOWN_END} characters, so logging the context by accident does
 * not leak a usable credential. `JSON.stringify` and property access are unchanged: returning
 * `request.auth` from a route still sends the whole token.
 */
export class InspectRedacted {
  [inspect.custom] (this: AuthContext, depth: number, options: InspectOptionsStylized, print: typeof inspect): string {
    if (depth < 0) return options.stylize('[AuthContext]', 'special')
    const shown = { ...this, token: new RedactedToken(this.token) }
    return `AuthContext ${print(shown, { ...options, depth: options.depth === null || options.depth === undefined ? null : options.depth - 1 })}`
  }
}

/** The printed form of a token: `[token: 812 characters, ends "Xy3k"]`. */
class RedactedToken {
  readonly #text: string
  constructor (token: string) {
    const end = token.length >= MIN_LENGTH_TO_SHOW_END ? `, ends "${token.slice(-SHOWN_END)}"` : ''
    this.#text = `[token: ${token.length} characters${end}]`
  }

  [inspect.custom] (): string {
    return this.#text
  }
}

/**
 * `value` with `token` put back, printing redacted like the contexts {@link InspectRedacted}
 * builds (for answers cached without their token).
 */
export function withToken (value: Omit<AuthContext, 'token'>, token: string): AuthContext {
  return Object.assign(Object.create(InspectRedacted.prototype) as InspectRedacted, value, { token })
}
