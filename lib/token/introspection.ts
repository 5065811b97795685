/**
 * Remote validation of access tokens with OAuth 2.0 Token Introspection. The resource server
 * authenticates with `client_secret_basic` or `client_secret_post`, and the answer is checked as a
 * JWT's claims would be: `active` must be literally `true`; `iss`, when present, must be the
 * issuer (RFC 7662 makes it optional); `aud` must contain an accepted audience (required whenever an audience is configured,
 * since an authorization server answers for tokens issued to every API); `exp` and `nbf`, when
 * present, must hold (clock tolerance included), and `iat`, when present, must not lie in the
 * future beyond it, as for a JWT; `token_type`, `token_use` and Keycloak's `typ`,
 * when present, must say "access token"; an mTLS-bound token (`cnf.x5t#S256`) is refused, as no
 * certificate binding is checked; a DPoP-bound one (`cnf.jkt`) keeps its `jkt` in the context, and
 * the credential decision checks its proof like a bound JWT's.
 *
 * An answer without `exp` is accepted (RFC 7662 makes it optional): `claims.exp` stays absent and
 * `expiresAt` is the end of the cache window, the moment this answer stops being relied on.
 *
 * The answer is held to the rules of a JWT's claims: a repeated member name refuses the token (as
 * in a JWS, RFC 7519 §4); `iss`, `sub`, `client_id`, `username`, `token_type` and `jti`, when
 * present, must be strings, and `scope`/`permissions` a string or string array (`null` refuses).
 * Without `sub` (a client credentials token, RFC 7662 §2.2), `request.auth.id` is the client ID.
 *
 * Error answers are read for what they say: `400` with `unsupported_token_type`, `invalid_token`
 * or `invalid_request` refuses the token (401, cached as a refusal); `401` or `invalid_client`
 * means the API's own credentials are wrong (503, reported once through `onMisconfiguration`);
 * anything else is a provider failure (503).
 *
 * Not checked: how old `iat` is, `jti` beyond its type. Signed or encrypted introspection responses
 * (RFC 9701) are not supported.
 *
 * Answers are cached by {@link OutcomeCache} under a SHA-256 of the token; a cached answer is
 * honoured until `min(exp, cacheMaxTTL)`, so a revoked token keeps working for at most
 * `cacheMaxTTL` milliseconds (none with `cacheMaxTTL: 0`).
 *
 * With a shared store, answers and refusals are shared between instances under a key made of the
 * token's digest and a digest of what the verdict depends on (issuer, client, audience), so APIs
 * that share one Redis never read each other's verdicts. What is shared is the provider's answer
 * (its claims), never the token; each instance runs its own checks on it when it reads it.
 *
 * @see RFC 7662 §2 (request and response), §4 (security considerations: caching, audience)
 * @see RFC 6749 §2.3.1 (client password authentication), RFC 9449 §7 (bound tokens)
 */
import { hash } from 'node:crypto'
import { InvalidTokenError, TokenExpiredError, type HTTPErrorOptions } from '../errors.js'
import { withToken, type AccessTokenClaims, type AuthContext } from './auth-context.js'
import type { StoreEntry } from './cache-store.js'
import { buildAuthContext, type ClaimNames } from './claims.js'
import { fetchJSON, ProviderRequestError } from './http.js'
import { asHTTPError } from './provider-failure.js'
import { DEFAULT_INTROSPECTION_REQUESTS_PER_SECOND, RequestBudget } from './request-budget.js'
import { SharedOutcomes } from './shared-outcomes.js'
import type { SharedLevel } from './shared-store.js'
import {
  DEFAULT_INTROSPECTION_CACHE_MAX_BYTES,
  DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES,
  DEFAULT_INTROSPECTION_CACHE_MAX_TTL,
  DEFAULT_NEGATIVE_CACHE_TTL,
  OutcomeCache,
  tokenKey,
  type Outcome,
  type RefusalReason
} from './introspection-cache.js'

