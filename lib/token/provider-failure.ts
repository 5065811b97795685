/**
 * Failures that are no verdict on a token, in one place: what they become (503, failing closed)
 * and how they are described in the log.
 *
 * {@link asHTTPError} is the one mapping of such a failure to an answer: the identity provider
 * could not be reached, answered badly, or something failed unexpectedly. Such a token was neither
 * accepted nor found invalid, so the answer is 503 with `Retry-After`
 * ({@link ProviderUnavailableError}), without calling a good token bad.
 *
 * {@link describeProviderFailure} gives one log-safe sentence naming the real cause of a failed request to the identity provider:
 * connection refused, DNS, TLS, timeout, an HTTP status, a redirect, a bad body, an issuer
 * mismatch (both strings) or a refused endpoint URL. Walks the `cause` chain that fetch (undici),
 * {@link ProviderRequestError} and the JWKS cache build, so the log line does not need a stack.
 */
import { OAuthGuardHTTPError, ProviderUnavailableError, type HTTPErrorOptions } from '../errors.js'
import { IssuerMismatchError, UnsafeEndpointError } from './discovery.js'
import { ProviderRequestError } from './http.js'
import { JWKSUnavailableError } from './jwks-cache.js'
import { logSafe } from './refusal-detail.js'

/** Node's error codes for a failed DNS lookup. */
const DNS_CODES = new Set(['ENOTFOUND', 'EAI_AGAIN', 'EAI_NONAME', 'EAI_FAIL'])

/**
 * `err` itself when it already is one of this package's HTTP errors (a verdict), else a
 * {@link ProviderUnavailableError} carrying `err` as its `cause` and, as its `detail`, the
 * description of {@link describeProviderFailure} unless `options.detail` says otherwise.
 * @param retryAfter - milliseconds (a whole number of seconds, as the options demand), sent as `Retry-After` in seconds
 */
export function asHTTPError (err: unknown, retryAfter: number, options: HTTPErrorOptions = {}): OAuthGuardHTTPError {
  if (err instanceof OAuthGuardHTTPError) return err
  return new ProviderUnavailableError(Math.ceil(retryAfter / 1000), { ...options, cause: err, detail: options.detail ?? describeProviderFailure(err) })
}

/** Describes `err` (any error a provider request can end with); never a response body or a token. */
export function describeProviderFailure (err: unknown): string {
  if (err instanceof JWKSUnavailableError) return `JWKS: ${describeProviderFailure(err.cause)}`
  if (err instanceof IssuerMismatchError || err instanceof UnsafeEndpointError) return err.message
  if (err instanceof ProviderRequestError) return describeRequestFailure(err)
  if (err instanceof Error) return `${err.name}: ${logSafe(err.message)}`
  return logSafe(err)
}

function describeRequestFailure (err: ProviderRequestError): string {
  // The message ends with "from <origin and path>": the query and credentials are already dropped.
  const where = err.message.slice(err.message.indexOf(' from ') + 1)
  switch (err.failure) {
    case 'network': return `${networkCause(err.cause)} ${where}`
    case 'timeout': return `timed out ${where}`
    case 'status': return `HTTP status ${err.status ?? '?'} ${where}`
    case 'redirect': return `redirect (HTTP ${err.status ?? '?'}, not followed) ${where}`
    case 'invalid-json': return `not a JSON object ${where}`
    case 'too-large': return `response too large ${where}`
    case 'insecure-url': return `refused URL (https, or http on a loopback host only) ${where}`
    case 'duplicate-members': return `a JSON object with a repeated member name ${where}`
  }
}

/** The deepest `code` in the cause chain (undici wraps Node's socket and TLS errors), named. */
function networkCause (cause: unknown): string {
  let code: string | undefined
  let message: string | undefined
  for (let current = cause, depth = 0; current instanceof Error && depth < 5; current = current.cause, depth++) {
    const own = (current as { code?: unknown }).code
    if (typeof own === 'string') code = own
    message = current.message
  }
  if (code === 'ECONNREFUSED') return 'connection refused (ECONNREFUSED)'
  if (code !== undefined && DNS_CODES.has(code)) return `DNS lookup failed (${code})`
  if (code === 'ECONNRESET') return 'connection reset (ECONNRESET)'
  if (code !== undefined && (code.startsWith('ERR_TLS') || code.startsWith('ERR_SSL') || /CERT|SELF_SIGNED|UNABLE_TO_|DEPTH_ZERO/.test(code))) {
    return `TLS failure (${code})`
  }
  if (code !== undefined) return `network error (${logSafe(code)})`
  return `network error (${logSafe(message ?? 'unknown')})`
}
