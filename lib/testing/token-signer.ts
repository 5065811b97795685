import { randomUUID } from 'node:crypto'
import { SignJWT } from 'jose'
import type { CryptoKey, JWTHeaderParameters } from 'jose'

/** Default lifetime of a signed access token, in seconds (5 minutes). */
export const DEFAULT_EXPIRES_IN = 300

/** Default `sub` claim of a signed access token. */
export const DEFAULT_SUBJECT = 'user-1'

/**
 * Default `typ` header of a signed access token.
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.1
 */
export const ACCESS_TOKEN_TYPE = 'at+jwt'

/** Options of `LocalIssuer.sign()`. */
export interface SignOptions {
  /** JWS algorithm; default: the issuer's first algorithm. With `key`, any alg jose can sign with (e.g. `'HS256'`). */
  alg?: string
  /** Header `kid`; default: the kid of the issuer's signing key for `alg`. */
  kid?: string
  /** Protected header fields added last, so they override `alg`, `kid` and `typ`; a field set to `undefined` is removed. */
  header?: Record<string, unknown>
  /** Lifetime in seconds from now; default {@link DEFAULT_EXPIRES_IN}. Ignored when the claims carry `exp` (even `undefined`). */
  expiresIn?: number
  /** Sign with this key instead of the issuer's, e.g. to forge tokens; the header `kid` still names the issuer's key. */
  key?: CryptoKey | Uint8Array
}

/** What `signAccessToken` needs from the issuer. */
export interface SigningContext {
  issuer: string
  audience: string
  alg: string
  /** kid of the issuer's key for `alg`, if it has one */
  kid: string | undefined
  key: CryptoKey | Uint8Array
}

/** Returns a copy of `record` without the fields whose value is `undefined`. */
function withoutUndefined (record: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(record).filter(([, value]) => value !== undefined))
}

/**
 * Signs an RFC 9068 style access token with jose `SignJWT`. Defaults: `iss`, `aud`,
 * `sub` {@link DEFAULT_SUBJECT}, `iat` now, `exp` now + `expiresIn`, a random `jti`,
 * header `typ` {@link ACCESS_TOKEN_TYPE}. Claim values are not checked, so invalid ones
 * (`exp: 'soon'`) go out as given. Headers jose refuses to produce (`alg: 'none'`,
 * malformed `crit`) need {@link encodeJWT}.
 * @see https://www.rfc-editor.org/rfc/rfc9068#section-2.2
 */
export async function signAccessToken (
  context: SigningContext,
  claims: Record<string, unknown> = {},
  options: SignOptions = {}
): Promise<string> {
  const now = Math.floor(Date.now() / 1000)
  const payload = withoutUndefined({
    iss: context.issuer,
    aud: context.audience,
    sub: DEFAULT_SUBJECT,
    iat: now,
    exp: now + (options.expiresIn ?? DEFAULT_EXPIRES_IN),
    jti: randomUUID(),
    ...claims
  })
  const header = withoutUndefined({
    alg: context.alg,
    typ: ACCESS_TOKEN_TYPE,
    kid: options.kid ?? context.kid,
    ...options.header
  }) as JWTHeaderParameters
  // jose rejects any crit name it does not know; tests that set crit want it sent as given.
  const crit = Array.isArray(header.crit)
    ? Object.fromEntries(header.crit.map((name) => [String(name), false]))
    : undefined
  return await new SignJWT(payload).setProtectedHeader(header).sign(context.key, { crit })
}

/** base64url of a UTF-8 string. */
function encodeSegment (text: string): string {
  return Buffer.from(text, 'utf8').toString('base64url')
}

/**
 * Builds a compact JWS by hand, without signing: base64url(header).base64url(payload).signature.
 * For tokens jose will not produce (e.g. `alg: 'none'`). A string `payload` is used as raw
 * JSON text, so it may hold duplicate keys or invalid JSON.
 * @param signature already base64url-encoded; default `''` (an unsecured JWS)
 * @example encodeJWT({ alg: 'none' }, { sub: 'admin' }) // 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.'
 * @see https://www.rfc-editor.org/rfc/rfc7515#section-7.1
 */
export function encodeJWT (header: object, payload: object | string, signature = ''): string {
  const payloadText = typeof payload === 'string' ? payload : JSON.stringify(payload)
  return `${encodeSegment(JSON.stringify(header))}.${encodeSegment(payloadText)}.${signature}`
}
