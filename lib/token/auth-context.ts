/**
 * The authenticated caller, as handlers see it on `request.auth`.
 */

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
  /** The user (or client) ID: the `sub` claim unless `claims.id` names another. */
  id: string
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