/** How the resource server authenticates to the introspection endpoint. */
export type IntrospectionAuthMethod = 'client_secret_basic' | 'client_secret_post'

/** Default client authentication method. */
export const DEFAULT_INTROSPECTION_AUTH_METHOD: IntrospectionAuthMethod = 'client_secret_basic'

/**
 * The `introspection` plugin option: how the API calls the introspection endpoint, and how long it
 * trusts an answer. Required with `validation: 'introspection'` or `'auto'`.
 * @example
 * { clientId: 'my-api', clientSecret: process.env.INTROSPECTION_SECRET, cacheMaxTTL: 30_000 }
 */
export interface IntrospectionOptions {
  /** The API's own client ID at the authorization server. */
  clientId: string
  /** Its secret. Never logged; not enumerable in `fastify.oauthGuard.options`. */
  clientSecret: string
  /** Default `client_secret_basic` (RFC 6749 §2.3.1); `client_secret_post` sends both in the form. */
  authMethod?: IntrospectionAuthMethod
  /**
   * Longest time an answer is trusted, in milliseconds; never past the token's `exp`. This is how
   * long a revoked token may still be accepted. Default 60000; `0` asks the provider on every request
   * (concurrent requests with one token still share one call).
   */
  cacheMaxTTL?: number
  /** Most answers kept. Default 10000 (refusals are kept apart, as many again). */
  cacheMaxEntries?: number
  /** Memory budget of the kept answers, in estimated bytes. Default 16 MiB. */
  cacheMaxBytes?: number
  /** Time a refused token (`active: false`, wrong audience, expired...) is refused without asking again, in milliseconds. Default 5000; `0` disables. */
  negativeCacheTTL?: number
  /**
   * Most introspection requests per second (and in one burst) for tokens not in the cache; past
   * it, requests get 503 with Retry-After, so a flood of distinct garbage tokens cannot be
   * forwarded to the provider. Default 100; `0`: no limit.
   */
  maxRequestsPerSecond?: number
}

/** Applies the defaults to already validated {@link IntrospectionOptions}; the secret is not enumerable. */
export function resolveIntrospectionOptions (given: IntrospectionOptions): ResolvedIntrospectionOptions {
  const resolved = {
    clientId: given.clientId,
    authMethod: given.authMethod ?? DEFAULT_INTROSPECTION_AUTH_METHOD,
    cacheMaxTTL: given.cacheMaxTTL ?? DEFAULT_INTROSPECTION_CACHE_MAX_TTL,
    cacheMaxEntries: given.cacheMaxEntries ?? DEFAULT_INTROSPECTION_CACHE_MAX_ENTRIES,
    cacheMaxBytes: given.cacheMaxBytes ?? DEFAULT_INTROSPECTION_CACHE_MAX_BYTES,
    negativeCacheTTL: given.negativeCacheTTL ?? DEFAULT_NEGATIVE_CACHE_TTL,
    maxRequestsPerSecond: given.maxRequestsPerSecond ?? DEFAULT_INTROSPECTION_REQUESTS_PER_SECOND
  }
  return Object.defineProperty(resolved, 'clientSecret', { value: given.clientSecret, enumerable: false }) as ResolvedIntrospectionOptions
}

/** Introspection settings after validation, with every default applied. */
export interface ResolvedIntrospectionOptions {
  readonly clientId: string
  /** Not enumerable in the resolved options, so logging them does not print it. */
  readonly clientSecret: string
  readonly authMethod: IntrospectionAuthMethod
  /** Milliseconds; 0: answers are not cached. */
  readonly cacheMaxTTL: number
  readonly cacheMaxEntries: number
  /** Estimated bytes. */
  readonly cacheMaxBytes: number
  /** Milliseconds; 0: refusals are not cached. */
  readonly negativeCacheTTL: number
  /** Requests per second; 0: no limit. */
  readonly maxRequestsPerSecond: number
}

