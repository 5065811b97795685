/**
 * Every error this plugin raises. HTTP errors carry `statusCode`, a stable `code`, the RFC 6750
 * `error` value and ready `headers`, so Fastify's default error handler sends them as they are and a
 * custom `setErrorHandler` can forward them. Messages are fixed texts: never a token, an upstream
 * message or a stack. The underlying error, if any, is in `cause` for logs.
 *
 * @see RFC 6750 §3.1 (error codes), RFC 9470 §3 (insufficient_user_authentication)
 * @see RFC 9449 §7.1 (`invalid_dpop_proof`, the DPoP challenge), §9 (`use_dpop_nonce`)
 */
import { challenges, type BearerChallenge, type ChallengeScheme, type DPoPOffer } from './token/www-authenticate.js'

/** Base class of all errors of this package. */
export class OAuthGuardError extends Error {
  /** Stable machine-readable code, `OAUTH_GUARD_*`. */
  readonly code: string
  constructor (code: string, message: string, options?: { cause?: unknown }) {
    super(message, options)
    this.name = new.target.name
    this.code = code
  }
}

/** Options every HTTP error accepts. */
export interface HTTPErrorOptions {
  /** `realm` attribute of the challenge. */
  realm?: string
  /** The underlying error, kept for logs and never sent. */
  cause?: unknown
  /** Why, log-safe (no token, values cut and escaped): the check that failed or the provider failure. Never sent. */
  detail?: string
}

/** An error answered with an HTTP status and, for 400/401/403, a Bearer challenge. */
export class OAuthGuardHTTPError extends OAuthGuardError {
  readonly statusCode: number
  /** The RFC 6750 / RFC 9470 `error` value, absent when no credentials were sent. */
  readonly error: string | undefined
  /** Response headers: `www-authenticate`, or `retry-after` for 503. */
  readonly headers: Record<string, string>
  /**
   * Why, for logs: the check that failed (`aud: expected [...], received "..."`) or the provider
   * failure (`connection refused (ECONNREFUSED) ...`). Log-safe, never sent in a response.
   */
  readonly detail: string | undefined
  readonly #challenge: BearerChallenge | null
  #realm: string | undefined
  #resourceMetadata: string | undefined
  #scheme: ChallengeScheme
  #offer: DPoPOffer | null = null
  constructor (statusCode: number, code: string, message: string, challenge: BearerChallenge | null, options: HTTPErrorOptions & { scheme?: ChallengeScheme } = {}) {
    super(code, message, { cause: options.cause })
    this.statusCode = statusCode
    this.detail = options.detail
    this.error = challenge?.error
    this.#challenge = challenge
    this.#realm = options.realm
    this.#scheme = options.scheme ?? 'Bearer'
    this.headers = {}
    this.#render()
  }

  /** Sets the `realm` of the challenge (errors raised below the Fastify layer do not know it). */
  withRealm (realm: string | undefined): this {
    if (realm !== undefined) {
      this.#realm = realm
      this.#render()
    }
    return this
  }

  /**
   * Names the protected resource metadata in the challenge (`resource_metadata`, RFC 9728 §5.1), so
   * a client that knows only the API's URL can find how to get a token.
   */
  withResourceMetadata (url: string | undefined): this {
    if (url !== undefined) {
      this.#resourceMetadata = url
      this.#render()
    }
    return this
  }

  /**
   * Adds the `DPoP` challenge (RFC 9449 §7.1) beside `Bearer` when DPoP is accepted (`offer`
   * not `null`); the error goes on the scheme the client used (see {@link onScheme}).
   */
  withDPoP (offer: DPoPOffer | null): this {
    if (offer !== null) {
      this.#offer = offer
      this.#render()
    }
    return this
  }

  /** Puts the error on the challenge of `scheme`: the one the client's credentials used. */
  onScheme (scheme: ChallengeScheme): this {
    this.#scheme = scheme
    this.#render()
    return this
  }

