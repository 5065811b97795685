/**
 * Reads the scopes, permissions and subject out of validated claims, and refuses claims of the
 * wrong type rather than guessing (a `scope` that is a number is a malformed token, not "no scope").
 */
import { InvalidTokenError } from '../errors.js'
import { InspectRedacted, type AccessTokenClaims, type AuthContext, type ValidationMethod } from './auth-context.js'

/** Which claims hold what. Defaults suit RFC 9068 / RFC 7662 and most providers. */
export interface ClaimNames {
  /** Claim holding the user or client ID. Default `sub`. */
  id: string
  /** Claims holding scopes, merged: strings are space-separated, arrays are taken as they are. Default `['scope', 'scp']`. */
  scopes: readonly string[]
  /** Claim holding permissions (Fief, Auth0 RBAC), a string array or space-separated string. Default `permissions`. */
  permissions: string
  /**
   * Claims that may hold the ID of the client the token was issued to, in the order they are
   * read: the first one present wins. Default `['client_id', 'azp', 'cid']` (RFC 9068 §2.2 and
   * RFC 7662 §2.2, OIDC's authorized party as Auth0 and Entra ID use it, Okta's `cid`).
   */
  clientId: readonly string[]
}

/** Default claim names. */
export const DEFAULT_CLAIM_NAMES: ClaimNames = Object.freeze({
  id: 'sub',
  scopes: Object.freeze(['scope', 'scp']),
  permissions: 'permissions',
  clientId: Object.freeze(['client_id', 'azp', 'cid'])
})

/**
 * Builds the {@link AuthContext} from claims a verifier already checked (signature, iss, aud, exp).
 * `jkt` is the token's `cnf.jkt` (a DPoP binding), if any; a `cnf` that is not an object, or a
 * `jkt` that is not a thumbprint, is refused too.
 * The ID is the `names.id` claim; when that claim is absent, the client ID (a machine token has no
 * user: RFC 9068 §2.2 makes its `sub` the client's, and RFC 7662 §2.2 lets an introspection
 * answer leave `sub` out). Throws {@link InvalidTokenError} when neither is there, the ID claim or
 * a client ID claim is present but not a non-empty string, `exp` is not a number, `exp`, `nbf` or
 * `iat` is negative or past year 9999, or a scope/permission claim has the wrong type (`null`
 * included: a malformed claim is not "no scopes").
 *
 * The context is a class instance and its lists come from `split`, `slice` or a shared empty
 * array, never from an object or array literal, so that V8 does not pretenure them: a context
 * must be able to die young when the cache does not keep it (docs/performance.md, "allocation-site
 * pretenuring").
 */
export function buildAuthContext (claims: AccessTokenClaims, token: string, names: ClaimNames, method: ValidationMethod): AuthContext {
  const clientId = readClientId(claims, names.clientId)
  const idClaim = readPath(claims, names.id)
  const id = idClaim === undefined ? clientId : idClaim
  if (typeof id !== 'string' || id === '') throw new InvalidTokenError()
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new InvalidTokenError()
  if (!isNumericDate(claims.exp) || !isNumericDate(claims.nbf) || !isNumericDate(claims.iat)) throw new InvalidTokenError()
  let scopes: readonly string[] = EMPTY
  for (const name of names.scopes) scopes = merge(scopes, readList(claims[name]))
  const permissions = readList(readPath(claims, names.permissions))
  return new Context(id, clientId, scopes, permissions, token, claims, new Date(claims.exp * 1000), method, claims.cnf === undefined ? undefined : readJKT(claims.cnf))
}

/**
 * The `cnf.jkt` of a confirmation claim (RFC 9449 §6.1), or `undefined` when `cnf` binds no JWK
 * thumbprint. A `cnf` that is not an object, or a `jkt` that is not a SHA-256 thumbprint in
 * base64url, is a malformed token.
 */
function readJKT (cnf: unknown): string | undefined {
  if (cnf === null || typeof cnf !== 'object' || Array.isArray(cnf)) throw new InvalidTokenError()
  if (!Object.hasOwn(cnf, 'jkt')) return undefined
  const jkt = (cnf as { jkt: unknown }).jkt
  if (typeof jkt !== 'string' || !JKT.test(jkt)) throw new InvalidTokenError()
  return jkt
}

/** A SHA-256 digest in base64url without padding. */
const JKT = /^[A-Za-z0-9_-]{43}$/

/** An {@link AuthContext}; see {@link buildAuthContext} for why it is a class. */
class Context extends InspectRedacted implements AuthContext {
  constructor (
    readonly id: string,
    readonly clientId: string | null,
    readonly scopes: readonly string[],
    readonly permissions: readonly string[],
    readonly token: string,
    readonly claims: Readonly<AccessTokenClaims>,
    readonly expiresAt: Date,
    readonly method: ValidationMethod,
    readonly jkt: string | undefined
  ) { super() }
}

/** The list of an absent claim, shared. */
const EMPTY: readonly string[] = Object.freeze([])

/** Latest NumericDate accepted, in seconds: 9999-12-31T23:59:59Z, the last date a `Date` prints in four digits. */
export const MAX_NUMERIC_DATE = 253_402_300_799

/** Absent, or seconds since the epoch from 0 to {@link MAX_NUMERIC_DATE} (fractions allowed, RFC 7519 §2). */
function isNumericDate (value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && value >= 0 && value <= MAX_NUMERIC_DATE)
}

/** The first of `names` present in `claims`, or `null`; any present one that is not a non-empty string refuses. */
function readClientId (claims: AccessTokenClaims, names: readonly string[]): string | null {
  let clientId: string | null = null
  for (let i = 0; i < names.length; i++) {
    const value = readPath(claims, names[i])
    if (value === undefined) continue
    if (typeof value !== 'string' || value === '') throw new InvalidTokenError()
    clientId ??= value
  }
  return clientId
}

/** A space-separated string or an array of strings, as a new array (or {@link EMPTY}). */
function readList (value: unknown): readonly string[] {
  if (value === undefined) return EMPTY
  if (typeof value === 'string') {
    const items = value.split(' ')
    return items.includes('') ? items.filter(isNotEmpty) : items
  }
  if (Array.isArray(value) && value.every(isString)) return value.slice()
  throw new InvalidTokenError()
}

/** Both lists without repeats; `a` and `b` are never changed. */
function merge (a: readonly string[], b: readonly string[]): readonly string[] {
  const all = a.length === 0 ? b : b.length === 0 ? a : a.concat(b)
  if (all.length < 2) return all
  const distinct = new Set(all)
  return distinct.size === all.length ? all : Array.from(distinct)
}

const isString = (item: unknown): item is string => typeof item === 'string'
const isNotEmpty = (item: string): boolean => item !== ''

/** Reads `a.b.c` paths so nested claims such as Keycloak's `realm_access.roles` can be named. */
export function readPath (claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path]
  // Not nested: nothing more to look for (and no array to split on every request).
  return path.includes('.') ? readNested(claims, path) : undefined
}

/** The rare case of {@link readPath}, apart so that the common one stays small enough for V8 to inline. */
function readNested (claims: Record<string, unknown>, path: string): unknown {
  let value: unknown = claims
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}
