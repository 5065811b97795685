/**
 * What a route demands of its caller, and the check of one validated token against it.
 * Framework-free on purpose: the hooks decide *when* to check, this decides *what*.
 *
 * `optional: true` only concerns the absence of a token: a request without one gets
 * `request.auth = null`, but a token that is sent is held to the whole policy (an invalid or expired
 * one gets 401, one without the scopes, permissions, `acr` or claims gets the matching error), so a
 * handler that sees `request.auth` can trust it met the route's demands.
 *
 * @see RFC 6750 §3.1 (insufficient_scope), RFC 9470 §3 (insufficient_user_authentication)
 */
import {
  ClaimsRejectedError,
  ClientNotAllowedError,
  InsufficientPermissionsError,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  InvalidRouteSecurityError,
  type HTTPErrorOptions
} from '../errors.js'
import type { AccessTokenClaims, AuthContext } from '../token/auth-context.js'
import { checkScopeList, evaluateScopes, type Requirement } from '../token/scopes.js'
import type { AuthenticateOptions } from './authenticate-options.js'

/** A route's complete demand. */
export interface Policy {
  requirement: Requirement
  permissions: readonly string[]
  acr: readonly string[]
  /** Seconds since `auth_time` allowed (RFC 9470 `max_age`); `undefined`: not checked. */
  maxAge: number | undefined
  claims: ((claims: Readonly<AccessTokenClaims>) => boolean | Promise<boolean>) | undefined
  /** Client IDs allowed on the route; `undefined`: any client. */
  clients?: ReadonlySet<string> | undefined
}

/** The policy of a bare `fastify.authenticate`: any valid token. */
export const DEFAULT_POLICY: Policy = Object.freeze({
  requirement: Object.freeze({ alternatives: Object.freeze([Object.freeze({ scopes: Object.freeze([]), external: false })]), tokenOptional: false }),
  permissions: Object.freeze([]),
  acr: Object.freeze([]),
  maxAge: undefined,
  claims: undefined
})

/** Builds and checks the policy of `fastify.authenticate(options)`; bad options fail when the route is added. */
export function policyFromOptions (options: AuthenticateOptions): Policy {
  if (options === null || typeof options !== 'object') throw new InvalidRouteSecurityError('authenticate(options): expected an options object')
  const known = new Set(['scopes', 'optional', 'permissions', 'acr', 'maxAge', 'claims', 'clients'])
  for (const key of Object.keys(options)) {
    if (!known.has(key)) throw new InvalidRouteSecurityError(`authenticate(options).${key}: unknown option; expected one of ${[...known].join(', ')}`)
  }
  // Scopes and acr values end up in a WWW-Authenticate header: RFC 6749 §3.3 scope-tokens only.
  const scopes = options.scopes === undefined ? [] : tokenList(options.scopes, 'scopes')
  const acr = options.acr === undefined ? [] : tokenList(typeof options.acr === 'string' ? [options.acr] : options.acr, 'acr')
  if (options.optional !== undefined && typeof options.optional !== 'boolean') throw new InvalidRouteSecurityError('authenticate(options).optional: expected a boolean')
  if (options.claims !== undefined && typeof options.claims !== 'function') throw new InvalidRouteSecurityError('authenticate(options).claims: expected a function (claims) => boolean | Promise<boolean>')
  if (options.maxAge !== undefined && !(Number.isInteger(options.maxAge) && options.maxAge >= 0)) {
    throw new InvalidRouteSecurityError('authenticate(options).maxAge: expected a whole number of seconds, 0 or more')
  }
  // No anonymous alternative here, unlike `security: [{}]`: optional lets a missing token through, not a weak one.
  return {
    requirement: { alternatives: [{ scopes: [...new Set(scopes)], external: false }], tokenOptional: options.optional === true },
    permissions: [...new Set(stringList(options.permissions, 'permissions'))],
    acr: [...new Set(acr)],
    maxAge: options.maxAge,
    claims: options.claims as Policy['claims'],
    ...(options.clients !== undefined && { clients: clientList(options.clients) })
  }
}