  #render (): void {
    if (this.#challenge === null) return
    // The DPoP offer is for a client that could retry with other credentials (401), or that used DPoP.
    const offer = this.statusCode === 401 || this.#scheme === 'DPoP' ? this.#offer : null
    this.headers['www-authenticate'] = challenges({ realm: this.#realm, ...this.#challenge, resource_metadata: this.#resourceMetadata }, this.#scheme, offer)
  }
}

/** 401 without `error`: the request carried no Bearer credentials (RFC 6750 §3.1). */
export class MissingTokenError extends OAuthGuardHTTPError {
  constructor (options?: HTTPErrorOptions) {
    super(401, 'OAUTH_GUARD_MISSING_TOKEN', 'Bearer access token required', {}, options)
  }
}

/** Why a request is malformed; each maps to one fixed description. */
export type InvalidRequestReason = 'malformed' | 'malformed-dpop' | 'multiple-headers' | 'query-token'

const INVALID_REQUEST_TEXT: Record<InvalidRequestReason, string> = {
  malformed: 'Malformed Bearer credentials',
  'malformed-dpop': 'Malformed DPoP credentials',
  'multiple-headers': 'More than one Authorization header',
  'query-token': 'Access tokens are not accepted in the query string'
}

/** 400 `invalid_request`: a malformed Bearer header, several of them, or a token in the URL. */
export class InvalidRequestError extends OAuthGuardHTTPError {
  readonly reason: InvalidRequestReason
  constructor (reason: InvalidRequestReason, options?: HTTPErrorOptions) {
    const text = INVALID_REQUEST_TEXT[reason]
    super(400, 'OAUTH_GUARD_INVALID_REQUEST', text, { error: 'invalid_request', error_description: text }, options)
    this.reason = reason
  }
}

/** 401 `invalid_token`: bad signature, wrong issuer or audience, malformed claims, unknown key... */
export class InvalidTokenError extends OAuthGuardHTTPError {
  constructor (options?: HTTPErrorOptions) {
    const text = 'The access token is invalid'
    super(401, 'OAUTH_GUARD_INVALID_TOKEN', text, { error: 'invalid_token', error_description: text }, options)
  }
}

/** 401 `invalid_token`: the token is past its `exp` (or before its `nbf`), clock tolerance included. */
export class TokenExpiredError extends OAuthGuardHTTPError {
  constructor (options?: HTTPErrorOptions) {
    const text = 'The access token expired or is not yet valid'
    super(401, 'OAUTH_GUARD_TOKEN_EXPIRED', text, { error: 'invalid_token', error_description: text }, options)
  }
}

/** 403 `insufficient_scope`, with `scope` listing the scopes of the first acceptable requirement. */
export class InsufficientScopeError extends OAuthGuardHTTPError {
  /** The scopes that would have been enough (one requirement). */
  readonly requiredScopes: readonly string[]
  constructor (requiredScopes: readonly string[], options?: HTTPErrorOptions) {
    const text = 'The access token does not grant the required scope'
    super(403, 'OAUTH_GUARD_INSUFFICIENT_SCOPE', text, {
      error: 'insufficient_scope',
      error_description: text,
      scope: requiredScopes.length > 0 ? requiredScopes.join(' ') : undefined
    }, options)
    this.requiredScopes = requiredScopes
  }
}

/** 403 `insufficient_scope`: a required permission is missing from the permissions claim. */
export class InsufficientPermissionsError extends OAuthGuardHTTPError {
  readonly requiredPermissions: readonly string[]
  constructor (requiredPermissions: readonly string[], options?: HTTPErrorOptions) {
    const text = 'The access token does not grant the required permissions'
    super(403, 'OAUTH_GUARD_INSUFFICIENT_PERMISSIONS', text, { error: 'insufficient_scope', error_description: text }, options)
    this.requiredPermissions = requiredPermissions
  }
}

/** 403 `insufficient_scope`: the route's own `claims` check refused the token. */
export class ClaimsRejectedError extends OAuthGuardHTTPError {
  constructor (options?: HTTPErrorOptions) {
    const text = 'The access token is not allowed to access this resource'
    super(403, 'OAUTH_GUARD_CLAIMS_REJECTED', text, { error: 'insufficient_scope', error_description: text }, options)
  }
}

/**
 * 403 `insufficient_scope`: a valid token issued to a client the route's `clients` list does not
 * name (or to no named client). RFC 6750 §3.1 has no closer code: the token is fine, its holder
 * lacks the privilege.
 */
export class ClientNotAllowedError extends OAuthGuardHTTPError {
  constructor (options?: HTTPErrorOptions) {
    const text = 'The client this access token was issued to is not allowed here'
    super(403, 'OAUTH_GUARD_CLIENT_NOT_ALLOWED', text, { error: 'insufficient_scope', error_description: text }, options)
  }
}

/**
 * 401 `insufficient_user_authentication` with `acr_values` (acceptable levels, in order of
 * preference) and/or `max_age` (seconds since the user last authenticated), so a client can step up
 * (RFC 9470 §3). An attribute with nothing to say is left out.
 */
export class InsufficientUserAuthenticationError extends OAuthGuardHTTPError {
  readonly acrValues: readonly string[]
  /** Seconds; `undefined` when the route sets no `maxAge`. */
  readonly maxAge: number | undefined
  constructor (acrValues: readonly string[], options?: HTTPErrorOptions & { maxAge?: number }) {
    const text = 'A stronger authentication level is required'
    super(401, 'OAUTH_GUARD_INSUFFICIENT_USER_AUTHENTICATION', text, {
      error: 'insufficient_user_authentication',
      error_description: text,
      acr_values: acrValues.length > 0 ? acrValues.join(' ') : undefined,
      max_age: options?.maxAge
    }, options)
    this.acrValues = acrValues
    this.maxAge = options?.maxAge
  }
}

/** Why a DPoP proof is refused (RFC 9449 §4.3); each maps to one fixed description. */
export type InvalidDPoPProofReason = 'missing' | 'multiple' | 'malformed' | 'header' | 'signature' | 'claims' | 'htm' | 'htu' | 'iat' | 'ath' | 'replayed'

const INVALID_DPOP_PROOF_TEXT: Record<InvalidDPoPProofReason, string> = {
  missing: 'A DPoP proof is required with the DPoP scheme',
  multiple: 'More than one DPoP header',
  malformed: 'The DPoP proof is not a well-formed JWT',
  header: 'The DPoP proof header is not acceptable (typ, alg or jwk)',
  signature: 'The DPoP proof signature is invalid',
  claims: 'The DPoP proof lacks a required claim or has one of the wrong type',
  htm: 'The DPoP proof is for another HTTP method',
  htu: 'The DPoP proof is for another URL',
  iat: 'The DPoP proof was not issued recently enough',
  ath: 'The DPoP proof is for another access token',
  replayed: 'The DPoP proof was already used'
}

/** 401 `invalid_dpop_proof` on the DPoP challenge: the proof is missing, malformed, or fails a check of RFC 9449 §4.3. */
export class InvalidDPoPProofError extends OAuthGuardHTTPError {
  readonly reason: InvalidDPoPProofReason
  constructor (reason: InvalidDPoPProofReason, options?: HTTPErrorOptions) {
    const text = INVALID_DPOP_PROOF_TEXT[reason]
    super(401, 'OAUTH_GUARD_INVALID_DPOP_PROOF', text, { error: 'invalid_dpop_proof', error_description: text }, { ...options, scheme: 'DPoP' })
    this.reason = reason
  }
}

/**
 * 401 `use_dpop_nonce` on the DPoP challenge, with a fresh nonce in the `DPoP-Nonce` header: the
 * proof carries no nonce, or one that is unknown or stale (RFC 9449 §9). The client retries with it.
 */
export class UseDPoPNonceError extends OAuthGuardHTTPError {
  constructor (nonce: string, options?: HTTPErrorOptions) {
    const text = 'The DPoP proof must carry the nonce this server provides'
    super(401, 'OAUTH_GUARD_USE_DPOP_NONCE', text, { error: 'use_dpop_nonce', error_description: text }, { ...options, scheme: 'DPoP' })
    this.headers['dpop-nonce'] = nonce
  }
}

/** Why a token's key binding is refused; each maps to one fixed description. */
export type TokenBindingReason = 'bound-as-bearer' | 'not-bound' | 'key-mismatch' | 'dpop-required'

const TOKEN_BINDING_TEXT: Record<TokenBindingReason, string> = {
  'bound-as-bearer': 'The access token is bound to a key: send it with the DPoP scheme and a proof',
  'not-bound': 'The access token is not bound to a key: send it with the Bearer scheme',
  'key-mismatch': 'Invalid DPoP key binding',
  'dpop-required': 'This resource requires a DPoP-bound access token'
}

/**
 * 401 `invalid_token`: the token's key binding (`cnf.jkt`) does not fit the request: a bound token
 * sent as Bearer (the downgrade of RFC 9449 §7.2), a proof signed by another key, an unbound token
 * with the DPoP scheme, or a plain Bearer token where DPoP is required.
 */
export class TokenBindingError extends OAuthGuardHTTPError {
  readonly reason: TokenBindingReason
  constructor (reason: TokenBindingReason, options?: HTTPErrorOptions & { scheme?: ChallengeScheme }) {
    const text = TOKEN_BINDING_TEXT[reason]
    super(401, 'OAUTH_GUARD_TOKEN_BINDING', text, { error: 'invalid_token', error_description: text }, options)
    this.reason = reason
  }
}

/** 503 with `Retry-After`: the identity provider could not be reached when it was needed. */
export class ProviderUnavailableError extends OAuthGuardHTTPError {
  constructor (retryAfter: number, options?: HTTPErrorOptions) {
    super(503, 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', 'The identity provider is unavailable, retry later', null, options)
    this.headers['retry-after'] = String(retryAfter)
  }
}

/**
 * 503 with `Retry-After`: the shared store (Redis) could not be reached for a check that must not
 * be done without it: a DPoP proof's replay check with `storeReplayFallback: 'refuse'`.
 */
export class StoreUnavailableError extends OAuthGuardHTTPError {
  constructor (retryAfter: number, options?: HTTPErrorOptions) {
    super(503, 'OAUTH_GUARD_STORE_UNAVAILABLE', 'A shared store the API depends on is unavailable, retry later', null, options)
    this.headers['retry-after'] = String(retryAfter)
  }
}

/** 502: the identity provider answered the userinfo request with an error. */
export class UserinfoError extends OAuthGuardHTTPError {
  constructor (options?: HTTPErrorOptions) {
    super(502, 'OAUTH_GUARD_USERINFO_FAILED', 'The identity provider refused the userinfo request', null, options)
  }
}

/** Thrown at registration: the plugin options are invalid. `problems` lists every one of them. */
export class InvalidOptionsError extends OAuthGuardError {
  readonly problems: readonly string[]
  constructor (problems: readonly string[]) {
    super('OAUTH_GUARD_INVALID_OPTIONS', `Invalid fastify-oauth-guard options:\n- ${problems.join('\n- ')}`)
    this.problems = problems
  }
}

/** Thrown when a route is added: its `schema.security` or `authenticate` options cannot be enforced. */
export class InvalidRouteSecurityError extends OAuthGuardError {
  constructor (message: string) {
    super('OAUTH_GUARD_INVALID_ROUTE_SECURITY', message)
  }
}
