/**
 * The one place that decides what a request's credentials are worth: from the raw
 * `Authorization` header to an {@link AuthContext}, `null` (no Bearer credentials) or one of this
 * package's HTTP errors. Framework-free; lib/fastify/authenticate.ts only reads the request and
 * applies the route's policy to the result.
 *
 * In order, for every request:
 * 1. request-level rules (RFC 6750 §2.3 no `access_token` in the query; one `Authorization` header);
 * 2. the connection memo: the header this connection sent last, compared whole, while the cache
 *    entry that answered it is live (connection-memo.ts);
 * 3. the Bearer grammar and the b64token character rule, then the length limit (bearer-token.ts);
 *    with DPoP on, the same for the `DPoP` scheme (RFC 9449 §7.1); with DPoP required, a Bearer
 *    credential is refused here;
 * 4. for a JWT (`validation` `jwt`, or `auto` and the shape of a compact JWS): the token cache, then
 *    verification without waiting when the key is already held (the common case, answered in the
 *    same turn, without promises), else verification with I/O;
 *    for other tokens: the introspection cache, else an introspection request;
 * 5. the plugin-wide `clients` allow-list and `validateClaims`, once per token (the verdict is
 *    cached with the token); a token the provider refused at userinfo is refused until its `exp`;
 * 6. the key binding: a token bound to a key (`cnf.jkt`, kept in its cached context) is refused
 *    with the Bearer scheme, whatever the DPoP mode (RFC 9449 §7.2: else a stolen token works
 *    without the key); with the DPoP scheme, the token must be bound and the request's proof must
 *    fit it (dpop-proof.ts). Bound tokens are never remembered by the connection memo: each
 *    request proves possession again.
 *
 * A plain Bearer request pays for DPoP one property read (the context's `jkt`) and nothing else.
 *
 * Failures that are no verdict on the token become 503 in one place (provider-failure.ts).
 * Whatever changes the decision (a new credential type, DPoP's proof) belongs here, and
 * {@link CredentialInput} grows for it.
 *
 * @see RFC 6750 §2.1, §3.1; RFC 9068 §4; RFC 7662 §2.2; RFC 9449 §7
 */
import { InvalidRequestError, InvalidTokenError, TokenBindingError } from '../errors.js'
import type { AccessTokenClaims, AuthContext } from './auth-context.js'
import { parseBearer, parseDPoP, singleAuthorization } from './bearer-token.js'
import { buildAuthContext, type ClaimNames } from './claims.js'
import { ConnectionMemo } from './connection-memo.js'
import type { DPoPVerifier } from './dpop-proof.js'
import { logSafe } from './refusal-detail.js'
import { RefusedTokens } from './refused-tokens.js'
import type { Introspector } from './introspection.js'
import type { IssuerRouter } from './issuer-router.js'
import { isCompactJWS } from './jws-segment.js'
import type { JWTVerifier } from './jwt-verifier.js'
import { asHTTPError } from './provider-failure.js'
import type { TokenCache } from './token-cache.js'
import type { ValidationMode } from './validation-mode.js'

/** What a request presents, read as the HTTP server gives it. */
export interface CredentialInput {
  /** The `Authorization` header value(s), as Node gives them (`request.headers.authorization`). */
  authorization: string | readonly string[] | undefined
  /** The raw header name/value list, where a second `Authorization` header shows (Node keeps only the first). */
  rawHeaders?: readonly string[] | undefined
  /** Whether the query string carried `access_token` (RFC 6750 §2.3, refused). */
  queryToken: boolean
  /** The connection (any object, e.g. the socket) its memo is kept for; none: no memo. */
  connection?: object | null | undefined
  /** The `DPoP` header value(s), as Node gives them (RFC 9449 §4.1). */
  dpop?: string | readonly string[] | undefined
  /** The request method, for the proof's `htm`. */
  method?: string | undefined
  /**
   * The request's absolute URL as the client addressed it (query and fragment are ignored), for
   * the proof's `htu`. Needed only with a `DPoP` header: callers may leave it out otherwise.
   */
  url?: string | undefined
}

/** The parts a {@link CredentialDecider} is made of. */
export interface CredentialDeciderOptions {
  mode: ValidationMode
  jwt: JWTVerifier | null
  introspector: Introspector | null
  claims: ClaimNames
  /**
   * Several issuers (issuer-router.ts): each token goes to the verifier or introspector of the
   * issuer it claims, and `mode`, `jwt` and `introspector` above are not used. `null`: one issuer.
   */
  router?: IssuerRouter | null | undefined
  /** `null`: JWTs are verified on every request (`cache: false`). */
  cache: TokenCache | null
  /** Milliseconds, for the `Retry-After` of a 503. */
  retryAfter: number
  /** Longest token accepted, in characters. */
  maxTokenLength: number
  /** The plugin-wide `validateClaims` check: `false` (or a throw) makes every token it sees invalid. */
  validateClaims?: ((claims: Readonly<AccessTokenClaims>) => boolean) | undefined
  /** DPoP proofs (RFC 9449); `null` (mode `off`): the DPoP scheme is not accepted. */
  dpop?: DPoPVerifier | null | undefined
  /** The plugin-wide client allow-list: a token whose `clientId` is not in it is invalid. `null`: any client. */
  clients?: ReadonlySet<string> | null
}

