/**
 * The OpenID Connect UserInfo request for an already validated access token, cached and
 * coalesced. The cache key is the issuer, the subject and the granted scopes (hashed): userinfo
 * depends on the scopes a token grants, so a token without `email` never gets the claims another
 * token of the same user could see. Every failure becomes one of this package's HTTP errors, with
 * a fixed message; the provider's body is never read into an error or a log.
 *
 * | provider outcome                          | error                                   |
 * | ----------------------------------------- | --------------------------------------- |
 * | unreachable, timeout, discovery failure   | 503 ProviderUnavailableError            |
 * | 401 (token revoked or expired upstream)   | 401 InvalidTokenError; the token is refused from then on, until its `exp` |
 * | 403 (token lacks the `openid` scope)      | 403 InsufficientScopeError, `openid`    |
 * | other status, redirect, not JSON, no/other `sub`, no endpoint | 502 UserinfoError |
 *
 * Not supported: signed or encrypted userinfo responses (`application/jwt`), which end as 502.
 *
 * @see OpenID Connect Core 1.0 §5.3 (UserInfo endpoint), §5.3.4 (the `sub` must match)
 */
import {
  InsufficientScopeError,
  InvalidTokenError,
  OAuthGuardHTTPError,
  UserinfoError,
  type HTTPErrorOptions
} from '../errors.js'
import type { AuthContext } from './auth-context.js'
import { fetchJSON, ProviderRequestError } from './http.js'
import { OutcomeCache, tokenKey, type Outcome } from './introspection-cache.js'
import { asHTTPError, describeProviderFailure } from './provider-failure.js'

/** Default time a userinfo response is reused for the same subject and scopes, in milliseconds. */
export const DEFAULT_USERINFO_TTL = 60_000
/** Default largest number of cached userinfo responses. */
export const DEFAULT_USERINFO_MAX_ENTRIES = 1000
/** Memory budget of the userinfo cache, in estimated bytes (8 MiB). */
export const USERINFO_CACHE_MAX_BYTES = 8 * 1024 * 1024

/** Claims of an OpenID Connect UserInfo response. Extend it to type your provider's own claims. */
export interface UserInfo {
  /** Always present, and equal to the access token's `sub` when the token has one. */
  sub: string
  name?: string
  given_name?: string
  family_name?: string
  preferred_username?: string
  email?: string
  email_verified?: boolean
  picture?: string
  locale?: string
  [claim: string]: unknown
}

/** What {@link UserinfoClient} needs. */
export interface UserinfoClientOptions {
  /** The `userinfo_endpoint` (from options or discovery). */
  endpoint: () => Promise<string | undefined>
  /** Milliseconds; 0: every call asks the provider (concurrent calls still share one request). */
  ttl: number
  maxEntries: number
  /** Milliseconds per request. */
  timeout: number
  /** Milliseconds, for the `Retry-After` of a 503 (sent in seconds). */
  retryAfter: number
  realm: string | undefined
  /**
   * Called with a token the userinfo endpoint answered 401 for and the time it expires: the plugin
   * drops it from the validation caches and refuses it until then (refused-tokens.ts).
   */
  forget?: (token: string, expiresAt: Date) => void
}

/** Fetches userinfo for validated tokens; see the module comment. */
export class UserinfoClient {
  readonly #options: UserinfoClientOptions
  readonly #errors: HTTPErrorOptions
  /** Exposed for tests and metrics. */
  readonly cache: OutcomeCache<UserInfo>

  constructor (options: UserinfoClientOptions) {
    this.#options = options
    this.#errors = { realm: options.realm }
    this.cache = new OutcomeCache({ maxTTL: options.ttl, negativeTTL: 0, maxEntries: options.maxEntries, maxBytes: USERINFO_CACHE_MAX_BYTES })
  }

  /** The userinfo of `auth`'s subject, as its token may see it. Throws this package's HTTP errors. */
  async get (auth: AuthContext): Promise<UserInfo> {
    const subject = typeof auth.claims.sub === 'string' ? auth.claims.sub : auth.id
    const key = tokenKey([auth.claims.iss ?? '', subject, [...auth.scopes].sort().join(' ')].join('\n'))
    const outcome = await this.cache.load(key, async () => {
      const info = await this.#fetch(auth)
      return { active: true, value: info, until: Infinity, bytes: JSON.stringify(info).length * 2 + 512 }
    })
    // The loader only produces positive outcomes; a copy keeps one caller from editing another's.
    return structuredClone((outcome as Extract<Outcome<UserInfo>, { active: true }>).value)
  }

  async #fetch (auth: AuthContext): Promise<UserInfo> {
    let endpoint: string | undefined
    try {
      endpoint = await this.#options.endpoint()
    } catch (err) {
      // Discovery must work before the endpoint is known: its failures are an outage.
      throw asHTTPError(err, this.#options.retryAfter, this.#errors)
    }
    if (typeof endpoint !== 'string') {
      throw new UserinfoError({ ...this.#errors, cause: new Error('The provider metadata has no userinfo_endpoint; set options.metadata.userinfo_endpoint') })
    }
    let body: Record<string, unknown>
    try {
      body = await fetchJSON(endpoint, { headers: { authorization: `Bearer ${auth.token}` }, timeout: this.#options.timeout })
    } catch (err) {
      throw this.#mapError(err, auth)
    }
    const expected = auth.claims.sub
    if (typeof body.sub !== 'string' || body.sub === '' || (typeof expected === 'string' && body.sub !== expected)) {
      throw new UserinfoError({ ...this.#errors, cause: new Error('The userinfo response has no sub, or not the access token\'s') })
    }
    return body as UserInfo
  }

  #mapError (err: unknown, auth: AuthContext): OAuthGuardHTTPError {
    const options = { ...this.#errors, cause: err, detail: `userinfo: ${describeProviderFailure(err)}` }
    if (err instanceof ProviderRequestError) {
      if (err.failure === 'network' || err.failure === 'timeout') return asHTTPError(err, this.#options.retryAfter, options)
      if (err.status === 401) {
        this.#options.forget?.(auth.token, auth.expiresAt)
        return new InvalidTokenError(options)
      }
      if (err.status === 403) return new InsufficientScopeError(['openid'], options)
    }
    return new UserinfoError(options)
  }
}
