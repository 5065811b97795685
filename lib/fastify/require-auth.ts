/**
 * `request.requireAuth()`: the caller's {@link AuthContext}, typed non-null, for handlers of
 * protected routes. `request.auth` stays `AuthContext | null` because one type covers every route;
 * this accessor is how a handler says "this route is protected" without a `!` that the compiler
 * cannot check.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MissingTokenError } from '../errors.js'
import type { AuthContext } from '../token/auth-context.js'
import { completeChallenge, type ChallengeExtras } from './challenge.js'

/**
 * Decorates every request with `requireAuth()`. It returns `request.auth` once a token was
 * accepted, and throws {@link MissingTokenError} (401, `WWW-Authenticate: Bearer`, RFC 6750 §3)
 * when there is none: an anonymous call of an optional route, or a route the guard does not
 * protect (a wiring mistake, answered as "log in" rather than as a 500 or a null dereference).
 * It checks nothing else: scopes and claims are the route's own policy, already enforced.
 * @example
 * app.get('/me', { onRequest: app.authenticate }, async (request) => ({ id: request.requireAuth().id }))
 */
export function decorateRequireAuth (fastify: FastifyInstance, extras: ChallengeExtras): void {
  fastify.decorateRequest('requireAuth', function requireAuth (this: FastifyRequest): AuthContext {
    // The same challenge as the hooks' 401 (realm, RFC 9728 metadata, DPoP offer).
    if (this.auth === null || this.auth === undefined) throw completeChallenge(new MissingTokenError(), this.auth, this, extras)
    return this.auth
  })
}
