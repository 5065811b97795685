/**
 * The `onRoute` side: every route's `schema.security` becomes an enforced `onRequest` hook, and
 * every route guarded by `fastify.authenticate` gets the matching `schema.security`, so the
 * OpenAPI document and the server say the same thing. Runs before body parsing, on HEAD routes
 * too, and on routes hidden from the document (`schema.hide`): hiding a route does not unguard it.
 * Only the docs' own routes, marked by the docs (see {@link kDocsRoute}), are public by design.
 * With `protectAllRoutes`, a route that declares nothing requires a token (secure by default);
 * `security: []` or an `exclude` entry keeps it public. With `strictScopes`, a route requiring a
 * scope the `scopes` option does not list fails when it is added.
 *
 * What an `onRoute` hook registered after the plugin changes (security, authenticate hooks) is
 * caught at `ready` by {@link checkRoutesUnchanged}, which refuses to start: enforcing what the
 * plugin read while the document shows what came later would let them drift.
 *
 * Not seen: routes added before the plugin is registered (Fastify calls `onRoute` only for later
 * ones); unseen-routes.ts enforces those.
 */
import type { RouteOptions, onRequestHookHandler } from 'fastify'
import { InvalidRouteSecurityError } from '../errors.js'
import { kAuthHook } from '../symbols.js'
import { compileRequirement, requirementScopes, usesToken, type Requirement, type SecurityRequirementObject } from '../token/scopes.js'
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
   * (`excluded`: public), or the plugin's own docs routes (`docs`: public by design).
   */
  source: 'schema' | 'hook' | 'none' | 'default' | 'excluded' | 'docs'
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
/** The route's compiled requirement (`null`: public), in its `config`; read by external-schemes.ts. */
export const kRouteRequirement = Symbol('fastify-oauth-guard.routeRequirement')
/**
 * Set in the `config` of the docs' own routes (Swagger UI, its assets, the document) by the docs'
 * `onRoute` hook, which runs first: those routes are public by design, whatever `protectAllRoutes`.
 */
export const kDocsRoute = Symbol('fastify-oauth-guard.docsRoute')

const LIFECYCLE = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const

/** What the plugin read from a route, to notice later changes (internal). */
export interface Tracked {
  route: RouteOptions
  where: string
  security: string | undefined
  authHooks: readonly Policy[]
  hook: onRequestHookHandler | null
}

/** State shared by the onRoute hook and the rest of the plugin. */
export interface RouteSecurityState {
  /** Every scope some route requires. */
  readonly scopes: Set<string>
  /** One entry per route seen, docs routes excepted. */
  readonly routes: RouteSecurity[]
  /** The docs' own routes, for the startup report only. */
  readonly docs: RouteSecurity[]
  /** Internal: what each route looked like when the plugin read it. */
  readonly tracked: Tracked[]
}

/** The `onRoute` hook. */
export function routeSecurityHook (authenticator: Authenticator, scheme: string, externalSchemes: readonly string[], state: RouteSecurityState, defaults: RouteDefaults = NO_DEFAULTS) {
  return function onRoute (route: RouteOptions): void {
    const method = [route.method].flat().join(',')
    const config = (route.config ?? {}) as Record<symbol, unknown>
    if (config[kDocsRoute] === true) {
      route.config = { ...route.config, [kRouteSeen]: true, [kRouteRequirement]: null } as RouteOptions['config']
      state.docs.push({ method, url: route.url, requirement: null, source: 'docs' })
      return
    }
    const where = `${method} ${route.url}`
    const { requirement, source, hook } = protect(route, authenticator, scheme, externalSchemes, defaults, where)
    if (requirement !== null && defaults.knownScopes !== null) checkKnownScopes(where, requirement, defaults.knownScopes)
    route.config = { ...route.config, [kRouteSeen]: true, [kRouteRequirement]: requirement } as RouteOptions['config']
    state.routes.push({ method, url: route.url, requirement, source })
    if (requirement !== null) for (const scope of requirementScopes(requirement)) state.scopes.add(scope)
    state.tracked.push({ route, where, security: securityOf(route), authHooks: findAuthHooks(route), hook })
  }
}

