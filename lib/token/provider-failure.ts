/**
 * The one place where a failure that is not a verdict on the token becomes an answer: the
 * identity provider could not be reached, answered badly, or something failed unexpectedly. Such a
 * token was neither accepted nor found invalid, so the answer is 503 with `Retry-After`
 * ({@link ProviderUnavailableError}): failing closed, without calling a good token bad.
 */
import { OAuthGuardHTTPError, ProviderUnavailableError, type HTTPErrorOptions } from '../errors.js'

/**
 * `err` itself when it already is one of this package's HTTP errors (a verdict), else a
 * {@link ProviderUnavailableError} carrying `err` as its `cause` (for logs, never sent).
 * @param retryAfter - milliseconds (a whole number of seconds, as the options demand), sent as `Retry-After` in seconds
 */
export function asHTTPError (err: unknown, retryAfter: number, options: HTTPErrorOptions = {}): OAuthGuardHTTPError {
  if (err instanceof OAuthGuardHTTPError) return err
  return new ProviderUnavailableError(Math.ceil(retryAfter / 1000), { ...options, cause: err })
}
