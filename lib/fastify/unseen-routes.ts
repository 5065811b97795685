/**
 * A safety net for routes the `onRoute` hook never saw. Fastify runs `onRoute` only for routes
 * added after the plugin has loaded, so `app.register(oauthGuard, ...)` without `await`, followed
 * by `app.get('/items', { schema: { security } })`, would leave `/items` open. Fastify still runs
 * global hooks on such routes, so one global `onRequest` hook enforces on them what `onRoute`
 * would have (their `schema.security`, else `protectAllRoutes`), and warns once per route.
 *
 * Not covered: such a route's own `authenticate` hooks run as declared, but they are not
 * documented, and the route is missing from the startup report.
 */
import type { FastifyBaseLogger, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { InvalidRouteSecurityError } from '../errors.js'
import { compileRequirement, type Requirement, type SecurityRequirementObject } from '../token/scopes.js'
import type { AuthHook, Authenticator } from './authenticate.js'
import { DEFAULT_POLICY } from './policy.js'
import { describeRequirement } from './route-report.js'
import { isExcluded, kRouteRequirement, kRouteSeen, type RouteDefaults } from './route-security.js'

/** What the fallback needs to know; the same values the `onRoute` hook gets. */
export interface UnseenRouteOptions {
  scheme: string
  externalSchemes: readonly string[]
  defaults: RouteDefaults
  log: FastifyBaseLogger
}

type Fallback = AuthHook | InvalidRouteSecurityError | null

/** The global `onRequest` hook; cheap for routes `onRoute` saw (one property read). */
export function unseenRouteHook (authenticator: Authenticator, options: UnseenRouteOptions) {
  const fallbacks = new WeakMap<object, Fallback>()
  return function guardUnseenRoute (this: unknown, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (request.is404) return done()
    const route = request.routeOptions
    const config = route.config as unknown as Record<symbol, unknown>
    if (config[kRouteSeen] === true) return done()
    let fallback = fallbacks.get(config)
    if (fallback === undefined) {
      fallback = buildFallback(authenticator, options, `${route.method} ${route.url}`, route.url as string, route.schema as RouteSchema | undefined, config)
      fallbacks.set(config, fallback)
    }
    if (fallback === null) return done()
    if (fallback instanceof Error) return done(fallback)
    fallback.call(this as never, request, reply, done)
  }
}

interface RouteSchema { security?: SecurityRequirementObject[] }

function buildFallback (authenticator: Authenticator, options: UnseenRouteOptions, where: string, url: string, schema: RouteSchema | undefined, config: Record<symbol, unknown>): Fallback {
  const { protectAll } = options.defaults
  let requirement: Requirement | null = null
  try {
    if (schema?.security !== undefined) requirement = compileRequirement(schema.security, options.scheme, options.externalSchemes, where)
    else if (protectAll !== null && !isExcluded(url, protectAll.exclude)) requirement = { alternatives: [{ scopes: protectAll.scopes, external: false }], tokenOptional: false }
  } catch (err) {
    options.log.error({ route: where, err }, 'fastify-oauth-guard: route security cannot be enforced; refusing every request to this route')
    // Fail closed, without telling the client why.
    config[kRouteRequirement] = { alternatives: [], tokenOptional: false }
    return new InvalidRouteSecurityError(`${where}: route security cannot be enforced`)
  }
  options.log.warn({ route: where, requirement: describeRequirement(requirement) },
    'fastify-oauth-guard: route added before the plugin had loaded; enforced by a fallback hook, missing from the report and the docs. Use `await app.register(oauthGuard, ...)` before adding routes')
  // Read by pendingSchemes(), as for the routes onRoute saw.
  config[kRouteRequirement] = requirement
  return requirement === null ? null : authenticator.hook({ ...DEFAULT_POLICY, requirement })
}
