/**
 * OpenAPI security requirements, evaluated as OpenAPI 3 defines them (the array is an OR of
 * requirement objects, each object an AND of its schemes, each scheme an AND of its scopes), with
 * one rule OpenAPI leaves open and RFC 6750 settles: a Bearer token that is sent is held to the
 * requirement. An alternative that needs no token (`{}`, or only schemes enforced outside this
 * plugin) lets a request *without* a token through; it never lends its success to a token that
 * meets none of the alternatives naming this plugin's scheme. `security: []` makes a route public.
 *
 * @see OpenAPI 3.1 §4.8.30 (Security Requirement Object), RFC 6750 §3.1, RFC 6749 §3.3 (scope-token)
 */
import { InvalidRouteSecurityError } from '../errors.js'

/** One OpenAPI security requirement object: scheme name → scopes. */
export type SecurityRequirementObject = Record<string, readonly string[]>

/** One alternative, reduced to what this plugin checks. */
export interface Alternative {
  /** Scopes of our scheme that the token must all grant; `null` when our scheme is not named. */
  scopes: readonly string[] | null
  /** True when the alternative also names schemes enforced outside this plugin. */
  external: boolean
  /** The names of those schemes (`externalSchemes` option), for the user's hook; absent when none. */
  externalSchemes?: readonly string[]
}

/** A compiled requirement: the alternatives of one route. */
export interface Requirement {
  alternatives: readonly Alternative[]
  /** True when some alternative can be met without a Bearer token (`{}` or external schemes only). */
  tokenOptional: boolean
}

/** RFC 6749 §3.3: `scope-token = 1*( %x21 / %x23-5B / %x5D-7E )`. */
export const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** True when `value` is an RFC 6749 §3.3 scope-token (printable ASCII, no space, `"` or `\`). */
export function isScopeToken (value: unknown): value is string {
  return typeof value === 'string' && SCOPE_TOKEN.test(value)
}

/**
 * Compiles `schema.security` for the scheme this plugin owns. Returns `null` for a public route
 * (`security: []`). Throws {@link InvalidRouteSecurityError} when a requirement names a scheme that
 * is neither ours nor listed in `externalSchemes` (such a route cannot be enforced, and guessing
 * would either lock it or open it), or a scope that is not an RFC 6749 §3.3 scope-token (it could
 * never be granted, and it would end up in a `WWW-Authenticate` header).
 */
export function compileRequirement (security: readonly SecurityRequirementObject[], scheme: string, externalSchemes: readonly string[], where: string): Requirement | null {
  if (!Array.isArray(security)) throw new InvalidRouteSecurityError(`${where}: schema.security must be an array of security requirement objects`)
  if (security.length === 0) return null
  const alternatives: Alternative[] = []
  for (const object of security) {
    if (object === null || typeof object !== 'object' || Array.isArray(object)) {
      throw new InvalidRouteSecurityError(`${where}: each schema.security entry must be an object mapping scheme names to scope arrays`)
    }
    let scopes: readonly string[] | null = null
    const external: string[] = []
    for (const [name, list] of Object.entries(object)) {
      checkScopeList(list, `${where}: schema.security scopes of "${name}"`)
      if (name === scheme) scopes = [...new Set(list)]
      else if (externalSchemes.includes(name)) external.push(name)
      else throw new InvalidRouteSecurityError(`${where}: schema.security names the scheme "${name}", which fastify-oauth-guard does not enforce. Use "${scheme}", or list "${name}" in the externalSchemes option if your own hook enforces it`)
    }
    alternatives.push(external.length === 0 ? { scopes, external: false } : { scopes, external: true, externalSchemes: external })
  }
  return {
    alternatives,
    tokenOptional: alternatives.some((a) => a.scopes === null)
  }
}

/** Throws unless `list` is an array of RFC 6749 §3.3 scope-tokens; `what` names it in the message. */
export function checkScopeList (list: unknown, what: string): asserts list is readonly string[] {
  if (!Array.isArray(list)) throw new InvalidRouteSecurityError(`${what}: expected an array of scope names, received ${describe(list)}`)
  for (const scope of list) {
    if (!isScopeToken(scope)) {
      throw new InvalidRouteSecurityError(`${what}: expected scope names of printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3 scope-token), received ${describe(scope)}`)
    }
  }
}

function describe (value: unknown): string {
  if (typeof value !== 'string') return Array.isArray(value) ? 'an array' : value === null ? 'null' : typeof value
  // Escaped and capped: the message goes to logs and stack traces.
  const shown = JSON.stringify(value.length > 64 ? `${value.slice(0, 64)}…` : value).replace(/[^\x20-\x7E]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return shown
}

/** True when some alternative names this plugin's scheme, i.e. a Bearer token can meet it. */
export function usesToken (requirement: Requirement): boolean {
  return requirement.alternatives.some((a) => a.scopes !== null)
}

/**
 * Holds a validated token's scopes to a requirement: `null` when the token meets an alternative
 * naming our scheme, else the scopes of the closest such alternative (for the 403's `scope`).
 * Alternatives that need no token are ignored on purpose: they admit requests without a token, not
 * tokens that fall short.
 */
export function evaluateScopes (requirement: Requirement, granted: readonly string[]): readonly string[] | null {
  // The common case, a single alternative met, kept small enough for V8 to inline.
  const only = requirement.alternatives.length === 1 ? requirement.alternatives[0].scopes : null
  if (only !== null && grantsAll(granted, only)) return null
  return closestAlternative(requirement, granted)
}

function grantsAll (granted: readonly string[], scopes: readonly string[]): boolean {
  for (const scope of scopes) if (!granted.includes(scope)) return false
  return true
}

/** {@link evaluateScopes} when the common case does not settle it. */
function closestAlternative (requirement: Requirement, granted: readonly string[]): readonly string[] | null {
  let closest: readonly string[] | null = null
  let closestMissing = Infinity
  for (const alternative of requirement.alternatives) {
    if (alternative.scopes === null) continue
    let missing = 0
    for (const scope of alternative.scopes) if (!granted.includes(scope)) missing++
    if (missing === 0) return null
    if (missing < closestMissing) {
      closest = alternative.scopes
      closestMissing = missing
    }
  }
  // No alternative names our scheme: nothing a token can meet (callers skip such routes).
  return closest ?? []
}

/**
 * What the user's hooks must still verify for a request, given the scopes of the token the plugin
 * accepted (`null`: no token was sent). `null` when the plugin settled the request alone: a token
 * met an alternative that names no external scheme, or an anonymous request met `{}`. Otherwise
 * the external-scheme groups still open, one per alternative; the request may pass only if every
 * scheme of one group is verified (an empty list: none can be met).
 */
export function pendingSchemes (requirement: Requirement | null, granted: readonly string[] | null): string[][] | null {
  if (requirement === null) return null
  const groups: string[][] = []
  for (const alternative of requirement.alternatives) {
    const met = alternative.scopes === null ? granted === null : granted !== null && grantsAll(granted, alternative.scopes)
    if (!met) continue
    if (alternative.externalSchemes === undefined) return null
    groups.push([...alternative.externalSchemes])
  }
  return groups
}

/** Every scope a requirement names, for the OpenAPI document. */
export function requirementScopes (requirement: Requirement): string[] {
  return requirement.alternatives.flatMap((a) => a.scopes ?? [])
}
