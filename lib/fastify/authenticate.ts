/**
 * The Fastify side of authentication: one hook per policy that reads the Bearer token,
 * validates it (a cached token is answered synchronously), checks the policy and sets
 * `request.auth`, or fails with this package's HTTP errors.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction, onRequestHookHandler } from 'fastify'
import { InvalidRequestError, MissingTokenError, OAuthGuardHTTPError, ProviderUnavailableError, type HTTPErrorOptions } from '../errors.js'
import { kAuthHook, kAuthState } from '../symbols.js'
import type { AccessTokenValidator } from '../token/access-token-validator.js'
import type { AuthContext } from '../token/auth-context.js'
import { logSafe } from '../token/refusal-detail.js'
import { checkBearerRequest, isB64Token, readBearerCandidate, type ReadBearerOptions } from '../token/bearer-token.js'
import { usesToken } from '../token/scopes.js'
import type { Authenticate, AuthenticateOptions } from '../types.js'
import { ConnectionMemo } from './connection-memo.js'
import { checkPolicy, DEFAULT_POLICY, policyFromOptions, type Policy } from './policy.js'

/** A hook that carries its policy, so `onRoute` can document the route it protects. */
export type AuthHook = onRequestHookHandler & { [kAuthHook]: Policy }

interface RequestState { token: string, auth: AuthContext }
/** `null` until a hook validated the request's token (the plugin decorates requests with it). */
type StatefulRequest = FastifyRequest & { [kAuthState]?: RequestState | null }

/** Builds hooks bound to one validator. */
export class Authenticator {
  readonly #validator: AccessTokenValidator
  readonly #bearer: ReadBearerOptions
  readonly #errors: HTTPErrorOptions
  readonly #retryAfter: number
  /** `null` with `cache: false`: every request is then validated. */
  readonly #memo: ConnectionMemo | null
  /** The `resource_metadata` URL of a challenge (RFC 9728 §5.1); `undefined`: none. */
  readonly #resourceMetadata: ((request: FastifyRequest) => string | undefined) | undefined

  constructor (validator: AccessTokenValidator, options: { realm: string | undefined, maxTokenLength: number, retryAfter: number, cache?: unknown, resourceMetadata?: (request: FastifyRequest) => string | undefined }) {
    this.#validator = validator
    this.#resourceMetadata = options.resourceMetadata
    this.#memo = options.cache === null ? null : new ConnectionMemo()
    this.#retryAfter = options.retryAfter
    this.#errors = { realm: options.realm }
    this.#bearer = { realm: options.realm, maxTokenLength: options.maxTokenLength }
  }

