/**
 * The `onRoute` side: every route's `schema.security` becomes an enforced `onRequest` hook, and
 * every route guarded by `fastify.authenticate` gets the matching `schema.security`, so the
 * OpenAPI document and the server say the same thing. Runs before body parsing, on HEAD routes
 * too; routes hidden from the docs (`schema.hide`, e.g. the docs' own routes) are left alone.
 * With `protectAllRoutes`, a route that declares nothing requires a token (secure by default);
 * `security: []` or an `exclude` entry keeps it public. With `strictScopes`, a route requiring a
 * scope the `scopes` option does not list fails when it is added.
 *
 * Not seen: routes added before the plugin is registered (Fastify calls `onRoute` only for later
 * ones), so register the plugin first.
 */
import type { RouteOptions, onRequestHookHandler } from 'fastify'
import { InvalidRouteSecurityError } from '../errors.js'
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
  /**
   * Where the requirement came from: the route's `schema.security`, its `authenticate` hooks,
   * `protectAllRoutes` (`default`), nothing (`none`: public), a `protectAllRoutes.exclude` entry
   * (`excluded`: public), or `schema.hide` (`hidden`: left alone, as the docs' own routes).
   */
  source: 'schema' | 'hook' | 'none' | 'default' | 'excluded' | 'hidden'
}

/** What applies to routes that declare nothing. */
export interface RouteDefaults {
  /** `protectAllRoutes`, resolved; `null` when off. */
  protectAll: { readonly exclude: readonly string[], readonly scopes: readonly string[] } | null
  /** With `strictScopes`: the only scopes a route may require; `null`: any. */
  knownScopes: ReadonlySet<string> | null
}

const NO_DEFAULTS: RouteDefaults = { protectAll: null, knownScopes: null }

/** Set in the `config` of every route this hook saw; see unseen-routes.ts for the others. */
export const kRouteSeen = Symbol('fastify-oauth-guard.routeSeen')

const LIFECYCLE = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const

/** State shared by the onRoute hook and the rest of the plugin. */
export interface RouteSecurityState {
  /** Every scope some route requires. */
  readonly scopes: Set<string>
  /** One entry per route seen, hidden routes excepted. */
  readonly routes: RouteSecurity[]
  /** Routes with `schema.hide`, for the startup report only. */
  readonly hidden: RouteSecurity[]
}

/** The `onRoute` hook. */
export function routeSecurityHook (authenticator: Authenticator, scheme: string, externalSchemes: readonly string[], state: RouteSecurityState, defaults: RouteDefaults = NO_DEFAULTS) {
  const record = (entry: RouteSecurity): void => {
    if (entry.requirement !== null && defaults.knownScopes !== null) checkKnownScopes(entry, defaults.knownScopes)
    state.routes.push(entry)
    if (entry.requirement !== null) for (const scope of requirementScopes(entry.requirement)) state.scopes.add(scope)
  }
  return function onRoute (route: RouteOptions): void {
    const method = [route.method].flat().join(',')
    route.config = { ...route.config, [kRouteSeen]: true } as RouteOptions['config']
    const hookPolicies = findAuthHooks(route)
    if ((route.schema as { hide?: boolean } | undefined)?.hide === true) {
      state.hidden.push({ method, url: route.url, requirement: hookPolicies.length === 0 ? null : combine(hookPolicies), source: 'hidden' })
      return
    }
    const where = `${method} ${route.url}`
    const security = (route.schema as { security?: SecurityRequirementObject[] } | undefined)?.security

    if (security !== undefined) {
      const requirement = compileRequirement(security, scheme, externalSchemes, where)
      record({ method, url: route.url, requirement, source: 'schema' })
      if (requirement === null) return
      route.onRequest = [authenticator.hook({ ...DEFAULT_POLICY, requirement }) as onRequestHookHandler, ...asArray(route.onRequest)]
      return
    }
    if (hookPolicies.length === 0) {
      const { protectAll } = defaults
      if (protectAll === null || isExcluded(route.url, protectAll.exclude)) {
        record({ method, url: route.url, requirement: null, source: protectAll === null ? 'none' : 'excluded' })
        return
      }
      const requirement: Requirement = { alternatives: [{ scopes: protectAll.scopes, external: false }], tokenOptional: false }
      record({ method, url: route.url, requirement, source: 'default' })
      route.onRequest = [authenticator.hook({ ...DEFAULT_POLICY, requirement }) as onRequestHookHandler, ...asArray(route.onRequest)]
      route.schema = { ...route.schema, security: toSecurity(requirement, scheme) } as RouteOptions['schema']
      return
    }
    // Documented from the hooks: every hook must pass, so their scopes add up in each alternative.
    const requirement = combine(hookPolicies)
    record({ method, url: route.url, requirement, source: 'hook' })
    route.schema = { ...route.schema, security: toSecurity(requirement, scheme) } as RouteOptions['schema']
  }
}

/** An exact path, or a prefix ending at a path segment: `/health` covers `/health/live`, not `/healthz`. */
export function isExcluded (url: string, exclude: readonly string[]): boolean {
  return exclude.some((entry) => url === entry || url.startsWith(entry.endsWith('/') ? entry : `${entry}/`))
}

function checkKnownScopes (entry: RouteSecurity, known: ReadonlySet<string>): void {
  for (const scope of requirementScopes(entry.requirement!)) {
    if (!known.has(scope)) {
      throw new InvalidRouteSecurityError(`${entry.method} ${entry.url}: requires the scope "${scope}", which the scopes option does not list (strictScopes is on). Add it to options.scopes, or fix the name`)
    }
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

function asArray<T> (value: T | T[] | undefined): T[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}
