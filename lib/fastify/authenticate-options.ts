/**
 * The types of `fastify.authenticate`: per-route options and the decorator's two call forms.
 * Public (re-exported by lib/types.ts), defined here so the glue that implements them does not
 * import the public surface.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import type { AccessTokenClaims } from '../token/auth-context.js'

/** Per-route options of `fastify.authenticate(options)`. */
export interface AuthenticateOptions<Claims extends AccessTokenClaims = AccessTokenClaims> {
  /** Scopes the token must all grant. */
  scopes?: readonly string[]
  /** Let requests without a token through with `request.auth = null`. A token that is sent is still held to the route's whole requirement (invalid: 401; without the scopes: 403). */
  optional?: boolean
  /** Permissions the token must all grant (claim `claims.permissions`). */
  permissions?: readonly string[]
  /** Acceptable `acr` values; any other gets 401 `insufficient_user_authentication` (RFC 9470). */
  acr?: string | readonly string[]
  /** Longest time since the user authenticated (`auth_time`), in seconds; older or unknown gets 401 `insufficient_user_authentication` with `max_age` (RFC 9470). */
  maxAge?: number
  /** Your own check; `false` (or a rejection) gets 403. */
  claims?: (claims: Readonly<Claims>) => boolean | Promise<boolean>
  /**
   * Client IDs allowed on this route (`request.auth.clientId`); a valid token issued to another
   * client, or naming none, gets 403 `insufficient_scope` with code `OAUTH_GUARD_CLIENT_NOT_ALLOWED`.
   * For "this route is for these machines"; the plugin-wide `clients` option is for "this API
   * only trusts these clients" (401).
   */
  clients?: readonly string[]
}

/** `fastify.authenticate`: a hook as it is, or a function of options returning a hook. */
export interface Authenticate {
  (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void
  (options?: AuthenticateOptions): onRequestHookHandler
}
