/**
 * `request.requireAuth()`: the caller's {@link AuthContext}, typed non-null, for handlers of
 * protected routes. `request.auth` stays `AuthContext | null` because one type covers every route;
 * this accessor is how a handler says "this route is protected" without a `!` that the compiler
 * cannot check.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MissingTokenError, type HTTPErrorOptions } from '../errors.js'
import type { AuthContext } from '../token/auth-context.js'

/**
 * Decorates every request with `requireAuth()`. It returns `request.auth` once a token was
 * accepted, and throws {@link MissingTokenError} (401, `WWW-Authenticate: Bearer`, RFC 6750 §3)
 * when there is none: an anonymous call of an optional route, or a route the guard does not
 * protect (a wiring mistake, answered as "log in" rather than as a 500 or a null dereference).
 * It checks nothing else: scopes and claims are the route's own policy, already enforced.
 * @example
 * app.get('/me', { onRequest: app.authenticate }, async (request) => ({ id: request.requireAuth().id }))
 */
export function decorateRequireAuth (fastify: FastifyInstance, errors: HTTPErrorOptions): void {
  fastify.decorateRequest('requireAuth', function requireAuth (this: FastifyRequest): AuthContext {
    if (this.auth === null || this.auth === undefined) throw new MissingTokenError(errors)
    return this.auth
  })
}