/** What {@link CredentialDecider.decide} gives: a context, no credentials (`null`), or a context to wait for. */
export type Decision = AuthContext | null | Promise<AuthContext>

/**
 * Decides on credentials; see the module comment.
 * @example
 * const decision = decider.decide({ authorization: req.headers.authorization, rawHeaders: req.rawHeaders, queryToken: false, connection: req.socket })
 * const auth = decision instanceof Promise ? await decision : decision
 */
export class CredentialDecider {
  readonly #options: CredentialDeciderOptions
  readonly #memo = new ConnectionMemo()
  readonly #dpop: DPoPVerifier | null
  readonly #bearerRefused: boolean
  /** Tokens the provider refused after validation (userinfo 401): refused until their `exp`. */
  readonly #refused = new RefusedTokens()

  constructor (options: CredentialDeciderOptions) {
    this.#options = options
    this.#dpop = options.dpop ?? null
    this.#bearerRefused = this.#dpop?.required === true
  }

  /**
   * The decision on `input`. Throws (or, for a promise, rejects with) one of this package's HTTP
   * errors: {@link InvalidRequestError}, {@link InvalidTokenError}, `TokenExpiredError`,
   * `ProviderUnavailableError`, {@link TokenBindingError}, `InvalidDPoPProofError`,
   * `UseDPoPNonceError`. Their challenge carries no `realm` and no DPoP offer: the caller adds them.
   * Errors of a DPoP-scheme request are already put on the DPoP challenge.
   */
  decide (input: CredentialInput): Decision {
    if (input.queryToken) throw new InvalidRequestError('query-token')
    const header = singleAuthorization(input.authorization, input.rawHeaders)
    if (header === undefined) return null
    const connection = input.connection
    if (connection != null) {
      const remembered = this.#memo.recall(connection, header)
      if (remembered !== undefined) return remembered
    }
    const token = parseBearer(header, this.#options.maxTokenLength)
    if (token === null) return this.#dpop === null ? null : this.#decideDPoP(this.#dpop, header, input)
    if (this.#bearerRefused) throw new TokenBindingError('dpop-required')
    const decision = this.#resolve(token, header, connection)
    return decision instanceof Promise ? decision.then(unbound) : unbound(decision)
  }

  /** A nonce to hand out with a successful DPoP response (RFC 9449 §8.2), or `undefined` when nonces are off. */
  nonce (): string | undefined {
    return this.#dpop?.nonce()
  }

  /** The context of `token`, bound or not; `connection` non-null: a plain Bearer request, its memo may be made. */
  #resolve (token: string, header: string, connection: object | null | undefined): AuthContext | Promise<AuthContext> {
    const { mode, router } = this.#options
    // One issuer: no payload decoding on this path, the verifier checks `iss` as it checks the rest.
    if (router == null) {
      if (mode === 'jwt' || (mode === 'auto' && isCompactJWS(token))) return this.#decideJWT(token, this.#options.jwt, header, connection)
      return this.#decideIntrospected(token, this.#options.introspector, header, connection)
    }
    return this.#decideRouted(router, token, header, connection)
  }

  /** A `DPoP`-scheme credential (or another scheme: `null`); its errors go on the DPoP challenge. */
  #decideDPoP (dpop: DPoPVerifier, header: string, input: CredentialInput): Promise<AuthContext> | null {
    let token
    try {
      token = parseDPoP(header, this.#options.maxTokenLength)
    } catch (err) {
      throw asHTTPError(err, this.#options.retryAfter).onScheme('DPoP')
    }
    if (token === null) return null
    return this.#proven(dpop, token, header, input)
  }

  async #proven (dpop: DPoPVerifier, token: string, header: string, input: CredentialInput): Promise<AuthContext> {
    try {
      const auth = await this.#resolve(token, header, null)
      if (auth.jkt === undefined) throw new TokenBindingError('not-bound')
      await dpop.verify({ proof: input.dpop, rawHeaders: input.rawHeaders, method: input.method ?? '', url: input.url ?? '' }, token, auth.jkt)
      return auth
    } catch (err) {
      throw asHTTPError(err, this.#options.retryAfter).onScheme('DPoP')
    }
  }

  /**
   * Refuses `token` until `expiresAt` and forgets it in every cache (and so in every connection
   * memo): the provider refused it elsewhere (a 401 at userinfo).
   */
  forget (token: string, expiresAt: Date): void {
    this.#refused.add(token, expiresAt.getTime())
    this.#options.cache?.delete(token)
    this.#options.introspector?.forget(token)
    for (const route of this.#options.router?.routes ?? []) route.introspector?.forget(token)
  }

  /**
   * Several issuers: a JWT goes to the issuer its unverified `iss` names, after the token cache (a
   * cached token was verified by its own issuer); any other token to the one issuer that introspects.
   */
  #decideRouted (router: IssuerRouter, token: string, header: string, connection: object | null | undefined): AuthContext | Promise<AuthContext> {
    if (!isCompactJWS(token)) {
      const opaque = router.opaque
      if (opaque === null) throw new InvalidTokenError({ detail: 'token: not a compact JWS, and no configured issuer introspects' })
      return this.#decideIntrospected(token, opaque.introspector, header, connection)
    }
    const cached = this.#options.cache?.entry(token)
    if (cached !== undefined) return this.#decideJWT(token, null, header, connection)
    const route = router.route(token)
    if (route.mode === 'introspection') return this.#decideIntrospected(token, route.introspector, header, connection)
    return this.#decideJWT(token, route.jwt, header, connection)
  }

  #decideJWT (token: string, jwt: JWTVerifier | null, header: string, connection: object | null | undefined): AuthContext | Promise<AuthContext> {
    const { cache } = this.#options
    const entry = cache?.entry(token)
    if (entry !== undefined) {
      // The memo is made on the second request: a token sent once is not worth one. Never for a
      // bound token: its every request needs a proof (and as Bearer it is refused).
      if (connection != null && entry.value.jkt === undefined) this.#memo.remember(connection, header, entry.value, cache!.store, entry)
      return entry.value
    }
    this.#checkNotRefused(token)
    if (jwt === null) throw new InvalidTokenError({ detail: 'validation: a JWT, but no JWT verifier (validation: introspection)' })
    let claims
    try {
      claims = jwt.verifySync(token)
    } catch (err) {
      throw asHTTPError(err, this.#options.retryAfter)
    }
    if (claims === undefined) return this.#verify(jwt, token)
    return this.#accepted(buildAuthContext(claims, token, this.#options.claims, 'jwt'))
  }

  async #verify (jwt: JWTVerifier, token: string): Promise<AuthContext> {
    try {
      return this.#accepted(buildAuthContext(await jwt.verify(token), token, this.#options.claims, 'jwt'))
    } catch (err) {
      throw asHTTPError(err, this.#options.retryAfter)
    }
  }

  #decideIntrospected (token: string, introspector: Introspector | null, header: string, connection: object | null | undefined): AuthContext | Promise<AuthContext> {
    if (introspector === null) throw new InvalidTokenError({ detail: 'validation: not a compact JWS, and introspection is not configured' })
    const cached = introspector.cached(token)
    // The introspection cache holds answers before the plugin-wide checks: one that fails them goes the slow way, to its 401.
    if (cached !== undefined && this.#refusal(cached.auth) === null) {
      if (connection != null && cached.auth.jkt === undefined) this.#memo.remember(connection, header, cached.auth, introspector.cache, cached.entry)
      return cached.auth
    }
    this.#checkNotRefused(token)
    return this.#introspect(introspector, token)
  }

  async #introspect (introspector: Introspector, token: string): Promise<AuthContext> {
    try {
      return this.#checked(await introspector.introspect(token))
    } catch (err) {
      throw asHTTPError(err, this.#options.retryAfter)
    }
  }

  /** `auth` after the plugin-wide checks, cached with its token (JWTs only: introspection answers have their own cache). */
  #accepted (auth: AuthContext): AuthContext {
    this.#options.cache?.set(this.#checked(auth))
    return auth
  }

