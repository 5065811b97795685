/**
 * The OpenAPI `oauth2` security scheme, built from the provider's metadata and the scopes the
 * routes require. Swagger UI reads it to draw the Authorize dialog.
 *
 * @see OpenAPI 3.1 §4.8.27 (Security Scheme Object), §4.8.28 (OAuth Flows Object);
 *   RFC 8414 §2 (endpoints and `grant_types_supported`)
 */
import type { RouteSecurity } from '../fastify/route-security.js'
import type { AuthorizationServerMetadata } from '../token/discovery.js'
import { requirementScopes } from '../token/scopes.js'

/** One OAuth flow as OpenAPI writes it. */
export interface OAuthFlowObject {
  authorizationUrl?: string
  tokenUrl?: string
  refreshUrl?: string
  /** Scope name → description. */
  scopes: Record<string, string>
}

/** An OpenAPI Security Scheme Object of type `oauth2`. */
export interface OAuth2SecurityScheme {
  type: 'oauth2'
  description: string
  flows: { authorizationCode?: OAuthFlowObject, clientCredentials?: OAuthFlowObject }
}

/** What the scheme is built from. */
export interface SecuritySchemeInput {
  metadata: AuthorizationServerMetadata
  /** How each route is protected (for scopes and their default descriptions). */
  routes: readonly RouteSecurity[]
  /** The `scopes` option: scope → description. These scopes are listed even if no route requires them. */
  descriptions: Readonly<Record<string, string>>
  /** OpenID Connect scopes to offer before the API's. */
  openidScopes: readonly string[]
  /** Add the client credentials flow. */
  clientCredentials: boolean
  /** The token relay's URL, the client credentials flow's `tokenUrl` instead of the provider's. Default none. */
  clientCredentialsTokenUrl?: string | undefined
}

/** Descriptions of the OpenID Connect scopes (OIDC Core §5.4, §11), used unless the `scopes` option says otherwise. */
export const OPENID_SCOPE_DESCRIPTIONS: Readonly<Record<string, string>> = Object.freeze({
  openid: 'Sign in with OpenID Connect',
  profile: 'Your name and profile',
  email: 'Your email address',
  address: 'Your postal address',
  phone: 'Your phone number',
  offline_access: 'Stay signed in (refresh token)'
})

const MAX_ROUTES_NAMED = 3

/**
 * The scopes map: the OpenID scopes first, then every scope a route requires or the `scopes`
 * option describes, sorted. A scope without a description is described by the routes needing it.
 */
export function schemeScopes (input: Pick<SecuritySchemeInput, 'routes' | 'descriptions' | 'openidScopes'>): Record<string, string> {
  const usedBy = new Map<string, string[]>()
  for (const route of input.routes) {
    if (route.requirement === null) continue
    for (const scope of requirementScopes(route.requirement)) {
      const list = usedBy.get(scope) ?? []
      // Fastify adds a HEAD route for each GET one; naming it again says nothing.
      if (route.method !== 'HEAD') list.push(`${route.method} ${route.url}`)
      usedBy.set(scope, list)
    }
  }
  const scopes: Record<string, string> = {}
  for (const scope of input.openidScopes) {
    scopes[scope] = input.descriptions[scope] ?? OPENID_SCOPE_DESCRIPTIONS[scope] ?? scope
  }
  const api = [...new Set([...usedBy.keys(), ...Object.keys(input.descriptions)])].filter((s) => !(s in scopes)).sort()
  for (const scope of api) {
    scopes[scope] = input.descriptions[scope] ?? describeUse(usedBy.get(scope) as string[])
  }
  return scopes
}

function describeUse (routes: string[]): string {
  const unique = [...new Set(routes)]
  const named = unique.slice(0, MAX_ROUTES_NAMED).join(', ')
  const more = unique.length > MAX_ROUTES_NAMED ? ` and ${unique.length - MAX_ROUTES_NAMED} more` : ''
  return `Required by ${named}${more}`
}

/**
 * Builds the scheme. The authorization code flow needs `authorization_endpoint` and
 * `token_endpoint`; `refreshUrl` is set when `grant_types_supported` lists `refresh_token`; the
 * client credentials flow, when asked for, needs `token_endpoint` or the token relay's URL (which
 * then is its `tokenUrl`). A flow whose endpoints are
 * missing is left out. Endpoint URLs are copied as the metadata states them, not fetched.
 */
export function buildSecurityScheme (input: SecuritySchemeInput): OAuth2SecurityScheme {
  const { metadata } = input
  const scopes = schemeScopes(input)
  const flows: OAuth2SecurityScheme['flows'] = {}
  const tokenUrl = typeof metadata.token_endpoint === 'string' ? metadata.token_endpoint : undefined
  const authorizationUrl = typeof metadata.authorization_endpoint === 'string' ? metadata.authorization_endpoint : undefined
  if (authorizationUrl !== undefined && tokenUrl !== undefined) {
    const grants = Array.isArray(metadata.grant_types_supported) ? metadata.grant_types_supported : []
    flows.authorizationCode = {
      authorizationUrl,
      tokenUrl,
      ...(grants.includes('refresh_token') && { refreshUrl: tokenUrl }),
      scopes
    }
  }
  const machineTokenUrl = input.clientCredentialsTokenUrl ?? tokenUrl
  if (input.clientCredentials && machineTokenUrl !== undefined) {
    const apiScopes = Object.fromEntries(Object.entries(scopes).filter(([scope]) => !input.openidScopes.includes(scope)))
    flows.clientCredentials = { tokenUrl: machineTokenUrl, scopes: apiScopes }
  }
  const issuer = typeof metadata.issuer === 'string' ? ` issued by ${metadata.issuer}` : ''
  return {
    type: 'oauth2',
    description: `OAuth 2.0 Bearer access tokens${issuer}. Swagger UI signs in with the authorization code flow and PKCE.`,
    flows
  }
}