function tokenList (value: unknown, name: string): string[] {
  checkScopeList(value, `authenticate(options).${name}`)
  return [...value]
}

function clientList (value: unknown): ReadonlySet<string> {
  if (!Array.isArray(value) || value.length === 0 || !value.every((v) => typeof v === 'string' && v !== '')) {
    throw new InvalidRouteSecurityError('authenticate(options).clients: expected a non-empty array of client IDs (non-empty strings)')
  }
  return new Set(value)
}

function stringList (value: unknown, name: string): string[] {
  if (value === undefined) return []
  if (!Array.isArray(value) || !value.every((v) => typeof v === 'string' && v !== '' && !/\s/.test(v))) {
    throw new InvalidRouteSecurityError(`authenticate(options).${name}: expected an array of non-empty strings without spaces`)
  }
  return value
}

/**
 * Checks a validated token against a policy, in the order RFC 9470 and RFC 6750 suggest: user
 * authentication strength (401), then the client allow-list, scopes, permissions and custom claims (403).
 * Resolves to an error to send, or `null`.
 */
export function checkPolicy (policy: Policy, auth: AuthContext, errorOptions: HTTPErrorOptions, clockTolerance = 0): Error | null | Promise<Error | null> {
  if (policy.acr.length > 0 || policy.maxAge !== undefined) {
    const error = checkUserAuthentication(policy, auth, errorOptions, clockTolerance)
    if (error !== null) return error
  }
  if (policy.clients !== undefined && (auth.clientId === null || !policy.clients.has(auth.clientId))) return new ClientNotAllowedError(errorOptions)
  const missing = evaluateScopes(policy.requirement, auth.scopes)
  if (missing !== null) return new InsufficientScopeError(missing, errorOptions)
  for (const permission of policy.permissions) {
    if (!auth.permissions.includes(permission)) return new InsufficientPermissionsError(policy.permissions, errorOptions)
  }
  if (policy.claims === undefined) return null
  return checkClaims(policy.claims, auth, errorOptions)
}

/** The `acr` and `max_age` demands (RFC 9470), apart from the common case that has none. */
function checkUserAuthentication (policy: Policy, auth: AuthContext, errorOptions: HTTPErrorOptions, clockTolerance: number): Error | null {
  const acrMissing = policy.acr.length > 0 && !(typeof auth.claims.acr === 'string' && policy.acr.includes(auth.claims.acr))
  const tooOld = policy.maxAge !== undefined && !isRecent(auth.claims.auth_time, policy.maxAge, clockTolerance)
  // RFC 9470 §3: name every condition the new token must meet, so one step-up is enough.
  return acrMissing || tooOld ? new InsufficientUserAuthenticationError(policy.acr, { ...errorOptions, maxAge: policy.maxAge }) : null
}

/**
 * `auth_time` (seconds since the epoch) is at most `maxAge` seconds ago; a missing one is not, nor
 * one later than now plus the clock tolerance (milliseconds): a time of authentication in the
 * future is no evidence of a recent one (a provider whose clock is off, or a claim made up).
 */
function isRecent (authTime: unknown, maxAge: number, clockTolerance: number): boolean {
  if (typeof authTime !== 'number' || !Number.isFinite(authTime)) return false
  const now = Date.now() / 1000
  return now - authTime <= maxAge && authTime <= now + clockTolerance / 1000
}

async function checkClaims (check: NonNullable<Policy['claims']>, auth: AuthContext, errorOptions: HTTPErrorOptions): Promise<Error | null> {
  try {
    return (await check(auth.claims)) === true ? null : new ClaimsRejectedError(errorOptions)
  } catch (err) {
    // A check that throws refuses: failing open on a bug would grant access.
    return new ClaimsRejectedError({ ...errorOptions, cause: err })
  }
}
