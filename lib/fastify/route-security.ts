/**
 * The `onRoute` side: every route's `schema.security` becomes an enforced `onRequest` hook, and
 * every route guarded by `fastify.authenticate` gets the matching `schema.security`, so the
 * OpenAPI document and the server say the same thing. Runs before body parsing, on HEAD routes
 * too; routes hidden from the docs (`schema.hide`, e.g. the docs' own routes) are left alone.
 */
import type { RouteOptions, onRequestHookHandler } from 'fastify'
import { kAuthHook } from '../symbols.js'
import { compileRequirement, requirementScopes, type Requirement, type SecurityRequirementObject } from '../token/scopes.js'
import type { Authenticator } from './authenticate.js'
import { DEFAULT_POLICY, type Policy } from './policy.js'

/** How one route ended up protected, for the startup report and the docs. */
export interface RouteSecurity {
  method: string
  url: string
  /** `null`: public. */
  requirement: Requirement | null
  /** Where the requirement came from. */
  source: 'schema' | 'hook' | 'none'
}

const LIFECYCLE = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const

/** State shared by the onRoute hook and the rest of the plugin. */
export interface RouteSecurityState {
  /** Every scope some route requires. */
  readonly scopes: Set<string>
  /** One entry per route seen. */
  readonly routes: RouteSecurity[]
}

/** The `onRoute` hook. */
export function routeSecurityHook (authenticator: Authenticator, scheme: string, externalSchemes: readonly string[], state: RouteSecurityState) {
  return function onRoute (route: RouteOptions): void {
    const method = [route.method].flat().join(',')
    if ((route.schema as { hide?: boolean } | undefined)?.hide === true) return
    const where = `${method} ${route.url}`
    const hookPolicies = findAuthHooks(route)
    const security = (route.schema as { security?: SecurityRequirementObject[] } | undefined)?.security

    if (security !== undefined) {
      const requirement = compileRequirement(security, scheme, externalSchemes, where)
      record(state, { method, url: route.url, requirement, source: 'schema' })
      if (requirement === null) return
      route.onRequest = [authenticator.hook({ ...DEFAULT_POLICY, requirement }) as onRequestHookHandler, ...asArray(route.onRequest)]
      return
    }
    if (hookPolicies.length === 0) {
      record(state, { method, url: route.url, requirement: null, source: 'none' })
      return
    }
    // Documented from the hooks: every hook must pass, so their scopes add up in each alternative.
    const requirement = combine(hookPolicies)
    record(state, { method, url: route.url, requirement, source: 'hook' })
    route.schema = { ...route.schema, security: toSecurity(requirement, scheme) } as RouteOptions['schema']
  }
}

function findAuthHooks (route: RouteOptions): Policy[] {
  const policies: Policy[] = []
  for (const name of LIFECYCLE) {
    for (const hook of asArray(route[name] as unknown)) {
      const policy = (hook as { [kAuthHook]?: Policy } | null)?.[kAuthHook]
      if (policy !== undefined) policies.push(policy)
    }
  }
  return policies
}

function combine (policies: Policy[]): Requirement {
  const required = policies.filter((p) => !p.requirement.tokenOptional)
  const scopes = [...new Set(policies.flatMap((p) => p.requirement.alternatives.flatMap((a) => a.scopes ?? [])))]
  const alternatives = [{ scopes, external: false }]
  return required.length === 0
    ? { alternatives: [{ scopes: null, external: false }, ...alternatives], tokenOptional: true }
    : { alternatives, tokenOptional: false }
}

function toSecurity (requirement: Requirement, scheme: string): SecurityRequirementObject[] {
  return requirement.alternatives.map((a) => (a.scopes === null ? {} : { [scheme]: a.scopes }))
}

function record (state: RouteSecurityState, entry: RouteSecurity): void {
  state.routes.push(entry)
  if (entry.requirement !== null) for (const scope of requirementScopes(entry.requirement)) state.scopes.add(scope)
}

function asArray<T> (value: T | T[] | undefined): T[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}