  /** `auth` if the plugin-wide checks accept it, else {@link InvalidTokenError} saying which refused. */
  #checked (auth: AuthContext): AuthContext {
    const refusal = this.#refusal(auth)
    if (refusal !== null) throw new InvalidTokenError({ detail: refusal })
    return auth
  }

  /** A token the provider refused at userinfo never reaches the caches again (they dropped it then). */
  #checkNotRefused (token: string): void {
    if (this.#refused.has(token)) {
      throw new InvalidTokenError({ detail: 'userinfo: the identity provider refused this token earlier (401); refused until its exp' })
    }
  }

  /** Why the plugin-wide checks (`clients`, `validateClaims`) refuse `auth`, for the log; `null` when they accept it. */
  #refusal (auth: AuthContext): string | null {
    const clients = this.#options.clients
    // A token naming no client cannot show it is one of the allowed ones.
    if (clients != null && (auth.clientId === null || !clients.has(auth.clientId))) {
      return `clients: expected one of ${logSafe([...clients])}, received ${logSafe(auth.clientId)}`
    }
    const validate = this.#options.validateClaims
    if (validate === undefined) return null
    try {
      if (validate(auth.claims) === true) return null
    } catch {
      // A check that throws refuses: failing open on a bug would accept the token.
    }
    return 'validateClaims: refused the claims'
  }
}

/** `auth` of a Bearer credential, unless its token is bound to a key (RFC 9449 §7.2). */
function unbound (auth: AuthContext): AuthContext {
  if (auth.jkt !== undefined) throw new TokenBindingError('bound-as-bearer')
  return auth
}
