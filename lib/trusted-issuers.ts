/**
 * The services of each trusted issuer: its metadata, its own key set (never shared between
 * issuers, so a key of one cannot verify a token claiming another), its JWT verifier and, where it
 * introspects, its introspector. The plugin builds them once, at registration.
 */
import type { ResolvedIssuer, ResolvedOptions } from './resolved-options.js'
import { MetadataResolver } from './token/discovery.js'
import { Introspector, type IntrospectorOptions } from './token/introspection.js'
import type { IssuerRoute } from './token/issuer-router.js'
import { IssuerTemplate } from './token/issuer-template.js'
import { JWKSCache } from './token/jwks-cache.js'
import { JWTVerifier } from './token/jwt-verifier.js'
import type { SharedLevel } from './token/shared-store.js'

/** One trusted issuer's route, and its metadata resolver (for the docs and userinfo of the primary). */
export interface TrustedIssuer {
  route: IssuerRoute
  metadata: MetadataResolver
  keys: JWKSCache | null
}

/** Where the services report what the plugin logs. */
export interface TrustedIssuerHooks {
  /** The level shared between instances (`store` option), for introspection answers; `null`: none. */
  shared: SharedLevel | null
  /** A warning about a discovered document. */
  warn: (message: string) => void
  /** The introspection endpoint refused the API's own credentials. */
  onMisconfiguration: NonNullable<IntrospectorOptions['onMisconfiguration']>
}

/** Builds the services of `issuer`. */
export function trustedIssuer (issuer: ResolvedIssuer, options: ResolvedOptions, hooks: TrustedIssuerHooks): TrustedIssuer {
  const { clockTolerance, timeout, retryAfter, realm } = options
  const template = issuer.tenants === null ? undefined : new IssuerTemplate(issuer.issuer, issuer.tenants)
  const metadata = new MetadataResolver(issuer.issuer, issuer.metadata, timeout, {
    credentialEndpoints: issuer.introspection === null ? [] : ['introspection_endpoint'],
    warn: hooks.warn
  })
  const keys = issuer.validation === 'introspection'
    ? null
    : new JWKSCache(async () => await metadata.get('jwks_uri'), { timeout, ...options.jwks })
  const jwt = keys === null
    ? null
    : new JWTVerifier({
      issuer: issuer.issuer,
      issuerCheck: template?.accepts,
      audience: issuer.audience,
      algorithms: options.algorithms,
      clockTolerance,
      requireAccessTokenType: options.requireAccessTokenType,
      keys
    })
  const introspector = issuer.introspection === null
    ? null
    : new Introspector({
      issuer: issuer.issuer,
      audience: issuer.audience,
      clockTolerance,
      timeout,
      retryAfter,
      realm,
      claims: options.claims,
      credentials: issuer.introspection,
      shared: hooks.shared,
      endpoint: async () => await metadata.get('introspection_endpoint'),
      onMisconfiguration: hooks.onMisconfiguration
    })
  return { route: { issuer: issuer.issuer, mode: issuer.validation, jwt, introspector, template }, metadata, keys }
}

/**
 * The trusted issuer of a validated token, by its `iss` (a template's by its tenant); without
 * `iss` (an introspection answer may omit it), the issuer that introspects, else the primary.
 * Its endpoints, not the primary's, get the token (userinfo), so no server sees another's tokens.
 */
export function issuerOf (issuers: readonly TrustedIssuer[], iss: unknown): TrustedIssuer {
  if (typeof iss === 'string') {
    const found = issuers.find(({ route }) => route.template === undefined ? route.issuer === iss : route.template.allowedTenantOf(iss) !== null)
    if (found !== undefined) return found
  }
  return issuers.find(({ route }) => route.mode !== 'jwt') ?? issuers[0]!
}
