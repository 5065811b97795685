/**
 * `request.userinfo()`: the OpenID Connect userinfo of the caller, for handlers of routes the
 * plugin authenticated. See {@link UserinfoClient} for caching and for which error each provider
 * outcome becomes; thrown from a handler, those errors reach the client with their status,
 * `WWW-Authenticate` and `code`, and never with the provider's own text.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MissingTokenError, OAuthGuardHTTPError } from '../errors.js'
import type { UserInfo, UserinfoClient } from '../token/userinfo.js'
import { completeChallenge, type ChallengeExtras } from './challenge.js'

/**
 * Decorates every request with `userinfo()`. On a request without `request.auth` (a public route,
 * or an optional one called anonymously) it rejects with {@link MissingTokenError} (401).
 * @example
 * app.get('/me', { onRequest: app.authenticate }, async (request) => await request.userinfo())
 */
export function decorateUserinfo (fastify: FastifyInstance, client: UserinfoClient, extras: ChallengeExtras): void {
  fastify.decorateRequest('userinfo', async function userinfo (this: FastifyRequest): Promise<UserInfo> {
    try {
      if (this.auth === null || this.auth === undefined) throw new MissingTokenError()
      return await client.get(this.auth)
    } catch (err) {
      // Its challenges read like the hooks' (realm, RFC 9728 metadata, DPoP offer).
      throw err instanceof OAuthGuardHTTPError ? completeChallenge(err, this.auth, this, extras) : err
    }
  })
}
