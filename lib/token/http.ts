/**
 * JSON over HTTP to the identity provider, with Node's built-in fetch (undici): a bounded
 * time, a bounded body and no redirects, since a redirect could send us to another host.
 */
import { repeatsMemberName } from './jws-segment.js'
import { isSecureURL } from './secure-url.js'

/** Default time allowed for one request to the identity provider, in milliseconds. */
export const DEFAULT_TIMEOUT = 5000
/** Largest response body read from the identity provider, in bytes. */
export const MAX_RESPONSE_BYTES = 1024 * 1024

/** Why a provider request failed. `status` is set for an HTTP error status. */
export type ProviderFailure = 'network' | 'timeout' | 'status' | 'redirect' | 'invalid-json' | 'too-large' | 'insecure-url' | 'duplicate-members'

/** A failed request to the identity provider; never carries the response body. */
export class ProviderRequestError extends Error {
  readonly failure: ProviderFailure
  readonly status: number | undefined
  /**
   * With an error status, the RFC 6749 §5.2 `error` code of a JSON error body, when it is one
   * (a short, printable token); the rest of the body is never kept.
   */
  readonly oauthError: string | undefined
  constructor (failure: ProviderFailure, url: string, status?: number, options?: { cause?: unknown, oauthError?: string }) {
    super(`${failure}${status === undefined ? '' : ` ${status}`}${options?.oauthError === undefined ? '' : ` ${options.oauthError}`} from ${redact(url)}`, options)
    this.name = 'ProviderRequestError'
    this.failure = failure
    this.status = status
    this.oauthError = options?.oauthError
  }
}

/** A request to send; the body, if any, is form-encoded. */
export interface JSONRequest {
  method?: 'GET' | 'POST'
  headers?: Record<string, string>
  form?: Record<string, string>
  /** Milliseconds. Default {@link DEFAULT_TIMEOUT}. */
  timeout?: number
  /** Fail with `duplicate-members` when the object repeats a top-level member name (RFC 8259 §4). Default false. */
  uniqueMembers?: boolean
}

/** Fetches `url` and parses a JSON object body. Any other outcome is a {@link ProviderRequestError}. */
export async function fetchJSON (url: string, request: JSONRequest = {}): Promise<Record<string, unknown>> {
  // Node's fetch also reads data: and blob: URLs; whatever its source, a URL must be one the options accept.
  if (providerURLProblem(url) !== null) throw new ProviderRequestError('insecure-url', url)
  let response: Response
  try {
    response = await fetch(url, {
      method: request.method ?? 'GET',
      headers: { accept: 'application/json', ...request.headers },
      body: request.form === undefined ? undefined : new URLSearchParams(request.form),
      redirect: 'manual',
      signal: AbortSignal.timeout(request.timeout ?? DEFAULT_TIMEOUT)
    })
  } catch (err) {
    const name = (err as Error | undefined)?.name
    throw new ProviderRequestError(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network', url, undefined, { cause: err })
  }
  if (response.status >= 300 && response.status < 400) {
    await response.body?.cancel()
    throw new ProviderRequestError('redirect', url, response.status)
  }
  // The timeout signal also aborts a body that trickles in too slowly.
  const text = await readBounded(response, url)
  if (!response.ok) throw new ProviderRequestError('status', url, response.status, { oauthError: oauthErrorCode(text) })
  let body: unknown
  try {
    body = JSON.parse(text)
  } catch {
    // No cause: V8's SyntaxError quotes the body, which may be an introspection response.
    throw new ProviderRequestError('invalid-json', url)
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new ProviderRequestError('invalid-json', url)
  if (request.uniqueMembers === true && repeatsMemberName(text)) throw new ProviderRequestError('duplicate-members', url)
  return body as Record<string, unknown>
}

/** RFC 6749 §5.2: `error` is a NQSCHAR string; anything else is not an OAuth error code. */
const ERROR_CODE = /^[\x20\x21\x23-\x5B\x5D-\x7E]{1,64}$/

/** The `error` member of an OAuth error body, if the body is one. */
function oauthErrorCode (text: string): string | undefined {
  try {
    const body = JSON.parse(text) as { error?: unknown } | null
    const error = body?.error
    return typeof error === 'string' && ERROR_CODE.test(error) ? error : undefined
  } catch {
    return undefined
  }
}

async function readBounded (response: Response, url: string): Promise<string> {
  const length = Number(response.headers.get('content-length'))
  if (length > MAX_RESPONSE_BYTES) {
    await response.body?.cancel()
    throw new ProviderRequestError('too-large', url, response.status)
  }
  const chunks: Uint8Array[] = []
  let size = 0
  try {
    for await (const chunk of response.body ?? []) {
      size += chunk.byteLength
      if (size > MAX_RESPONSE_BYTES) throw new ProviderRequestError('too-large', url, response.status)
      chunks.push(chunk)
    }
  } catch (err) {
    if (err instanceof ProviderRequestError) throw err
    const name = (err as Error | undefined)?.name
    throw new ProviderRequestError(name === 'TimeoutError' || name === 'AbortError' ? 'timeout' : 'network', url, undefined, { cause: err })
  }
  return Buffer.concat(chunks).toString('utf8')
}

/**
 * Why `value` may not be used to reach the identity provider, or `null`: the rule options follow,
 * https, or http on a loopback host (a local development provider). Every other scheme (`data:`,
 * `file:`, `javascript:`, `ftp:`...) is refused.
 */
export function providerURLProblem (value: unknown): string | null {
  if (typeof value !== 'string') return `expected a URL, received ${typeof value}`
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return 'expected an absolute URL'
  }
  return isSecureURL(url) ? null : 'expected an https URL (http is allowed on a loopback host only)'
}

/** Drops the query and credentials of a URL before it reaches an error message or a log. */
function redact (url: string): string {
  try {
    const u = new URL(url)
    // A URL without an origin (data:, javascript:) carries its content in the path: the scheme says enough.
    return u.origin === 'null' ? `${u.protocol}…` : `${u.origin}${u.pathname}`
  } catch {
    return '<invalid URL>'
  }
}
