/**
 * What the docs need at run time, per plugin instance: where Swagger UI is served, the provider's
 * metadata once known, and an `onRoute` hook that fits the docs' own routes (wait for metadata
 * before the document, keep the login popup working under strict security headers, fill in the
 * preselected scopes), marks them as the docs' own routes (public by design, see `kDocsRoute`) and
 * marks routes that may refuse with 403 for reasons other than scopes.
 */
import type { FastifyReply, FastifyRequest, RouteOptions } from 'fastify'
import { asHTTPError } from '../token/provider-failure.js'
import type { Policy } from '../fastify/policy.js'
import { kDocsRoute } from '../fastify/route-security.js'
import { kAuthHook } from '../symbols.js'
import type { AuthorizationServerMetadata } from '../token/discovery.js'
import type { RouteSecurity } from '../fastify/route-security.js'
import { fixDocsHeaders } from './browser-headers.js'
import type { ResolvedDocsOptions } from './docs-options.js'
import { FORBIDDEN_MARKER } from './error-responses.js'
import { buildSecurityScheme, schemeScopes, type OAuth2SecurityScheme } from './security-scheme.js'
import { injectSelectedScopes, REDIRECT_PAGE, selectedScopes } from './swagger-ui.js'

/**
 * What the docs read of `fastify.oauthGuard`: a narrow view, so lib/openapi depends on no more
 * than it uses (the public `DocsGuard` satisfies it) and never imports the public surface.
 */
export interface DocsGuard {
  readonly options: {
    readonly issuer: string
    readonly metadata: Readonly<AuthorizationServerMetadata>
    readonly securityScheme: string
    readonly timeout: number
    readonly retryAfter: number
    readonly scopes: Readonly<Record<string, string>>
  }
  readonly routes: readonly RouteSecurity[]
  metadata (): Promise<AuthorizationServerMetadata>
}

/** The docs' run-time state of one plugin instance. */
export interface DocsState {
  readonly guard: DocsGuard
  /** Swagger UI sites by full path (`/api/docs`). */
  readonly sites: Map<string, ResolvedDocsOptions>
  /** The provider's metadata, once fetched. */
  metadata: AuthorizationServerMetadata | null
}

const states = new WeakMap<DocsGuard, DocsState>()
const LIFECYCLE = ['onRequest', 'preParsing', 'preValidation', 'preHandler'] as const

/** Creates the state of one plugin instance; {@link docsStateOf} finds it from `fastify.oauthGuard`. */
export function createDocsState (guard: DocsGuard): DocsState {
  const state: DocsState = { guard, sites: new Map(), metadata: null }
  states.set(guard, state)
  return state
}

/** The state behind `fastify.oauthGuard`, if that is this plugin's. */
export function docsStateOf (guard: DocsGuard | undefined): DocsState | undefined {
  return guard === undefined ? undefined : states.get(guard)
}

/**
 * The metadata the docs need. Discovery is skipped when the options give both endpoints. Kept once
 * fetched; a failure is not kept, so the next call tries again.
 */
export async function refreshMetadata (state: DocsState): Promise<AuthorizationServerMetadata> {
  if (state.metadata !== null) return state.metadata
  const { options } = state.guard
  const given = options.metadata
  const metadata = typeof given.authorization_endpoint === 'string' && typeof given.token_endpoint === 'string'
    ? { issuer: options.issuer, ...given }
    : await state.guard.metadata()
  state.metadata = metadata
  return metadata
}

/** The security scheme for `docs`; throws `ProviderUnavailableError` while the metadata is unknown. */
export function currentScheme (state: DocsState, docs: ResolvedDocsOptions): OAuth2SecurityScheme {
  if (state.metadata === null) {
    // Not cached by @fastify/swagger when thrown: the next request gets a complete document.
    refreshMetadata(state).catch(() => {})
    throw asHTTPError(new Error('The provider metadata is not known yet'), state.guard.options.retryAfter)
  }
  return buildSecurityScheme({
    metadata: state.metadata,
    routes: state.guard.routes,
    descriptions: state.guard.options.scopes,
    openidScopes: docs.openidScopes,
    clientCredentials: docs.clientCredentials,
    clientCredentialsTokenUrl: docs.tokenRelayURL
  })
}

/** The `onRoute` hook; add it before the docs and the API routes are registered. Idle until docs are set up. */
export function docsRouteHook (state: DocsState) {
  return function onRoute (route: RouteOptions): void {
    if (state.sites.size === 0) return
    if ((route.schema as { hide?: boolean } | undefined)?.hide !== true && refusesBeyondScopes(route)) {
      route.schema = { ...route.schema, [FORBIDDEN_MARKER]: true } as RouteOptions['schema']
    }
    // The longest match, should one Swagger UI live under another's path.
    const path = [...state.sites.keys()].sort((a, b) => b.length - a.length).find((p) => route.url === p || route.url.startsWith(`${p}/`))
    if (path === undefined) return
    const docs = state.sites.get(path) as ResolvedDocsOptions
    // Swagger UI and @fastify/swagger hide their routes from the document; a user's API route under
    // the docs path is not hidden, and stays guarded.
    if ((route.schema as { hide?: boolean } | undefined)?.hide === true) {
      route.config = { ...route.config, [kDocsRoute]: true } as RouteOptions['config']
    }
    const rest = route.url.slice(path.length)
    if (rest === '/json' || rest === '/yaml') route.onRequest = [...asArray(route.onRequest), documentNeedsMetadata(state)]
    route.onSend = [...asArray(route.onSend), docsOnSend(state, docs)]
  }
}

function documentNeedsMetadata (state: DocsState) {
  return async function awaitMetadata (request: FastifyRequest, reply: FastifyReply): Promise<void> {
    try {
      await refreshMetadata(state)
    } catch (err) {
      request.log.warn({ code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', cause: (err as Error).name }, 'fastify-oauth-guard: the OpenAPI document waits for the identity provider metadata')
      const error = asHTTPError(err, state.guard.options.retryAfter)
      reply.headers(error.headers)
      throw error
    }
  }
}

function docsOnSend (state: DocsState, docs: ResolvedDocsOptions) {
  return async function fixDocsResponse (request: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<unknown> {
    const path = request.url.split('?')[0]
    // A page's policy is fixed when it loads, so a page (not its assets) waits for the token endpoint.
    const page = String(reply.getHeader('content-type') ?? '').startsWith('text/html')
    const metadata = state.metadata ?? (page ? await refreshMetadata(state).catch(() => null) : null)
    const token = metadata?.token_endpoint
    fixDocsHeaders(reply, path.endsWith(REDIRECT_PAGE), typeof token === 'string' ? [new URL(token).origin] : [])
    if (path.endsWith('/static/swagger-initializer.js') && typeof payload === 'string') {
      const scopes = schemeScopes({ routes: state.guard.routes, descriptions: state.guard.options.scopes, openidScopes: docs.openidScopes })
      return injectSelectedScopes(payload, selectedScopes(docs, scopes))
    }
    return payload
  }
}

function refusesBeyondScopes (route: RouteOptions): boolean {
  for (const name of LIFECYCLE) {
    for (const hook of asArray(route[name] as unknown)) {
      const policy = (hook as { [kAuthHook]?: Policy } | null)?.[kAuthHook]
      if (policy !== undefined && (policy.permissions.length > 0 || policy.claims !== undefined || policy.clients !== undefined)) return true
    }
  }
  return false
}

function asArray<T> (value: T | T[] | undefined): T[] {
  if (value === undefined || value === null) return []
  return Array.isArray(value) ? value : [value]
}