  /** The hook enforcing `policy`. */
  hook (policy: Policy): AuthHook {
    // `[{}]` or external schemes only: no alternative a token can meet, so the Authorization header is left to others.
    const hook = usesToken(policy.requirement)
      ? (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => { this.#run(policy, request as StatefulRequest, reply, done) }
      : (request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => { done() }
    return Object.assign(hook, { [kAuthHook]: policy })
  }

  /** `fastify.authenticate`: a hook when Fastify calls it, a hook factory when you do. */
  decorator (): Authenticate {
    const plain = this.hook(DEFAULT_POLICY)
    function authenticate (this: unknown, first: FastifyRequest | AuthenticateOptions | undefined, reply?: FastifyReply, done?: HookHandlerDoneFunction): unknown {
      if (reply !== undefined && done !== undefined) return plain.call(this as never, first as FastifyRequest, reply, done)
      return self.hook(policyFromOptions((first === undefined ? {} : first) as AuthenticateOptions))
    }
    const self = this
    return Object.assign(authenticate, { [kAuthHook]: DEFAULT_POLICY }) as unknown as Authenticate
  }

  #run (policy: Policy, request: StatefulRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    const header = request.headers.authorization
    const connection = request.raw.socket as object | null | undefined
    // The header this connection sent last, already parsed and validated (connection-memo.ts).
    const memo = this.#memo === null || connection == null ? undefined : this.#memo.recall(connection, header)
    const source = { authorization: header, rawHeaders: request.raw.rawHeaders, url: request.url }
    let token: string | null
    try {
      // The b64token character check (a pass of a regular expression over the token) is made below,
      // before the token is relied on, unless the JWT fast path already ruled on it.
      if (memo === undefined) {
        token = readBearerCandidate(source, this.#bearer)
      } else {
        checkBearerRequest(source, this.#bearer)
        token = memo.token
      }
    } catch (err) {
      return this.#fail(err, request, reply, done)
    }
    if (token === null) {
      if (policy.requirement.tokenOptional) {
        request.auth = null
        return done()
      }
      return this.#fail(new MissingTokenError(this.#errors), request, reply, done)
    }
    // A second hook on the same request (schema.security and authenticate together) reuses the first result.
    const state = request[kAuthState]
    if (state != null && state.token === token) return this.#check(policy, state.auth, token, request, reply, done)
    if (memo !== undefined) return this.#check(policy, memo.entry.value, token, request, reply, done)
    // The token cache holds only tokens a JWT verifier accepted, all compact JWS: b64tokens.
    const entry = this.#validator.cachedEntry(token)
    if (entry !== undefined) {
      this.#remember(connection, header, token, entry)
      return this.#check(policy, entry.value, token, request, reply, done)
    }
    // Most new tokens need no I/O: answered in this turn, without a chain of promises. A token
    // accepted here had its three segments decoded as base64url, which refuses every character
    // outside A–Z a–z 0–9 - _ (jws-segment.ts): it is a b64token. Refused tokens and tokens the
    // fast path hands over (undefined) get the b64token check.
    let auth: AuthContext | undefined
    try {
      auth = this.#validator.validateSync(token)
    } catch (err) {
      return this.#fail(isB64Token(token) ? err : new InvalidRequestError('malformed', this.#errors), request, reply, done)
    }
    if (auth !== undefined) return this.#check(policy, auth, token, request, reply, done)
    if (!isB64Token(token)) return this.#fail(new InvalidRequestError('malformed', this.#errors), request, reply, done)
    // Remembered per connection like a JWT's result, for as long as the introspection cache serves it.
    const introspected = this.#validator.cachedIntrospectionEntry(token)
    if (introspected !== undefined) {
      this.#remember(connection, header, token, introspected)
      return this.#check(policy, introspected.value, token, request, reply, done)
    }
    // Not remembered yet: a token sent once is not worth a memo; its second request (a cache hit) makes one.
    this.#validator.validate(token).then(
      (auth) => this.#check(policy, auth, token, request, reply, done),
      (err) => this.#fail(err, request, reply, done)
    )
  }

  /** Lets the connection skip parsing and lookup next time, for as long as the token cache holds the result. */
  #remember (connection: object | null | undefined, header: string | undefined, token: string, entry: Readonly<{ value: AuthContext, until: number }> | undefined): void {
    if (this.#memo === null || connection == null || header === undefined || entry === undefined) return
    this.#memo.remember(connection, { header, token, entry })
  }

  #check (policy: Policy, auth: AuthContext, token: string, request: StatefulRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    request[kAuthState] = { token, auth }
    const outcome = checkPolicy(policy, auth, this.#errors)
    if (outcome === null) {
      request.auth = auth
      return done()
    }
    if (outcome instanceof Error) return this.#fail(outcome, request, reply, done)
    outcome.then((err) => {
      if (err === null) {
        request.auth = auth
        return done()
      }
      this.#fail(err, request, reply, done)
    }, (err) => this.#fail(err, request, reply, done))
  }

  /**
   * Fails the request with one log line: Fastify's own error log (info for 4xx, error for 5xx),
   * whose `err.detail` names the failed check or the provider failure. The hook adds no line of
   * its own, so a failing request is not logged twice.
   */
  #fail (err: unknown, request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void {
    if (!(err instanceof OAuthGuardHTTPError)) {
      // Unexpected: fail closed without saying why in the response; the detail tells the log.
      const detail = err instanceof Error ? `unexpected ${err.name}: ${logSafe(err.message)}` : 'unexpected error'
      err = new ProviderUnavailableError(this.#retryAfter, { cause: err, detail })
    }
    const error = (err as OAuthGuardHTTPError).withRealm(this.#errors.realm).withResourceMetadata(this.#resourceMetadata?.(request))
    // Set on the reply too, so a custom error handler that builds its own reply keeps the challenge.
    reply.headers(error.headers)
    done(error)
  }
}
