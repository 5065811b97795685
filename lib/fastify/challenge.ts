/**
 * What every challenge the plugin sends carries besides its error: the `realm` option, the
 * `resource_metadata` URL (RFC 9728 §5.1) and the DPoP offer (RFC 9449 §7.1). One function for
 * the hooks, `request.userinfo()` and `request.requireAuth()`, so a 401 reads the same wherever
 * it comes from and a client learns the same ways to retry.
 */
import type { FastifyRequest } from 'fastify'
import type { OAuthGuardHTTPError } from '../errors.js'
import type { AuthContext } from '../token/auth-context.js'
import type { DPoPOffer } from '../token/www-authenticate.js'

/** The plugin-wide parts of a challenge. */
export interface ChallengeExtras {
  realm: string | undefined
  /** `null`: DPoP off, challenges name Bearer only. */
  dpop: DPoPOffer | null
  /** The `resource_metadata` URL for `request`; `undefined`: none. */
  resourceMetadata: ((request: FastifyRequest) => string | undefined) | undefined
}

/**
 * `err` with the plugin-wide parts of its challenge. The error of a caller whose token is bound
 * to a key (`caller`: the context being refused, or `request.auth`) goes on the DPoP challenge,
 * the scheme that caller used.
 */
export function completeChallenge<E extends OAuthGuardHTTPError> (err: E, caller: AuthContext | null | undefined, request: FastifyRequest, extras: ChallengeExtras): E {
  err.withRealm(extras.realm).withResourceMetadata(extras.resourceMetadata?.(request)).withDPoP(extras.dpop)
  if (caller?.jkt !== undefined) err.onScheme('DPoP')
  return err
}
