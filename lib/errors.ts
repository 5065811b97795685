/**
 * Every error this plugin raises. HTTP errors carry `statusCode`, a stable `code`, the RFC 6750
 * `error` value and ready `headers`, so Fastify's default error handler sends them as they are and a
 * custom `setErrorHandler` can forward them. Messages are fixed texts: never a token, an upstream
 * message or a stack. The underlying error, if any, is in `cause` for logs.
 *
 * @see RFC 6750 §3.1 (error codes), RFC 9470 §3 (insufficient_user_authentication)
 */
import { bearerChallenge, type BearerChallenge } from './token/www-authenticate.js'

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
  constructor (statusCode: number, code: string, message: string, challenge: BearerChallenge | null, options: HTTPErrorOptions = {}) {
    super(code, message, { cause: options.cause })
    this.statusCode = statusCode
    this.detail = options.detail
    this.error = challenge?.error
    this.#challenge = challenge
    this.#realm = options.realm
    this.headers = challenge === null
      ? {}
      : { 'www-authenticate': bearerChallenge({ realm: options.realm, ...challenge }) }
  }

  /** Sets the `realm` of the challenge (errors raised below the Fastify layer do not know it). */
  withRealm (realm: string | undefined): this {
    if (realm !== undefined && this.#challenge !== null) {
      this.#realm = realm
      this.headers['www-authenticate'] = bearerChallenge({ realm, ...this.#challenge, resource_metadata: this.#resourceMetadata })
    }
    return this
  }

  /**
   * Names the protected resource metadata in the challenge (`resource_metadata`, RFC 9728 §5.1), so
   * a client that knows only the API's URL can find how to get a token.
   */
  withResourceMetadata (url: string | undefined): this {
    if (url !== undefined && this.#challenge !== null) {
      this.#resourceMetadata = url
      this.headers['www-authenticate'] = bearerChallenge({ realm: this.#realm, ...this.#challenge, resource_metadata: url })
    }
    return this
  }
}

/** 401 without `error`: the request carried no Bearer credentials (RFC 6750 §3.1). */
export class MissingTokenError extends OAuthGuardHTTPError {
  constructor (options?: HTTPErrorOptions) {
    super(401, 'OAUTH_GUARD_MISSING_TOKEN', 'Bearer access token required', {}, options)
  }
}

/** Why a request is malformed; each maps to one fixed description. */
export type InvalidRequestReason = 'malformed' | 'multiple-headers' | 'query-token'

const INVALID_REQUEST_TEXT: Record<InvalidRequestReason, string> = {
  malformed: 'Malformed Bearer credentials',
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
