/**
 * OpenAPI security requirements, evaluated exactly as OpenAPI 3 defines them: the array is an OR
 * of requirement objects, each object an AND of its schemes, each scheme an AND of its scopes.
 * `security: []` makes an operation public; an empty object `{}` among the alternatives makes
 * anonymous access one of the accepted options.
 *
 * @see OpenAPI 3.1 §4.8.30 (Security Requirement Object)
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
}

/** A compiled requirement: the alternatives of one route. */
export interface Requirement {
  alternatives: readonly Alternative[]
  /** True when some alternative can be met without a Bearer token (`{}` or external schemes only). */
  tokenOptional: boolean
}

/**
 * Compiles `schema.security` for the scheme this plugin owns. Returns `null` for a public route
 * (`security: []`). Throws {@link InvalidRouteSecurityError} when a requirement names a scheme that
 * is neither ours nor listed in `externalSchemes`: such a route cannot be enforced, and guessing
 * would either lock it or open it.
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
    let external = false
    for (const [name, list] of Object.entries(object)) {
      if (!Array.isArray(list) || !list.every((s) => typeof s === 'string' && s !== '' && !/\s/.test(s))) {
        throw new InvalidRouteSecurityError(`${where}: schema.security scopes of "${name}" must be an array of scope strings without spaces`)
      }
      if (name === scheme) scopes = [...new Set(list)]
      else if (externalSchemes.includes(name)) external = true
      else throw new InvalidRouteSecurityError(`${where}: schema.security names the scheme "${name}", which fastify-oauth-guard does not enforce. Use "${scheme}", or list "${name}" in the externalSchemes option if your own hook enforces it`)
    }
    alternatives.push({ scopes, external })
  }
  return {
    alternatives,
    tokenOptional: alternatives.some((a) => a.scopes === null)
  }
}

/** Outcome of {@link evaluateScopes}: `null` when satisfied, else the scopes of the closest alternative. */
export function evaluateScopes (requirement: Requirement, granted: readonly string[] | null): readonly string[] | null {
  // The common case, a single alternative met, kept small enough for V8 to inline.
  const only = requirement.alternatives.length === 1 ? requirement.alternatives[0].scopes : null
  if (only !== null && granted !== null && grantsAll(granted, only)) return null
  return closestAlternative(requirement, granted)
}

function grantsAll (granted: readonly string[], scopes: readonly string[]): boolean {
  for (const scope of scopes) if (!granted.includes(scope)) return false
  return true
}

/** {@link evaluateScopes} when the common case does not settle it. */
function closestAlternative (requirement: Requirement, granted: readonly string[] | null): readonly string[] | null {
  let closest: readonly string[] | null = null
  let closestMissing = Infinity
  for (const alternative of requirement.alternatives) {
    if (alternative.scopes === null) return null
    if (granted === null) continue
    let missing = 0
    for (const scope of alternative.scopes) if (!granted.includes(scope)) missing++
    if (missing === 0) return null
    if (missing < closestMissing) {
      closest = alternative.scopes
      closestMissing = missing
    }
  }
  return closest ?? requirement.alternatives[0].scopes ?? []
}

/** Every scope a requirement names, for the OpenAPI document. */
export function requirementScopes (requirement: Requirement): string[] {
  return requirement.alternatives.flatMap((a) => a.scopes ?? [])
}
