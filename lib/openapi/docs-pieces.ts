/**
 * The options to give @fastify/swagger and @fastify/swagger-ui, for users who register them
 * themselves; the plugin's `docs` option uses the same pieces.
 */
import type { AddressInfo } from 'node:net'
import type { FastifyInstance } from 'fastify'
import { InvalidOptionsError } from '../errors.js'
import { asHTTPError } from '../token/provider-failure.js'
import { schemaProblems } from '../option-messages.js'
import { currentScheme, docsStateOf, refreshMetadata, type DocsState } from './docs-state.js'
import { docsProblems, DocsOptionsSchema, resolveDocsOptions, type DocsOptions, type ResolvedDocsOptions } from './docs-options.js'
import { addErrorResponses } from './error-responses.js'
import { registerTokenRelay, tokenRelayPath } from './token-relay.js'
import { buildInitOAuth, docsPath, swaggerUIRedirectURI, type SwaggerUIInitOAuth } from './swagger-ui.js'
import { swaggerUIDisplay } from './swagger-ui-display.js'

/** An OpenAPI document, loosely typed so it fits every @fastify/swagger version's types. */
export type OpenAPIDocument = Record<string, any>

/** What {@link oauthGuardDocs} returns. */
export interface OAuthGuardDocs {
  /** Options for @fastify/swagger: `openapi` (with this plugin's security scheme) and `transformObject`. */
  swagger: {
    openapi: OpenAPIDocument
    /** Fills in the security scheme and the error responses. Call it from your own `transformObject` if you replace it. */
    transformObject: (documentObject: { openapiObject: OpenAPIDocument } | { swaggerObject: OpenAPIDocument }) => OpenAPIDocument
    [option: string]: unknown
  }
  /** Options for @fastify/swagger-ui: `routePrefix` and `initOAuth` (client ID, PKCE, preselected scopes). */
  swaggerUI: { routePrefix: string, initOAuth: SwaggerUIInitOAuth, [option: string]: unknown }
  /** Full path of Swagger UI, prefixes included, e.g. `/docs`. */
  path: string
  /** The redirect URI the provider must allow, for a given public URL (origin plus any proxy path). */
  redirectURI (publicURL: string): string
  /**
   * Resolves once the provider's metadata is known (fetching it if needed), so that `app.swagger()`
   * can build the document; rejects with `ProviderUnavailableError` while the provider is down.
   */
  ready (): Promise<void>
}

const started = new WeakSet<DocsState>()

/**
 * Builds the @fastify/swagger and @fastify/swagger-ui options for Swagger UI login. Call it after
 * registering the plugin and before your routes; register Swagger UI on the same instance.
 * The security scheme needs the provider's metadata: it is fetched when the server gets ready
 * (waiting at most the `timeout` option); if the provider is down, the document is answered with
 * 503 until it is back, and `app.swagger()` throws `ProviderUnavailableError` (await
 * `ready()` first). Not validated: that Swagger UI really is registered under `routePrefix`.
 * @see docs/swagger-ui-login.md
 * @example
 * await app.register(oauthGuard, { issuer, audience, scopes: { 'items:read': 'Read items' } })
 * const docs = oauthGuardDocs(app, { clientId: 'swagger-ui' })
 * await app.register(swagger, { ...docs.swagger, openapi: { ...docs.swagger.openapi, info: { title: 'My API', version: '1.0.0' } } })
 * await app.register(swaggerUI, docs.swaggerUI)
 */