/** What {@link Introspector} needs. */
export interface IntrospectorOptions {
  issuer: string
  /** `null`: the audience check was explicitly waived. */
  audience: readonly string[] | null
  /** Milliseconds. */
  clockTolerance: number
  /** Milliseconds per request. */
  timeout: number
  /** Milliseconds, for the `Retry-After` of a 503 (sent in seconds). */
  retryAfter: number
  realm: string | undefined
  claims: ClaimNames
  credentials: ResolvedIntrospectionOptions
  /** The `introspection_endpoint` (from options or discovery). */
  endpoint: () => Promise<string | undefined>
  /** The level shared between instances; `null`: none. */
  shared?: SharedLevel | null
  /**
   * Called once when the endpoint refuses the API's own credentials (HTTP 401 or `invalid_client`),
   * and again only after a success or a different refusal: a misconfiguration, logged once, not
   * per request. Gets no secret.
   */
  onMisconfiguration?: (details: MisconfigurationDetails) => void
}

/** What {@link IntrospectorOptions.onMisconfiguration} is told. */
export interface MisconfigurationDetails {
  /** HTTP status of the refusal. */
  status: number | undefined
  /** Its RFC 6749 §5.2 `error` code, if any. */
  error: string | undefined
  /** The client ID the API introspects as. */
  clientId: string
  authMethod: IntrospectionAuthMethod
}

type CachedAuth = Omit<AuthContext, 'token'>

/** `DPoP`: RFC 9449 §6.2, a bound token (its `cnf.jkt` is then required). */
const ACCESS_TOKEN_TYPES = new Set(['bearer', 'access_token', 'dpop'])
const ACCESS_TOKEN_USES = new Set(['access', 'access_token'])
const NON_ACCESS_TYP = new Set(['refresh', 'offline', 'id', 'logout'])
/** RFC 7662 §2.2 members that are strings when present; another type is a malformed answer. */
const STRING_MEMBERS = ['iss', 'sub', 'client_id', 'username', 'token_type', 'jti'] as const
/** OAuth error codes with which an introspection endpoint refuses the token itself (RFC 7662 §2.3, RFC 7009 §2.2.1). */
const TOKEN_ERRORS = new Set(['unsupported_token_type', 'invalid_token', 'invalid_request'])

/**
 * What a failed introspection request says: about the `token` (a verdict: refused), about the
 * API's own `credentials` (misconfiguration: 503 and one log line), or nothing (`provider`: 503).
 */
function answerAbout (err: ProviderRequestError): 'token' | 'credentials' | 'provider' {
  // Ambiguous claims: no reading of them can be trusted, and an honest provider never sends them.
  if (err.failure === 'duplicate-members') return 'token'
  if (err.failure !== 'status') return 'provider'
  if (err.status === 401 || err.oauthError === 'invalid_client') return 'credentials'
  return err.status === 400 && err.oauthError !== undefined && TOKEN_ERRORS.has(err.oauthError) ? 'token' : 'provider'
}

/** RFC 7662 client of one authorization server; see the module comment. */
export class Introspector {
  readonly #options: IntrospectorOptions
  readonly #errors: HTTPErrorOptions
  /** Exposed for tests and metrics: sizes only, never keys. */
  readonly cache: OutcomeCache<CachedAuth>
  readonly #budget: RequestBudget
  /** The last credentials refusal reported, so that it is reported once; `null` after a success. */
  #misconfiguration: string | null = null

  constructor (options: IntrospectorOptions) {
    this.#budget = new RequestBudget(options.credentials.maxRequestsPerSecond)
    this.#options = options
    this.#errors = { realm: options.realm }
    const { cacheMaxTTL, negativeCacheTTL, cacheMaxEntries, cacheMaxBytes } = options.credentials
    const shared = options.shared == null
      ? undefined
      : new SharedOutcomes<CachedAuth>(options.shared, `introspection:${verdictScope(options)}:`, {
        encode: (value) => value.claims,
        decode: (claims) => claims !== null && typeof claims === 'object' ? this.#check(claims as AccessTokenClaims) : undefined
      })
    this.cache = new OutcomeCache({ maxTTL: cacheMaxTTL, negativeTTL: negativeCacheTTL, maxEntries: cacheMaxEntries, maxBytes: cacheMaxBytes }, shared)
  }

