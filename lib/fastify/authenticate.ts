/**
 * The Fastify side of authentication: one hook per policy that reads the request, asks the
 * credential decision (lib/token/credential-decision.ts) what its credentials are worth, checks
 * the route's policy and sets `request.auth`, or fails with this package's HTTP errors.
 * `fastify.authenticate` is built on it in authenticate-decorator.ts.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import { MissingTokenError, OAuthGuardHTTPError } from '../errors.js'
import { kAuthHook, kAuthState } from '../symbols.js'
import type { AuthContext } from '../token/auth-context.js'
import { hasQueryToken } from '../token/bearer-token.js'
import type { CredentialDecider } from '../token/credential-decision.js'
import { asHTTPError } from '../token/provider-failure.js'
import { logSafe } from '../token/refusal-detail.js'
import { usesToken } from '../token/scopes.js'
import { completeChallenge, type ChallengeExtras } from './challenge.js'
import { checkPolicy, type Policy } from './policy.js'
import { requestURL } from './request-url.js'

/** A hook that carries its policy, so `onRoute` can document the route it protects. */
export type AuthHook = onRequestHookHandler & { [kAuthHook]: Policy }

/** `null` until a hook decided on the request (the plugin decorates requests with it). */
type StatefulRequest = FastifyRequest & { [kAuthState]?: AuthContext | null }

/** Builds hooks bound to one credential decision. */
export class Authenticator {
  readonly #decider: CredentialDecider
  /** Made once: the policy check takes it on every request. */
  readonly #errorOptions: { readonly realm: string | undefined }
  /** Milliseconds. */
  readonly #retryAfter: number
  /** Milliseconds, for `auth_time` (a route's `maxAge`). */
  readonly #clockTolerance: number
  readonly #extras: ChallengeExtras

  constructor (decider: CredentialDecider, options: { retryAfter: number, clockTolerance?: number } & ChallengeExtras) {
    this.#decider = decider
    this.#errorOptions = Object.freeze({ realm: options.realm })
    this.#retryAfter = options.retryAfter
    this.#clockTolerance = options.clockTolerance ?? 0
    this.#extras = { realm: options.realm, dpop: options.dpop, resourceMetadata: options.resourceMetadata }
  }

  /** The hook enforcing `policy`. */
  hook (policy: Policy): AuthHook {
    // `[{}]` or external schemes only: no alternative a token can meet, so the Authorization header is left to others.
    const hook = usesToken(policy.requirement)
      ? (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => { this.#run(policy, request as StatefulRequest, reply, done) }
      : (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => { done() }
    return Object.assign(hook, { [kAuthHook]: policy })
  }

  #run (policy: Policy, request: StatefulRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    // A second hook on the same request (schema.security and authenticate together) reuses the first decision.
    const decided = request[kAuthState]
    if (decided != null) return this.#check(policy, decided, request, reply, done)
    let decision
    try {
      const dpop = request.headers.dpop
      decision = this.#decider.decide({
        authorization: request.headers.authorization,
        rawHeaders: request.raw.rawHeaders,
        queryToken: hasQueryToken(request.url),
        connection: request.raw.socket,
        dpop,
        method: request.method,
        url: dpop === undefined ? undefined : requestURL(request)
      })
    } catch (err) {
      return this.#fail(err, request, reply, done)
    }
    if (decision === null) {
      if (policy.requirement.tokenOptional) {
        request.auth = null
        return done()
      }
      return this.#fail(new MissingTokenError(this.#errorOptions), request, reply, done)
    }
    if (!(decision instanceof Promise)) return this.#check(policy, decision, request, reply, done)
    decision.then((auth) => this.#check(policy, auth, request, reply, done), (err) => this.#fail(err, request, reply, done))
  }

  #check (policy: Policy, auth: AuthContext, request: StatefulRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    request[kAuthState] = auth
    const outcome = checkPolicy(policy, auth, this.#errorOptions, this.#clockTolerance)
    if (outcome === null) return this.#accept(auth, request, reply, done)
    if (outcome instanceof Error) return this.#fail(outcome, request, reply, done, auth)
    outcome.then((err) => {
      if (err === null) return this.#accept(auth, request, reply, done)
      this.#fail(err, request, reply, done, auth)
    }, (err) => this.#fail(err, request, reply, done, auth))
  }

  #accept (auth: AuthContext, request: StatefulRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    request.auth = auth
    if (auth.jkt !== undefined) {
      // A fresh nonce with every DPoP answer, so the client never needs a retry (RFC 9449 §8.2).
      const nonce = this.#decider.nonce()
      if (nonce !== undefined) reply.header('dpop-nonce', nonce)
    }
    done()
  }

  /**
   * Fails the request with one log line: Fastify's own error log (info for 4xx, error for 5xx),
   * whose `err.detail` names the failed check or the provider failure. The hook adds no line of
   * its own, so a failing request is not logged twice.
   */
  #fail (err: unknown, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction, auth?: AuthContext): void {
    // Unexpected (a route's claims check, a bug): fail closed without saying why in the response; the detail tells the log.
    const unexpected = err instanceof OAuthGuardHTTPError ? undefined : err instanceof Error ? `unexpected ${err.name}: ${logSafe(err.message)}` : 'unexpected error'
    const error = completeChallenge(asHTTPError(err, this.#retryAfter, { detail: unexpected }), auth ?? request.auth, request, this.#extras)
    // Set on the reply too, so a custom error handler that builds its own reply keeps the challenge.
    reply.headers(error.headers)
    done(error)
  }
}