export function oauthGuardDocs (fastify: FastifyInstance, options: DocsOptions = {}): OAuthGuardDocs {
  const state = docsStateOf(fastify.hasDecorator('oauthGuard') ? fastify.oauthGuard : undefined)
  if (state === undefined) throw new InvalidOptionsError(['oauthGuardDocs(fastify): expected an instance fastify-oauth-guard is registered on, received one without it'])
  const scheme = state.guard.options.securityScheme
  const problems = [...schemaProblems(DocsOptionsSchema, options, 'docs'), ...docsProblems(options, scheme, 'docs')]
  if (problems.length > 0) throw new InvalidOptionsError(problems)
  const docs = resolveDocsOptions(options)
  const path = docsPath(fastify.prefix, docs.routePrefix)
  if (docs.tokenRelay !== null) {
    // Root-relative, or under publicURL: Swagger UI resolves it against the page, so a proxy path counts.
    docs.tokenRelayURL = `${docs.publicURL ?? ''}${tokenRelayPath(path)}`
    registerTokenRelay(fastify, docs.routePrefix, state, docs.tokenRelay)
  }
  state.sites.set(path, docs)
  start(fastify, state)
  return {
    swagger: swaggerOptions(state, docs),
    swaggerUI: { ...docs.swaggerUI, ...swaggerUIDisplay(docs.swaggerUI), routePrefix: docs.routePrefix, initOAuth: buildInitOAuth(docs) },
    path,
    redirectURI: (publicURL) => swaggerUIRedirectURI(publicURL, path),
    ready: async () => {
      try {
        await refreshMetadata(state)
      } catch (err) {
        throw asHTTPError(err, state.guard.options.retryAfter)
      }
    }
  }
}

function swaggerOptions (state: DocsState, docs: ResolvedDocsOptions): OAuthGuardDocs['swagger'] {
  const scheme = state.guard.options.securityScheme
  const components = (docs.openapi.components ?? {}) as OpenAPIDocument
  const userTransform = docs.swagger.transformObject as OAuthGuardDocs['swagger']['transformObject'] | undefined
  return {
    ...docs.swagger,
    openapi: {
      ...docs.openapi,
      components: {
        ...components,
        // @fastify/swagger reads each named scheme while it lists the routes; the real one replaces this.
        securitySchemes: { ...components.securitySchemes, [scheme]: { type: 'oauth2', flows: {} } }
      }
    },
    transformObject (documentObject) {
      const document = userTransform?.(documentObject) ?? (documentObject as { openapiObject: OpenAPIDocument }).openapiObject
      document.components = {
        ...document.components,
        securitySchemes: { ...document.components?.securitySchemes, [scheme]: currentScheme(state, docs) }
      }
      return addErrorResponses(document, scheme)
    }
  }
}

function start (fastify: FastifyInstance, state: DocsState): void {
  if (started.has(state)) return
  started.add(state)
  fastify.addHook('onReady', async function prefetchMetadata () {
    try {
      await refreshMetadata(state)
    } catch (err) {
      fastify.log.warn({ code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', cause: (err as Error).name }, 'fastify-oauth-guard: identity provider metadata unavailable; the OpenAPI document answers 503 until it is')
    }
  })
  fastify.addHook('onListen', async function printRedirectURIs () {
    const https = fastify.initialConfig.https !== undefined && fastify.initialConfig.https !== false
    const origin = listeningOrigin(fastify.addresses(), https)
    for (const [path, docs] of state.sites) {
      const base = docs.publicURL ?? origin
      fastify.log.info({ docs: `${base}${path}`, redirectURI: swaggerUIRedirectURI(base, path), clientId: docs.clientId },
        'fastify-oauth-guard: Swagger UI login: the identity provider must allow this redirect URI for the client')
    }
  })
}

/** The origin to print for a server listening on `addresses`; a wildcard address prints as localhost. */
export function listeningOrigin (addresses: ReadonlyArray<string | AddressInfo>, https: boolean): string {
  const scheme = https ? 'https' : 'http'
  const sockets = addresses.filter((a): a is AddressInfo => typeof a !== 'string')
  const address = sockets.find((a) => a.family === 'IPv4') ?? sockets[0]
  if (address === undefined) return `${scheme}://localhost`
  const host = address.address === '0.0.0.0' || address.address === '::'
    ? 'localhost'
    : address.family === 'IPv6' ? `[${address.address}]` : address.address
  return `${scheme}://${host}:${address.port}`
}