  /**
   * The cached positive answer for `token`, without any I/O (the hot path of a warm cache): the
   * context with the token put back, and the cache's entry, which the connection memo may keep and
   * check with `cache.holds(entry)`.
   */
  cached (token: string): { auth: AuthContext, entry: StoreEntry<CachedAuth> } | undefined {
    const entry = this.cache.entry(tokenKey(token))
    return entry === undefined ? undefined : { auth: withToken(entry.value, token), entry }
  }

  /** Forgets the answer for `token` (the provider refused it elsewhere, e.g. at userinfo). */
  forget (token: string): void {
    // The shared store is told in the background: the local levels are cleared at once, and the level never rejects.
    this.cache.delete(tokenKey(token)).catch(() => {})
  }

  /**
   * Validates `token` remotely (or from the cache). Throws InvalidTokenError, TokenExpiredError,
   * ProviderUnavailableError (no endpoint known), or ProviderRequestError (the caller maps it to 503).
   */
  async introspect (token: string): Promise<AuthContext> {
    const outcome = await this.cache.load(tokenKey(token), async () => await this.#introspect(token), token)
    if (!outcome.active) throw this.#refusal(outcome.reason)
    return withToken(outcome.value, token)
  }

  async #introspect (token: string): Promise<Outcome<CachedAuth>> {
    if (!this.#budget.take()) {
      throw asHTTPError(new Error('Introspection request budget spent (introspection.maxRequestsPerSecond)'), this.#options.retryAfter)
    }
    const endpoint = await this.#options.endpoint()
    if (typeof endpoint !== 'string') {
      throw asHTTPError(new Error('The provider metadata has no introspection_endpoint; set options.metadata.introspection_endpoint'), this.#options.retryAfter)
    }
    const { clientId, clientSecret, authMethod } = this.#options.credentials
    const form: Record<string, string> = { token, token_type_hint: 'access_token' }
    const headers: Record<string, string> = {}
    if (authMethod === 'client_secret_basic') {
      headers.authorization = `Basic ${Buffer.from(`${formEncode(clientId)}:${formEncode(clientSecret)}`).toString('base64')}`
    } else {
      form.client_id = clientId
      form.client_secret = clientSecret
    }
    let response: Record<string, unknown>
    try {
      response = await fetchJSON(endpoint, { method: 'POST', headers, form, timeout: this.#options.timeout, uniqueMembers: true })
    } catch (err) {
      if (!(err instanceof ProviderRequestError)) throw err
      const about = answerAbout(err)
      if (about === 'token') return { active: false, reason: 'invalid' }
      if (about === 'credentials') this.#misconfigured(err)
      throw err
    }
    this.#misconfiguration = null
    // Anything but a boolean is a broken provider, not a verdict on the token.
    if (typeof response.active !== 'boolean') throw new ProviderRequestError('invalid-json', endpoint)
    return this.#check(response as AccessTokenClaims)
  }

  /** Reports a refusal of the API's own credentials once, until an answer succeeds or the refusal changes. */
  #misconfigured (err: ProviderRequestError): void {
    // Only status answers are about the credentials (answerAbout), and fetchJSON gives every one its status.
    const key = `${String(err.status)} ${err.oauthError ?? ''}`
    if (this.#misconfiguration === key) return
    this.#misconfiguration = key
    this.#options.onMisconfiguration?.({ status: err.status, error: err.oauthError, clientId: this.#options.credentials.clientId, authMethod: this.#options.credentials.authMethod })
  }

  #check (claims: AccessTokenClaims): Outcome<CachedAuth> {
    const refused = (reason: RefusalReason): Outcome<CachedAuth> => ({ active: false, reason })
    const { issuer, audience, credentials } = this.#options
    const clockTolerance = this.#options.clockTolerance / 1000
    if (claims.active !== true) return refused('invalid')
    for (const name of STRING_MEMBERS) {
      if (claims[name] !== undefined && typeof claims[name] !== 'string') return refused('invalid')
    }
    // RFC 7662 §2.2 makes `iss` optional; the answer comes from the issuer's own endpoint (see docs/security.md).
    if (claims.iss !== undefined && claims.iss !== issuer) return refused('invalid')
    if (audience !== null && !hasAudience(claims.aud, audience)) return refused('invalid')
    if (!isOneOf(claims.token_type, ACCESS_TOKEN_TYPES) || !isOneOf(claims.token_use, ACCESS_TOKEN_USES)) return refused('invalid')
    if (typeof claims.typ === 'string' && NON_ACCESS_TYP.has(claims.typ.toLowerCase())) return refused('invalid')
    if (isSenderConstrained(claims.cnf)) return refused('invalid')
    // A DPoP token without the key it is bound to could only be taken for a bearer token.
    if (typeof claims.token_type === 'string' && claims.token_type.toLowerCase() === 'dpop' && !hasJKT(claims.cnf)) return refused('invalid')
    const now = Date.now() / 1000
    for (const name of ['exp', 'nbf', 'iat'] as const) {
      if (claims[name] !== undefined && (typeof claims[name] !== 'number' || !Number.isFinite(claims[name]))) return refused('invalid')
    }
    if (claims.exp !== undefined && claims.exp + clockTolerance <= now) return refused('expired')
    if (claims.nbf !== undefined && claims.nbf - clockTolerance > now) return refused('expired')
    if (claims.iat !== undefined && claims.iat - clockTolerance > now) return refused('invalid')

    const until = claims.exp === undefined ? Infinity : claims.exp * 1000
    // Without exp, expiresAt is honest about what we know: the answer is relied on for cacheMaxTTL.
    const exp = claims.exp ?? Math.floor(now + credentials.cacheMaxTTL / 1000)
    let context: AuthContext
    try {
      context = buildAuthContext({ ...claims, exp }, '', this.#options.claims, 'introspection')
    } catch {
      return refused('invalid')
    }
    const { token: _token, ...value } = context
    return { active: true, value: { ...value, claims }, until, bytes: estimateBytes(claims) }
  }

  #refusal (reason: RefusalReason): InvalidTokenError | TokenExpiredError {
    return reason === 'expired' ? new TokenExpiredError(this.#errors) : new InvalidTokenError(this.#errors)
  }
}

/** A digest of what an introspection verdict depends on: the issuer, the introspecting client, the accepted audiences. */
function verdictScope (options: IntrospectorOptions): string {
  return hash('sha256', JSON.stringify([options.issuer, options.credentials.clientId, options.audience]), 'base64url').slice(0, 16)
}

/** RFC 6749 §2.3.1: id and secret are form-encoded before being joined for Basic. */
function formEncode (value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+')
}

function hasAudience (aud: unknown, accepted: readonly string[]): boolean {
  if (typeof aud === 'string') return accepted.includes(aud)
  return Array.isArray(aud) && aud.some((value) => typeof value === 'string' && accepted.includes(value))
}

/** Absent, or a string in `allowed` (case-insensitive). */
function isOneOf (value: unknown, allowed: ReadonlySet<string>): boolean {
  return value === undefined || (typeof value === 'string' && allowed.has(value.toLowerCase()))
}

/** Bound to a client certificate (RFC 8705 §3.1), which this package cannot check. */
function isSenderConstrained (cnf: unknown): boolean {
  return cnf !== null && typeof cnf === 'object' && Object.hasOwn(cnf, 'x5t#S256')
}

function hasJKT (cnf: unknown): boolean {
  return cnf !== null && typeof cnf === 'object' && Object.hasOwn(cnf, 'jkt')
}

/** A rough size of a cached answer: its JSON text in UTF-16, plus the entry's own overhead. */
function estimateBytes (claims: AccessTokenClaims): number {
  return JSON.stringify(claims).length * 2 + 512
}
