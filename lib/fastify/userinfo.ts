/**
 * `request.userinfo()`: the OpenID Connect userinfo of the caller, for handlers of routes the
 * plugin authenticated. See {@link UserinfoClient} for caching and for which error each provider
 * outcome becomes; thrown from a handler, those errors reach the client with their status,
 * `WWW-Authenticate` and `code`, and never with the provider's own text.
 */
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { MissingTokenError, OAuthGuardHTTPError, type HTTPErrorOptions } from '../errors.js'
import type { UserInfo, UserinfoClient } from '../token/userinfo.js'

/**
 * Decorates every request with `userinfo()`. On a request without `request.auth` (a public route,
 * or an optional one called anonymously) it rejects with {@link MissingTokenError} (401).
 * @example
 * app.get('/me', { onRequest: app.authenticate }, async (request) => await request.userinfo())
 */
export function decorateUserinfo (fastify: FastifyInstance, client: UserinfoClient, errors: HTTPErrorOptions, resourceMetadata?: (request: FastifyRequest) => string | undefined): void {
  fastify.decorateRequest('userinfo', async function userinfo (this: FastifyRequest): Promise<UserInfo> {
    try {
      if (this.auth === null || this.auth === undefined) throw new MissingTokenError(errors)
      return await client.get(this.auth)
    } catch (err) {
      // Its 401s name the metadata like the hooks' (RFC 9728 §5.1).
      if (err instanceof OAuthGuardHTTPError) err.withResourceMetadata(resourceMetadata?.(this))
      throw err
    }
  })
}
