/**
 * Reads a Bearer access token from request headers, strictly per RFC 6750 §2.1:
 * `credentials = "Bearer" 1*SP b64token`, the scheme name matched case-insensitively.
 *
 * Not accepted: tokens in the query string (§2.3, refused with `invalid_request`) and in a form
 * body (§2.2, never read: the request is treated as carrying no credentials).
 */
import { InvalidRequestError, InvalidTokenError, type HTTPErrorOptions } from '../errors.js'

/** b64token of RFC 6750 §2.1. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** Default longest token accepted, in characters (see docs/security.md). */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192

/** What the parser needs from a request; kept free of any framework type. */
export interface BearerSource {
  /** The `authorization` header as the HTTP parser joined it. */
  authorization: string | undefined
  /** Raw header name/value list, to see duplicates Node's parser silently drops. */
  rawHeaders?: readonly string[]
  /** Request target (path and query). */
  url?: string
}

/** Options of {@link readBearerToken}. */
export interface ReadBearerOptions extends HTTPErrorOptions {
  /** Longest token accepted, in characters. Default {@link DEFAULT_MAX_TOKEN_LENGTH}. */
  maxTokenLength?: number
}

/**
 * Returns the token, or `null` when the request carries no Bearer credentials (no header, or
 * another scheme such as Basic). Throws {@link InvalidRequestError} for a malformed Bearer
 * header, several `Authorization` headers or an `access_token` query parameter, and
 * {@link InvalidTokenError} for a token longer than the limit.
 */
export function readBearerToken (source: BearerSource, options: ReadBearerOptions = {}): string | null {
  const token = readBearerCandidate(source, options)
  if (token !== null && !isB64Token(token)) throw new InvalidRequestError('malformed', options)
  return token
}

/**
 * {@link readBearerToken} without its one pass over the token's characters (the b64token check):
 * the same verdicts otherwise, in the same order. For a caller that makes that check itself
 * ({@link isB64Token}) before it relies on the token in any other way than handing it to a parser
 * that refuses every character outside b64token (fastify/authenticate.ts, with the JWT fast path,
 * whose base64url decoding accepts only `A–Z a–z 0–9 - _`: see jws-segment.ts).
 */
export function readBearerCandidate (source: BearerSource, options: ReadBearerOptions = {}): string | null {
  checkBearerRequest(source, options)
  const header = source.authorization
  if (header === undefined || header === '') return null
  const token = parseBearerCredentials(header, options, false)
  if (token !== null && token.length > (options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH)) {
    // A malformed token is malformed before it is too long, as readBearerToken rules.
    if (!isB64Token(token)) throw new InvalidRequestError('malformed', options)
    throw new InvalidTokenError({ ...options, detail: `token: longer than maxTokenLength (${token.length} > ${options.maxTokenLength ?? DEFAULT_MAX_TOKEN_LENGTH} characters)` })
  }
  return token
}

/** Whether `token` is a b64token (RFC 6750 §2.1). */
export function isB64Token (token: string): boolean {
  return B64TOKEN.test(token)
}

/**
 * The checks of {@link readBearerToken} that depend on the request rather than on the header's
 * value: no `access_token` in the query string, no second `Authorization` header. For callers that
 * already parsed this very header value (fastify/connection-memo.ts).
 */
export function checkBearerRequest (source: BearerSource, options: HTTPErrorOptions = {}): void {
  if (source.url !== undefined && hasQueryToken(source.url)) {
    throw new InvalidRequestError('query-token', options)
  }
  if (source.rawHeaders !== undefined && countAuthorization(source.rawHeaders) > 1) {
    throw new InvalidRequestError('multiple-headers', options)
  }
}

/**
 * Parses one `Authorization` value: the token for the Bearer scheme, `null` for another scheme,
 * {@link InvalidRequestError} for a Bearer credential that breaks the grammar. `checkCharacters:
 * false` leaves out the b64token character check (see {@link readBearerCandidate}); default true.
 */
export function parseBearerCredentials (header: string, options?: HTTPErrorOptions, checkCharacters = true): string | null {
  const value = header.trim()
  const end = value.search(/[ \t]/)
  const scheme = end === -1 ? value : value.slice(0, end)
  if (scheme.toLowerCase() !== 'bearer') return null
  if (end === -1) throw new InvalidRequestError('malformed', options)
  let start = end
  while (value.charCodeAt(start) === 32) start++
  const token = value.slice(start)
  // A tab after the scheme, a second token or any character outside b64token is malformed.
  if (start === end || (checkCharacters && !B64TOKEN.test(token))) throw new InvalidRequestError('malformed', options)
  return token
}

function countAuthorization (rawHeaders: readonly string[]): number {
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]
    if (name.length === 13 && name.toLowerCase() === 'authorization') count++
  }
  return count
}

function hasQueryToken (url: string): boolean {
  const q = url.indexOf('?')
  // A percent-encoded name (access%5Ftoken) must not slip past the quick check.
  if (q === -1 || (!url.includes('access_token', q) && !url.includes('%', q))) return false
  return new URLSearchParams(url.slice(q + 1)).has('access_token')
}
