/**
 * The `resource` and `resourceMetadata` options, and the Fastify side of RFC 9728: the public
 * `/.well-known/oauth-protected-resource` route (and its §3.1 path-suffixed form) and the URL every
 * challenge names in `resource_metadata`, so a client that knows only the API's URL (an MCP client)
 * can find the authorization server and the scopes.
 *
 * The resource identifier is `resource`, else the first `audience` entry that is one (tokens are
 * then issued for what the plugin checks), else the origin the request reached, read with Fastify's
 * `trustProxy`-aware `request.protocol` and `request.host`.
 *
 * Not served when the plugin is registered under a prefix: well-known URLs live at the origin's root.
 *
 * @see RFC 9728 §2, §3, §5.1
 */
import { Type } from '@sinclair/typebox'
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { InvalidOptionsError } from '../errors.js'
import {
  buildResourceMetadata, DEFAULT_RESOURCE_METADATA_MAX_AGE, resourceIdentifierProblem, resourceMetadataPath,
  resourceMetadataURL, WELL_KNOWN_RESOURCE_METADATA
} from '../token/resource-metadata.js'

/** Schema of `resource`; {@link resourceMetadataProblems} checks the rest. */
export const ResourceOptionSchema = Type.String({ minLength: 1 })
/** Schema of `resourceMetadata`. */
export const ResourceMetadataOptionSchema = Type.Union([
  Type.Boolean(),
  Type.Object({ maxAge: Type.Optional(Type.Integer({ minimum: 0 })) }, { additionalProperties: false })
])

/** The options this file reads. */
export interface ResourceOptions {
  resource?: string
  resourceMetadata?: boolean | { maxAge?: number }
  audience?: string | readonly string[]
}

/** Resolved: `null` when off. `resource` is `null` when it is the origin of each request. */
export interface ResolvedResourceMetadata {
  readonly resource: string | null
  /** `Cache-Control: max-age` of the document, in seconds. */
  readonly maxAge: number
}

/** Problems as "options.path: expected ..., received ...". */
export function resourceMetadataProblems (options: ResourceOptions): string[] {
  const problems: string[] = []
  if (typeof options.resource === 'string' && options.resource !== '') {
    const problem = resourceIdentifierProblem(options.resource)
    if (problem !== null) problems.push(`options.resource: ${problem}`)
    if (options.resourceMetadata === false) problems.push('options.resource: expected it only when resourceMetadata is not false, received both')
  }
  return problems
}

/** Applies the defaults; call after {@link resourceMetadataProblems} found nothing. */
export function resolveResourceMetadata (options: ResourceOptions): ResolvedResourceMetadata | null {
  if (options.resourceMetadata === false) return null
  const audiences = options.audience === undefined ? [] : typeof options.audience === 'string' ? [options.audience] : options.audience
  const resource = options.resource ?? audiences.find((a) => resourceIdentifierProblem(a) === null) ?? null
  const maxAge = typeof options.resourceMetadata === 'object' ? options.resourceMetadata.maxAge : undefined
  return { resource, maxAge: maxAge ?? DEFAULT_RESOURCE_METADATA_MAX_AGE }
}

/** What the document is built from, read once the server is ready (every route is known then). */
export interface ResourceMetadataSources {
  issuer: string
  /** Scopes the routes require and those the `scopes` option lists. */
  scopes: () => Iterable<string>
  /** Path of Swagger UI, and the public URL it is reached at if configured; `undefined` without docs. */
  docs: () => { path: string, publicURL: string | null } | undefined
}

/** Gives the `resource_metadata` URL of a request's challenge; `undefined` to leave it out. */
export type ResourceMetadataLocator = (request: FastifyRequest) => string | undefined

/**
 * Adds the metadata routes (public, hidden from the OpenAPI document) and returns the locator for
 * challenges. `explicit`: the user turned the metadata on, so a prefix is an error rather than a warning.
 */
export function serveResourceMetadata (fastify: FastifyInstance, settings: ResolvedResourceMetadata, sources: ResourceMetadataSources, explicit: boolean): ResourceMetadataLocator | undefined {
  if (fastify.prefix !== '') {
    const text = `options.resourceMetadata: expected the plugin registered without a prefix (RFC 9728 metadata lives at the origin's /.well-known/), received the prefix ${JSON.stringify(fastify.prefix)}`
    if (explicit) throw new InvalidOptionsError([`${text}; register the plugin at the root, or set resourceMetadata: false`])
    fastify.log.warn(`fastify-oauth-guard: no RFC 9728 metadata and no resource_metadata in challenges: ${text}`)
    return undefined
  }
  const { resource } = settings
  const paths = resource === null ? [WELL_KNOWN_RESOURCE_METADATA] : [...new Set([resourceMetadataPath(resource), WELL_KNOWN_RESOURCE_METADATA])]
  const cacheControl = `public, max-age=${settings.maxAge}`
  let documentFor: ((origin: string) => string) | undefined

  fastify.addHook('onReady', async () => {
    const scopes = [...sources.scopes()]
    const docs = sources.docs()
    const fixed = resource === null ? null : new URL(resource).origin
    documentFor = (origin) => JSON.stringify(buildResourceMetadata({
      resource: resource ?? origin,
      issuer: sources.issuer,
      scopes,
      documentation: docs === undefined ? undefined : `${(docs.publicURL ?? fixed ?? origin).replace(/\/+$/, '')}${docs.path}`
    }))
    // The same answer for every request when nothing comes from the request.
    if (resource !== null) {
      const text = documentFor('')
      documentFor = () => text
    }
  })

  const handler = (request: FastifyRequest, reply: FastifyReply): void => {
    const origin = requestOrigin(request)
    if (origin === undefined || documentFor === undefined) {
      reply.code(400).type('application/json; charset=utf-8').send({ statusCode: 400, error: 'Bad Request', message: 'Invalid Host header' })
      return
    }
    // Public metadata: browser-based clients (MCP inspectors) read it from another origin.
    reply.header('cache-control', cacheControl).header('access-control-allow-origin', '*')
      .type('application/json; charset=utf-8').send(documentFor(origin))
  }
  // `hide`: public even with protectAllRoutes (route-security.ts leaves hidden routes alone), and not in the OpenAPI paths.
  for (const url of paths) fastify.get(url, { schema: { hide: true } }, handler)

  if (resource !== null) {
    const url = resourceMetadataURL(resource)
    return () => url
  }
  return (request) => {
    const origin = requestOrigin(request)
    return origin === undefined ? undefined : `${origin}${WELL_KNOWN_RESOURCE_METADATA}`
  }
}

/**
 * The origin the request reached, through proxies Fastify trusts; `undefined` when the Host header
 * is not a host (the result goes into headers and documents, so it must be one).
 */
function requestOrigin (request: FastifyRequest): string | undefined {
  const host = request.host
  if (typeof host !== 'string' || host === '' || !/^[A-Za-z0-9.\-:[\]]+$/.test(host)) return undefined
  try {
    const url = new URL(`${request.protocol}://${host}`)
    return url.pathname === '/' && url.username === '' ? url.origin : undefined
  } catch {
    return undefined
  }
}
