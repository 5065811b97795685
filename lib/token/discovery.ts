/**
 * Authorization server metadata: OpenID Connect Discovery first, RFC 8414 as the fallback, with
 * the metadata's `issuer` required to equal the configured issuer exactly (OIDC Discovery §4.3,
 * RFC 8414 §3.3). Values given in options win and, when they cover what is asked, no request is
 * made. A successful document is kept for the life of the plugin; a failure is not kept.
 *
 * @see OpenID Connect Discovery 1.0 §4, RFC 8414 §3
 */
import { fetchJSON, ProviderRequestError } from './http.js'

/** The metadata fields this plugin reads (RFC 8414 §2 names). */
export interface AuthorizationServerMetadata {
  issuer?: string
  jwks_uri?: string
  authorization_endpoint?: string
  token_endpoint?: string
  introspection_endpoint?: string
  userinfo_endpoint?: string
  revocation_endpoint?: string
  scopes_supported?: string[]
  [field: string]: unknown
}

/** The discovered `issuer` is not the configured one: a configuration error, never retried silently. */
export class IssuerMismatchError extends Error {
  constructor (expected: string, received: unknown) {
    super(`Discovery returned issuer ${JSON.stringify(received)}, expected exactly ${JSON.stringify(expected)}`)
    this.name = 'IssuerMismatchError'
  }
}

/** The two well-known URLs to try, in order. */
export function discoveryURLs (issuer: string): [oidc: string, oauth: string] {
  const url = new URL(issuer)
  const path = url.pathname.replace(/\/$/, '')
  return [
    `${url.origin}${path}/.well-known/openid-configuration`,
    `${url.origin}/.well-known/oauth-authorization-server${path}`
  ]
}

/** Resolves metadata fields, discovering them once when the options do not give them. */
export class MetadataResolver {
  readonly #issuer: string
  readonly #given: AuthorizationServerMetadata
  readonly #timeout: number
  #pending: Promise<AuthorizationServerMetadata> | undefined
  #discovered: AuthorizationServerMetadata | undefined

  constructor (issuer: string, given: AuthorizationServerMetadata, timeout: number) {
    this.#issuer = issuer
    this.#given = given
    this.#timeout = timeout
  }

  /** The discovered document merged under the given values, if discovery already happened. */
  get current (): AuthorizationServerMetadata | undefined {
    return this.#discovered === undefined ? undefined : { ...this.#discovered, ...this.#given }
  }

  /** One field: from options when given, else from the (cached) discovery document. */
  async get<K extends keyof AuthorizationServerMetadata> (field: K): Promise<AuthorizationServerMetadata[K]> {
    if (this.#given[field] !== undefined) return this.#given[field]
    return (await this.discover())[field]
  }

  /** The whole document. Concurrent callers share one request; a failure is not cached. */
  async discover (): Promise<AuthorizationServerMetadata> {
    if (this.#discovered !== undefined) return { ...this.#discovered, ...this.#given }
    this.#pending ??= this.#fetch().finally(() => { this.#pending = undefined })
    const discovered = await this.#pending
    return { ...discovered, ...this.#given }
  }

  async #fetch (): Promise<AuthorizationServerMetadata> {
    const [oidc, oauth] = discoveryURLs(this.#issuer)
    let document: Record<string, unknown>
    try {
      document = await fetchJSON(oidc, { timeout: this.#timeout })
    } catch (err) {
      // Only a 4xx means "no OIDC document here"; an outage must not turn into a second request.
      if (!(err instanceof ProviderRequestError && err.failure === 'status' && err.status !== undefined && err.status < 500)) throw err
      document = await fetchJSON(oauth, { timeout: this.#timeout })
    }
    if (document.issuer !== this.#issuer) throw new IssuerMismatchError(this.#issuer, document.issuer)
    this.#discovered = document
    return document
  }
}
