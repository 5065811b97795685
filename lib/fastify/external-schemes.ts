/**
 * The contract between this plugin and the hooks that enforce the schemes listed in
 * `externalSchemes`. The plugin rules on the Bearer token only: a token that is sent must meet an
 * alternative naming the plugin's scheme (else 401/403, whatever the other alternatives), and a
 * request without one passes only when some alternative needs no token. What is left, the other
 * schemes, is your hook's job, and {@link pendingSchemes} tells it exactly what is left.
 *
 * @see docs/scopes-and-openapi.md (Schemes this plugin does not own)
 */
import type { FastifyRequest } from 'fastify'
import { pendingSchemes as pendingFor, type Requirement } from '../token/scopes.js'
import { kRouteRequirement } from './route-security.js'

/**
 * What your hooks must still verify before the request may pass. Call it from a hook that runs
 * after the plugin's (`preParsing`, `preValidation` or `preHandler`, or a route's own `onRequest`
 * after its security).
 *
 * - `null`: nothing; the plugin settled the request alone (a token met an alternative naming no
 *   other scheme, an anonymous request met `{}`, the route is public, or it is a 404).
 * - otherwise one group of scheme names per alternative still open: let the request through only
 *   if you verified every scheme of one group. An empty list: nothing can be met; refuse.
 *
 * Fails closed: before the plugin's hook has run, `request.auth` is still `null`, so a request
 * with a valid token is treated as anonymous and your hook refuses it unless its own credential
 * is good. Not checked: the credentials of your schemes (that is your hook).
 * @example
 * app.addHook('preParsing', async (request) => {
 *   const pending = pendingSchemes(request)
 *   if (pending === null) return
 *   if (pending.some((group) => group.length === 1 && group[0] === 'apiKey') && isValidKey(request.headers['x-api-key'])) return
 *   throw Object.assign(new Error('A valid API key or Bearer token is required'), { statusCode: 401 })
 * })
 */
export function pendingSchemes (request: FastifyRequest): string[][] | null {
  if (request.is404) return null
  const requirement = (request.routeOptions.config as unknown as Record<symbol, Requirement | null | undefined>)[kRouteRequirement]
  // Unknown route: nothing the plugin read; refuse rather than guess.
  if (requirement === undefined) return []
  return pendingFor(requirement, request.auth === null ? null : request.auth.scopes)
}
