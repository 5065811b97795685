/**
 * Reads the scopes, permissions and subject out of validated claims, and refuses claims of the
 * wrong type rather than guessing (a `scope` that is a number is a malformed token, not "no scope").
 */
import { InvalidTokenError } from '../errors.js'
import type { AccessTokenClaims, AuthContext, ValidationMethod } from './auth-context.js'

/** Which claims hold what. Defaults suit RFC 9068 / RFC 7662 and most providers. */
export interface ClaimNames {
  /** Claim holding the user or client ID. Default `sub`. */
  id: string
  /** Claims holding scopes, merged: strings are space-separated, arrays are taken as they are. Default `['scope', 'scp']`. */
  scopes: readonly string[]
  /** Claim holding permissions (Fief, Auth0 RBAC), a string array or space-separated string. Default `permissions`. */
  permissions: string
}

/** Default claim names. */
export const DEFAULT_CLAIM_NAMES: ClaimNames = Object.freeze({ id: 'sub', scopes: Object.freeze(['scope', 'scp']), permissions: 'permissions' })

/**
 * Builds the {@link AuthContext} from claims a verifier already checked (signature, iss, aud, exp).
 * Throws {@link InvalidTokenError} when the ID is not a non-empty string, `exp` is not a number,
 * `exp`, `nbf` or `iat` is negative or past year 9999, or a scope/permission claim has the wrong type.
 */
export function buildAuthContext (claims: AccessTokenClaims, token: string, names: ClaimNames, method: ValidationMethod): AuthContext {
  const id = readPath(claims, names.id)
  if (typeof id !== 'string' || id === '') throw new InvalidTokenError()
  if (typeof claims.exp !== 'number' || !Number.isFinite(claims.exp)) throw new InvalidTokenError()
  for (const name of TIME_CLAIMS) if (!isNumericDate(claims[name])) throw new InvalidTokenError()
  const scopes: string[] = []
  for (const name of names.scopes) readList(claims[name], scopes)
  const permissions = readList(readPath(claims, names.permissions), [])
  return {
    id,
    scopes: unique(scopes),
    permissions,
    token,
    claims,
    expiresAt: new Date(claims.exp * 1000),
    method
  }
}

/** Latest NumericDate accepted, in seconds: 9999-12-31T23:59:59Z, the last date a `Date` prints in four digits. */
export const MAX_NUMERIC_DATE = 253_402_300_799
const TIME_CLAIMS = ['exp', 'nbf', 'iat'] as const

/** Absent, or seconds since the epoch from 0 to {@link MAX_NUMERIC_DATE} (fractions allowed, RFC 7519 §2). */
function isNumericDate (value: unknown): boolean {
  return value === undefined || (typeof value === 'number' && value >= 0 && value <= MAX_NUMERIC_DATE)
}

function readList (value: unknown, into: string[]): string[] {
  if (value === undefined || value === null) return into
  if (typeof value === 'string') {
    for (const item of value.split(' ')) if (item !== '') into.push(item)
    return into
  }
  if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    into.push(...value)
    return into
  }
  throw new InvalidTokenError()
}

/** Reads `a.b.c` paths so nested claims such as Keycloak's `realm_access.roles` can be named. */
export function readPath (claims: Record<string, unknown>, path: string): unknown {
  if (Object.hasOwn(claims, path)) return claims[path]
  // Not nested: nothing more to look for (and no array to split on every request).
  if (!path.includes('.')) return undefined
  let value: unknown = claims
  for (const key of path.split('.')) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, key)) return undefined
    value = (value as Record<string, unknown>)[key]
  }
  return value
}

function unique (items: string[]): string[] {
  return items.length < 2 ? items : [...new Set(items)]
}
