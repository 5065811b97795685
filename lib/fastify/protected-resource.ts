/**
 * The `resource` and `resourceMetadata` options, and the Fastify side of RFC 9728: the public
 * `/.well-known/oauth-protected-resource` route (and its §3.1 path-suffixed form) and the URL every
 * challenge names in `resource_metadata`, so a client that knows only the API's URL (an MCP client)
 * can find the authorization server and the scopes.
 *
 * On when `resource` is set, the URL clients call. There is no default: an audience that looks
 * like a URL is often not one clients reach (Auth0 API identifiers need not resolve), and every
 * 401 would then send clients to a host that does not exist; the Host header is the client's to
 * choose. The metadata must describe only what is enforced, so the plugin does not guess.
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
  Type.Object({ maxAge: Type.Optional(Type.Integer({ minimum: 0, multipleOf: 1000, unit: 'milliseconds, whole seconds: Cache-Control max-age is in seconds' })) }, { additionalProperties: false })
], { expected: 'true, false or { maxAge }' })

/** The options this file reads. */
export interface ResourceOptions {
  resource?: string
  resourceMetadata?: boolean | { maxAge?: number }
}

/** Resolved: `null` when off. */
export interface ResolvedResourceMetadata {
  readonly resource: string
  /** `Cache-Control: max-age` of the document, in milliseconds (whole seconds: the header counts in seconds). */
  readonly maxAge: number
}

/** Problems as "options.path: expected ..., received ...". */
export function resourceMetadataProblems (options: ResourceOptions): string[] {
  const problems: string[] = []
  if (typeof options.resource === 'string' && options.resource !== '') {
    const problem = resourceIdentifierProblem(options.resource)
    if (problem !== null) problems.push(`options.resource: ${problem}`)
    if (options.resourceMetadata === false) problems.push('options.resource: expected it only when resourceMetadata is not false, received both')
  } else if (options.resource === undefined && options.resourceMetadata !== undefined && options.resourceMetadata !== false) {
    problems.push("options.resource: expected the API's resource identifier (an https URL such as 'https://api.example.com/mcp') with resourceMetadata on, received undefined")
  }
  return problems
}

/** Applies the defaults; call after {@link resourceMetadataProblems} found nothing. */
export function resolveResourceMetadata (options: ResourceOptions): ResolvedResourceMetadata | null {
  const { resource } = options
  if (resource === undefined || options.resourceMetadata === false) return null
  const maxAge = typeof options.resourceMetadata === 'object' ? options.resourceMetadata.maxAge : undefined
  return { resource, maxAge: maxAge ?? DEFAULT_RESOURCE_METADATA_MAX_AGE }
}

/** What the document is built from, read once the server is ready (every route is known then). */
export interface ResourceMetadataSources {
  /** The exact trusted issuers, the primary first (templates are none: they name no server). */
  issuers: readonly string[]
  /** Accepted audiences; `null`: any. */
  audience: readonly string[] | null
  /** Scopes the routes require and those the `scopes` option lists. */
  scopes: () => Iterable<string>
  /** Path of Swagger UI, and the public URL it is reached at if configured; `undefined` without docs. */
  docs: () => { path: string, publicURL: string | null } | undefined
  /** What DPoP accepts; `null`: off. */
  dpop?: { algorithms: readonly string[], required: boolean } | null
}

/**
 * Adds the metadata routes (public, hidden from the OpenAPI document) and returns the URL challenges
 * name, or `undefined` when not served. `explicit`: the user turned the metadata on, so a prefix is
 * an error rather than a warning.
 */
export function serveResourceMetadata (fastify: FastifyInstance, settings: ResolvedResourceMetadata, sources: ResourceMetadataSources, explicit: boolean): string | undefined {
  if (fastify.prefix !== '') {
    const text = `options.resourceMetadata: expected the plugin registered without a prefix (RFC 9728 metadata lives at the origin's /.well-known/), received the prefix ${JSON.stringify(fastify.prefix)}`
    if (explicit) throw new InvalidOptionsError([`${text}; register the plugin at the root, or set resourceMetadata: false`])
    fastify.log.warn(`fastify-oauth-guard: no RFC 9728 metadata and no resource_metadata in challenges: ${text}`)
    return undefined
  }
  const { resource } = settings
  if (sources.audience !== null && !sources.audience.includes(resource)) {
    // Not an error: some providers map the `resource` parameter to another audience.
    fastify.log.warn(`fastify-oauth-guard: the resource ${JSON.stringify(resource)} is not an accepted audience; tokens issued for it (RFC 8707) are refused unless your provider maps it to one`)
  }
  const cacheControl = `public, max-age=${settings.maxAge / 1000}`
  let document: string | undefined

  // Built once every route is known: the scopes come from them.
  fastify.addHook('onReady', async () => {
    const docs = sources.docs()
    document = JSON.stringify(buildResourceMetadata({
      resource,
      issuers: sources.issuers,
      scopes: sources.scopes(),
      documentation: docs === undefined ? undefined : `${(docs.publicURL ?? new URL(resource).origin).replace(/\/+$/, '')}${docs.path}`,
      dpop: sources.dpop
    }))
  })

  const handler = (request: FastifyRequest, reply: FastifyReply): void => {
    // Public metadata: browser-based clients (MCP inspectors) read it from another origin.
    reply.header('cache-control', cacheControl).header('access-control-allow-origin', '*')
      .type('application/json; charset=utf-8').send(document)
  }
  // The §3.1 URL, and the root one that clients without path-aware discovery try.
  // Public even with protectAllRoutes (`security: []`), and `hide`: not in the OpenAPI paths.
  // The CORS preflight of a browser client that sends a header of its own (the MCP SDK sends
  // MCP-Protocol-Version): any origin, any header, no credentials (Fetch standard, CORS protocol).
  const preflight = (request: FastifyRequest, reply: FastifyReply): void => {
    reply.header('access-control-allow-origin', '*').header('access-control-allow-methods', 'GET, HEAD')
      .header('access-control-allow-headers', '*').header('access-control-max-age', String(settings.maxAge / 1000))
      .code(204).send()
  }
  for (const url of new Set([resourceMetadataPath(resource), WELL_KNOWN_RESOURCE_METADATA])) {
    fastify.get(url, { schema: { hide: true, security: [] } }, handler)
    fastify.options(url, { schema: { hide: true, security: [] } }, preflight)
  }
  return resourceMetadataURL(resource)
}
