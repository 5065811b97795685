/**
 * Property tests of the security-requirement evaluator: compileRequirement and evaluateScopes,
 * against a reference model that reads OpenAPI's `security` array directly (an OR of objects, each
 * an AND of schemes, each an AND of scopes). Any input either compiles or throws
 * InvalidRouteSecurityError, and the compiled form decides exactly as the model does.
 */
import t from 'tap'
import fc from 'fast-check'
import { InvalidRouteSecurityError } from '../../lib/errors.js'
import { compileRequirement, evaluateScopes, usesToken, type Requirement, type SecurityRequirementObject } from '../../lib/token/scopes.js'

const RUNS = 3000
const OURS = 'oauth2'
const EXTERNAL = ['apiKey']

/**
 * The reference: does the plugin's part of `security` let a caller with `granted` through
 * (`null`: no token)? An object that does not name our scheme is met without a token, as far as
 * this plugin goes; a token that is sent must meet an object that names our scheme, unless no
 * object does (the route then ignores Bearer tokens).
 */
function modelAllows (security: readonly SecurityRequirementObject[], granted: readonly string[] | null): boolean {
  if (security.length === 0) return true
  if (granted === null) return security.some((object) => object[OURS] === undefined)
  if (security.every((object) => object[OURS] === undefined)) return true
  return security.some((object) => object[OURS] !== undefined && object[OURS].every((scope) => granted.includes(scope)))
}

/** The reference for what compileRequirement must refuse. */
function modelRefuses (security: readonly unknown[]): boolean {
  return security.some((object) => object === null || typeof object !== 'object' || Array.isArray(object) ||
    Object.entries(object).some(([name, list]) =>
      (name !== OURS && !EXTERNAL.includes(name)) ||
      !Array.isArray(list) || !list.every((s) => typeof s === 'string' && /^[\x21\x23-\x5B\x5D-\x7E]+$/.test(s))))
}

const scope: fc.Arbitrary<string> = fc.constantFrom('a', 'b', 'c', 'items:read', 'items:write', 'admin')
const scopes = fc.uniqueArray(scope, { maxLength: 4 })
const validObject = fc.record({ [OURS]: scopes, apiKey: fc.constant([] as string[]) }, { requiredKeys: [] })
const oddValue = fc.oneof(
  fc.constant(null), fc.constant('a'), fc.constant([]), fc.integer(),
  fc.constant({ [OURS]: 'a' }), fc.constant({ [OURS]: ['a b'] }), fc.constant({ [OURS]: [''] }), fc.constant({ [OURS]: [1] }),
  fc.constant({ unknownScheme: [] }), fc.constant({ [OURS]: ['a', 'a'] }),
  fc.constant({ [OURS]: ['items:\u2713'] }), fc.constant({ [OURS]: ['a"b'] }), fc.constant({ [OURS]: ['a\\b'] }), fc.constant({ [OURS]: ['\u00e9'] })
)
const security = fc.array(fc.oneof({ weight: 5, arbitrary: validObject }, { weight: 1, arbitrary: oddValue }), { maxLength: 4 }) as fc.Arbitrary<SecurityRequirementObject[]>
const granted = fc.option(fc.uniqueArray(scope, { maxLength: 6 }), { nil: null })

function compile (value: SecurityRequirementObject[]): Requirement | null | InvalidRouteSecurityError {
  try {
    return compileRequirement(value, OURS, EXTERNAL, 'GET /fuzz')
  } catch (err) {
    if (err instanceof InvalidRouteSecurityError) return err
    throw err
  }
}

t.test('compileRequirement only ever throws InvalidRouteSecurityError, exactly when the model refuses', async (t) => {
  fc.assert(fc.property(security, (value) => (compile(value) instanceof InvalidRouteSecurityError) === modelRefuses(value)), { numRuns: RUNS })
  t.pass()
})

t.test('compileRequirement refuses anything that is not an array, without throwing anything else', async (t) => {
  fc.assert(fc.property(fc.anything(), (value) => {
    if (Array.isArray(value)) return true
    return compile(value as never) instanceof InvalidRouteSecurityError
  }), { numRuns: RUNS })
  t.pass()
})

t.test('the compiled requirement allows exactly what the OpenAPI model allows', async (t) => {
  fc.assert(fc.property(security, granted, (value, scopesGranted) => {
    const requirement = compile(value)
    if (requirement instanceof InvalidRouteSecurityError) return true
    const allowed = requirement === null || (scopesGranted === null
      ? requirement.tokenOptional
      : !usesToken(requirement) || evaluateScopes(requirement, scopesGranted) === null)
    return allowed === modelAllows(value, scopesGranted)
  }), { numRuns: RUNS })
  t.pass()
})

t.test('tokenOptional is true exactly when some object does not name our scheme', async (t) => {
  fc.assert(fc.property(security, (value) => {
    const requirement = compile(value)
    if (requirement === null || requirement instanceof InvalidRouteSecurityError) return true
    return requirement.tokenOptional === value.some((object) => object[OURS] === undefined)
  }), { numRuns: RUNS })
  t.pass()
})

t.test('a refusal names the scopes of one of the closest alternatives', async (t) => {
  fc.assert(fc.property(security, fc.uniqueArray(scope, { maxLength: 6 }), (value, scopesGranted) => {
    const requirement = compile(value)
    if (requirement === null || requirement instanceof InvalidRouteSecurityError || !usesToken(requirement)) return true
    const missing = evaluateScopes(requirement, scopesGranted)
    if (missing === null) return true
    const lists = requirement.alternatives.map((a) => a.scopes).filter((s): s is readonly string[] => s !== null)
    const gap = (list: readonly string[]) => list.filter((s) => !scopesGranted.includes(s)).length
    const closest = Math.min(...lists.map(gap))
    return lists.some((list) => list === missing) && gap(missing) === closest && closest > 0
  }), { numRuns: RUNS })
  t.pass()
})
