/**
 * OAuth 2.0 Protected Resource Metadata (RFC 9728): the resource identifier's rules, where its
 * metadata lives, and the document itself. Framework-free; lib/fastify/protected-resource.ts
 * serves it and names it in challenges.
 *
 * @see RFC 9728 §1.2 (resource identifier), §2 (metadata), §3.1 (well-known URL), §5.1 (challenge)
 */

import { isSecureURL } from './secure-url.js'

/** Path prefix of the metadata document (RFC 9728 §3). */
export const WELL_KNOWN_RESOURCE_METADATA = '/.well-known/oauth-protected-resource'
/** Default `max-age` of the metadata document, in milliseconds: an hour (it changes only when the server restarts). */
export const DEFAULT_RESOURCE_METADATA_MAX_AGE = 3_600_000

/**
 * The document this plugin serves: only what it enforces. `bearer_methods_supported` is `header`
 * alone because tokens in the query string are refused and form bodies are never read (RFC 6750
 * §2.2, §2.3). `dpop_signing_alg_values_supported` and `dpop_bound_access_tokens_required`
 * (RFC 9728 §2) are there when DPoP is on, and only then.
 */
export interface ProtectedResourceMetadata {
  resource: string
  /** Every exact trusted issuer, the primary first; left out when the only ones are templates. */
  authorization_servers?: string[]
  /** Left out when no route requires a scope and the `scopes` option lists none. */
  scopes_supported?: string[]
  bearer_methods_supported: ['header']
  resource_documentation?: string
  /** The `dpop.algorithms` option; left out with `dpop: 'off'`. */
  dpop_signing_alg_values_supported?: string[]
  /** `true` with `dpop: 'required'`; left out otherwise. */
  dpop_bound_access_tokens_required?: boolean
}

/**
 * Why `value` cannot be a resource identifier, or `null`: an absolute `https` URL (`http` on a
 * loopback host, for local development) without fragment (RFC 9728 §1.2) and without query (which
 * §1.2 advises against and which would make the §3.1 URL ambiguous). The path may not hold `:` or
 * `*`, which a router reads as parameters, nor percent-encoding (typed, or made by the URL parser
 * from a space or a non-ASCII character): the router matches decoded request paths, so the
 * metadata route would never answer the URL challenges name.
 */
export function resourceIdentifierProblem (value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `expected an absolute URL, received ${JSON.stringify(value)}`
  }
  if (!isSecureURL(url)) {
    return `expected an https URL (http is allowed for localhost only), received ${JSON.stringify(value)}`
  }
  if (url.hash !== '' || value.includes('#') || url.search !== '' || value.includes('?')) {
    return `expected a URL without query or fragment, received ${JSON.stringify(value)}`
  }
  if (url.username !== '' || url.password !== '') return `expected a URL without credentials, received ${JSON.stringify(value)}`
  if (/[:*]/.test(url.pathname)) return `expected a path without ":" or "*", received ${JSON.stringify(value)}`
  if (url.pathname.includes('%')) return `expected a path without percent-encoding or characters that need it (space, non-ASCII), received ${JSON.stringify(value)}`
  return null
}

/**
 * The path of the metadata of `resource` on its origin (RFC 9728 §3.1): the well-known prefix, then
 * the resource's path, if any. `https://api.example.com/mcp` → `/.well-known/oauth-protected-resource/mcp`.
 */
export function resourceMetadataPath (resource: string): string {
  const { pathname } = new URL(resource)
  return pathname === '/' ? WELL_KNOWN_RESOURCE_METADATA : `${WELL_KNOWN_RESOURCE_METADATA}${pathname}`
}

/** The absolute URL of the metadata of `resource`, as named by `resource_metadata` (RFC 9728 §5.1). */
export function resourceMetadataURL (resource: string): string {
  return new URL(resourceMetadataPath(resource), resource).href
}

/** What the document is made of. */
export interface ResourceMetadataInput {
  resource: string
  /**
   * The issuer identifiers of the authorization servers whose tokens are accepted, the primary
   * first (RFC 9728 §2 `authorization_servers`); an issuer template is none (it names no server).
   */
  issuers: readonly string[]
  /** Every scope a route requires, and those the `scopes` option lists; duplicates are dropped. */
  scopes: Iterable<string>
  /** Absolute URL of the API's documentation, if any. */
  documentation?: string
  /** What DPoP accepts; `null` or absent: off. */
  dpop?: { algorithms: readonly string[], required: boolean } | null
}

/** Builds the document of RFC 9728 §2 from what the plugin enforces. */
export function buildResourceMetadata (input: ResourceMetadataInput): ProtectedResourceMetadata {
  const scopes = [...new Set(input.scopes)]
  return {
    resource: input.resource,
    // Optional in RFC 9728 §2; left out rather than empty when only templates are configured.
    ...(input.issuers.length > 0 ? { authorization_servers: [...input.issuers] } : {}),
    ...(scopes.length > 0 ? { scopes_supported: scopes } : {}),
    bearer_methods_supported: ['header'],
    ...(input.documentation === undefined ? {} : { resource_documentation: input.documentation }),
    ...(input.dpop == null ? {} : { dpop_signing_alg_values_supported: [...input.dpop.algorithms] }),
    ...(input.dpop?.required === true ? { dpop_bound_access_tokens_required: true } : {})
  }
}
