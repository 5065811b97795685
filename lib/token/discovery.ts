/**
 * Authorization server metadata: OpenID Connect Discovery first, RFC 8414 as the fallback, with
 * the metadata's `issuer` required to equal the configured issuer exactly (OIDC Discovery §4.3,
 * RFC 8414 §3.3). Values given in options win and, when they cover what is asked, no request is
 * made. A successful document is kept for the life of the plugin; a failure is not kept.
 *
 * @see OpenID Connect Discovery 1.0 §4, RFC 8414 §3
 */
import { fetchJSON, ProviderRequestError, providerURLProblem } from './http.js'
import { logSafe } from './refusal-detail.js'

/**
 * Discovered fields this plugin fetches or hands to Swagger UI: each must follow the rule endpoint
 * options follow ({@link providerURLProblem}), or the whole document is refused.
 */
export const DISCOVERED_ENDPOINTS = ['jwks_uri', 'introspection_endpoint', 'userinfo_endpoint', 'authorization_endpoint', 'token_endpoint'] as const

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
    super(`issuer mismatch: discovery returned issuer ${logSafe(received)}, expected exactly ${logSafe(expected)}`)
    this.name = 'IssuerMismatchError'
  }
}

/** A discovered endpoint is not https (or http on a loopback host): the document is not used. */
export class UnsafeEndpointError extends Error {
  constructor (field: string, value: unknown, problem: string) {
    super(`discovered ${field} refused: ${problem}, received ${logSafe(value)}`)
    this.name = 'UnsafeEndpointError'
  }
}

/** Options of {@link MetadataResolver} beyond the issuer, the given values and the timeout. */
export interface MetadataResolverOptions {
  /**
   * Fields the API sends its client credentials to (`introspection_endpoint` when introspection is
   * configured). Discovered on another origin than the issuer, they are used, with one warning.
   */
  credentialEndpoints?: readonly (keyof AuthorizationServerMetadata)[]
  /** Called once per warning about the discovered document. */
  warn?: (message: string) => void
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
  readonly #extra: MetadataResolverOptions

  constructor (issuer: string, given: AuthorizationServerMetadata, timeout: number, extra: MetadataResolverOptions = {}) {
    this.#issuer = issuer
    this.#given = given
    this.#timeout = timeout
    this.#extra = extra
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
    for (const field of DISCOVERED_ENDPOINTS) {
      // A value given in options replaces the discovered one, which is then never used.
      if (document[field] === undefined || this.#given[field] !== undefined) continue
      const problem = providerURLProblem(document[field])
      if (problem !== null) throw new UnsafeEndpointError(field, document[field], problem)
    }
    this.#discovered = document
    this.#warnCrossOrigin(document)
    return document
  }

  /**
   * RFC 8414 §2 lets every endpoint live on any host, and keys often do (Google, Entra ID): a
   * `jwks_uri` elsewhere is normal. The client secret going to another origin than the issuer's
   * deserves to be seen once; set the endpoint in `metadata` to pin it and silence this.
   */
  #warnCrossOrigin (document: AuthorizationServerMetadata): void {
    const origin = new URL(this.#issuer).origin
    for (const field of this.#extra.credentialEndpoints ?? []) {
      const value = document[field]
      if (typeof value !== 'string' || this.#given[field] !== undefined || new URL(value).origin === origin) continue
      this.#extra.warn?.(`discovered ${String(field)} ${logSafe(new URL(value).origin)} is on another origin than the issuer ${logSafe(origin)}; the API's client credentials are sent there (set metadata.${String(field)} to pin it)`)
    }
  }
}
