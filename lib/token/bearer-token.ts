/**
 * Reading a Bearer access token from a request, strictly per RFC 6750 §2.1:
 * `credentials = "Bearer" 1*SP b64token`, the scheme name matched case-insensitively, one
 * `Authorization` header only. Every token this returns is a b64token: the character rule is
 * checked here, on every token, and not left to a later parser.
 *
 * Not accepted: tokens in the query string (§2.3, refused with `invalid_request`) and in a form
 * body (§2.2, never read: the request is treated as carrying no credentials). These functions are
 * the parts of credential-decision.ts, the one caller.
 *
 * @see RFC 6750 §2.1, §2.3, §3.1; RFC 9110 §11.6.2 (a single Authorization field)
 */
import { InvalidRequestError, InvalidTokenError } from '../errors.js'

/** b64token of RFC 6750 §2.1. */
const B64TOKEN = /^[A-Za-z0-9\-._~+/]+=*$/

/** Default longest token accepted, in characters (see docs/security.md). */
export const DEFAULT_MAX_TOKEN_LENGTH = 8192

/**
 * The one `Authorization` value of a request: `undefined` when there is none, else the value;
 * {@link InvalidRequestError} (`multiple-headers`) for more than one. `authorization` is the value
 * as Node gives it (Node keeps only the first of two `Authorization` headers, so `rawHeaders`, the
 * raw name/value list, is where a second one shows).
 */
export function singleAuthorization (authorization: string | readonly string[] | undefined, rawHeaders: readonly string[] | undefined): string | undefined {
  let value: string | undefined
  if (typeof authorization === 'string' || authorization === undefined) {
    value = authorization
  } else {
    if (authorization.length > 1) throw new InvalidRequestError('multiple-headers')
    value = authorization[0]
  }
  if (rawHeaders !== undefined && countAuthorization(rawHeaders) > 1) throw new InvalidRequestError('multiple-headers')
  return value
}

/**
 * Parses one `Authorization` value: the token for the Bearer scheme, `null` for another scheme
 * (or an empty value). Throws {@link InvalidRequestError} (`malformed`) for a Bearer credential
 * that breaks the grammar or holds a character outside b64token, and {@link InvalidTokenError} for
 * a well-formed token longer than `maxTokenLength` characters (a malformed one is malformed first).
 */
export function parseBearer (header: string, maxTokenLength: number): string | null {
  const value = header.trim()
  const end = value.search(/[ \t]/)
  const scheme = end === -1 ? value : value.slice(0, end)
  if (scheme.length !== 6 || scheme.toLowerCase() !== 'bearer') return null
  if (end === -1) throw new InvalidRequestError('malformed')
  let start = end
  while (value.charCodeAt(start) === 32) start++
  const token = value.slice(start)
  // A tab after the scheme, a second token or any character outside b64token is malformed.
  if (start === end || !B64TOKEN.test(token)) throw new InvalidRequestError('malformed')
  if (token.length > maxTokenLength) throw new InvalidTokenError({ detail: `token: longer than maxTokenLength (${token.length} > ${maxTokenLength} characters)` })
  return token
}

/**
 * Parses one `Authorization` value for the `DPoP` scheme (RFC 9449 §7.1, the same token grammar
 * as Bearer): the token, or `null` for another scheme. Throws {@link InvalidRequestError}
 * (`malformed-dpop`) for a DPoP credential that breaks the grammar, {@link InvalidTokenError} for
 * a token longer than `maxTokenLength`. Called only once {@link parseBearer} found another scheme.
 */
export function parseDPoP (header: string, maxTokenLength: number): string | null {
  const value = header.trim()
  if (value.length < 4 || value.slice(0, 4).toLowerCase() !== 'dpop') return null
  if (value.length === 4) throw new InvalidRequestError('malformed-dpop')
  if (value.charCodeAt(4) !== 32) {
    // "DPoPx ..." is another scheme; a tab after the scheme is malformed, as for Bearer.
    if (value.charCodeAt(4) === 9) throw new InvalidRequestError('malformed-dpop')
    return null
  }
  const token = value.slice(4).replace(/^ +/, '')
  if (!B64TOKEN.test(token)) throw new InvalidRequestError('malformed-dpop')
  if (token.length > maxTokenLength) throw new InvalidTokenError()
  return token
}

/** Whether the request target (path and query) carries an `access_token` query parameter, however encoded. */
export function hasQueryToken (url: string): boolean {
  const q = url.indexOf('?')
  // A percent-encoded name (access%5Ftoken) must not slip past the quick check.
  if (q === -1 || (!url.includes('access_token', q) && !url.includes('%', q))) return false
  return new URLSearchParams(url.slice(q + 1)).has('access_token')
}

function countAuthorization (rawHeaders: readonly string[]): number {
  let count = 0
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i]
    if (name.length === 13 && name.toLowerCase() === 'authorization') count++
  }
  return count
}