/** Decides a route's requirement, adds the hook enforcing it and documents it. */
function protect (route: RouteOptions, authenticator: Authenticator, scheme: string, externalSchemes: readonly string[], defaults: RouteDefaults, where: string): { requirement: Requirement | null, source: RouteSecurity['source'], hook: onRequestHookHandler | null } {
  const security = (route.schema as { security?: SecurityRequirementObject[] } | undefined)?.security
  if (security !== undefined) {
    const requirement = compileRequirement(security, scheme, externalSchemes, where)
    // A requirement no token can meet (`[{}]`, external schemes only) needs no hook: request.auth stays null.
    const hook = requirement === null || !usesToken(requirement) ? null : addHook(route, authenticator, requirement)
    return { requirement, source: 'schema', hook }
  }
  const hookPolicies = findAuthHooks(route)
  if (hookPolicies.length > 0) {
    // Documented from the hooks: every hook must pass, so their scopes add up in each alternative.
    const requirement = combine(hookPolicies)
    route.schema = { ...route.schema, security: toSecurity(requirement, scheme) } as RouteOptions['schema']
    return { requirement, source: 'hook', hook: null }
  }
  const { protectAll } = defaults
  if (protectAll === null || isExcluded(route.url, protectAll.exclude)) {
    return { requirement: null, source: protectAll === null ? 'none' : 'excluded', hook: null }
  }
  const requirement: Requirement = { alternatives: [{ scopes: protectAll.scopes, external: false }], tokenOptional: false }
  route.schema = { ...route.schema, security: toSecurity(requirement, scheme) } as RouteOptions['schema']
  return { requirement, source: 'default', hook: addHook(route, authenticator, requirement) }
}

function addHook (route: RouteOptions, authenticator: Authenticator, requirement: Requirement): onRequestHookHandler {
  const hook = authenticator.hook({ ...DEFAULT_POLICY, requirement }) as onRequestHookHandler
  route.onRequest = [hook, ...asArray(route.onRequest)]
  return hook
}

/**
 * At `ready`: throws {@link InvalidRouteSecurityError} naming every route whose `schema.security`
 * or `authenticate` hooks an `onRoute` hook registered after the plugin changed, or that lost the
 * plugin's hook. Such a route would be documented one way and enforced another.
 */
export function checkRoutesUnchanged (state: RouteSecurityState): void {
  const changed: string[] = []
  for (const entry of state.tracked) {
    const { route } = entry
    const lostHook = entry.hook !== null && !asArray(route.onRequest).includes(entry.hook)
    if (securityOf(route) !== entry.security || !samePolicies(findAuthHooks(route), entry.authHooks) || lostHook) changed.push(entry.where)
  }
  if (changed.length > 0) {
    throw new InvalidRouteSecurityError(`${changed.join(', ')}: schema.security or the authenticate hooks changed after fastify-oauth-guard read the route (an onRoute hook registered after the plugin?). The document would not match what is enforced. Register that onRoute hook before the plugin, or declare the security in the route options`)
  }
}

function samePolicies (a: readonly Policy[], b: readonly Policy[]): boolean {
  return a.length === b.length && a.every((policy, i) => policy === b[i])
}

function securityOf (route: RouteOptions): string | undefined {
  const security = (route.schema as { security?: unknown } | undefined)?.security
  return security === undefined ? undefined : JSON.stringify(security)
}

/** An exact path, or a prefix ending at a path segment: `/health` covers `/health/live`, not `/healthz`. */
export function isExcluded (url: string, exclude: readonly string[]): boolean {
  return exclude.some((entry) => url === entry || url.startsWith(entry.endsWith('/') ? entry : `${entry}/`))
}

function checkKnownScopes (where: string, requirement: Requirement, known: ReadonlySet<string>): void {
  for (const scope of requirementScopes(requirement)) {
    if (!known.has(scope)) {
      throw new InvalidRouteSecurityError(`${where}: requires the scope "${scope}", which the scopes option does not list (strictScopes is on). Add it to options.scopes, or fix the name`)
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
