/**
 * The docs' token relay: a `POST <docs>/token` route that takes Swagger UI's client credentials
 * token request and forwards it, server-side, to the provider's token endpoint. The docs page thus
 * never calls the provider from the browser (providers refuse browser-origin token requests that
 * are not PKCE, and CORS would be needed), and the OpenAPI `clientCredentials` flow points here.
 *
 * What it is: a pass-through. It relays only `grant_type=client_credentials` with the caller's own
 * client authentication (Basic header or `client_id`/`client_secret` form fields, one of them) and
 * `scope`, adds the `audience`/`resource` the options name, and returns the provider's status and
 * JSON body unchanged. What it is not: a client. It stores nothing, caches nothing and adds no
 * credentials of its own, so it grants nothing a caller could not get from the provider directly.
 * It never logs the Authorization header, the secret or the token.
 *
 * Guards: form bodies only (415 otherwise), at most {@link RELAY_BODY_LIMIT} bytes (413), each
 * parameter once (RFC 6749 §3.2), same-origin browser requests only (`Sec-Fetch-Site`), a rate
 * limit per address (429), and 503 with `Retry-After` when the provider cannot be reached.
 *
 * @see RFC 6749 §4.4 (client credentials grant), §2.3.1 (client authentication), §5.1–5.2
 *   (token and error responses), RFC 8707 §2 (`resource`)
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import { refreshMetadata, type DocsState } from './docs-state.js'
import type { ResolvedTokenRelay } from './docs-options.js'
import { RelayRateLimit } from './relay-rate-limit.js'

/** Largest token request accepted, in bytes (Swagger UI sends well under 1 KiB). */
export const RELAY_BODY_LIMIT = 4096
/** Largest provider answer relayed, in bytes. */
const MAX_ANSWER_BYTES = 64 * 1024
const FORM = 'application/x-www-form-urlencoded'
/** Parameters taken from the caller; anything else is dropped, never forwarded. */
const RELAYED = ['grant_type', 'scope', 'client_id', 'client_secret'] as const
/** RFC 6749 §5.1: token responses must not be cached. */
const NO_STORE = { 'cache-control': 'no-store', pragma: 'no-cache' }

/** The path of the relay under a docs path: `/docs` → `/docs/token`. */
export function tokenRelayPath (docsPath: string): string {
  return `${docsPath}/token`
}

/**
 * Registers the relay at `<routePrefix>/token` on an encapsulated child of `fastify` (its own form
 * parser and limits stay there). Hidden from the document and public (`security: []`).
 */
export function registerTokenRelay (fastify: FastifyInstance, routePrefix: string, state: DocsState, relay: ResolvedTokenRelay): void {
  const limit = new RelayRateLimit(relay.maxRequestsPerMinute)
  const { timeout, retryAfter } = state.guard.options
  fastify.register(async function tokenRelay (child) {
    // Only forms: every other content type gets Fastify's 415.
    child.removeAllContentTypeParsers()
    child.addContentTypeParser(FORM, { parseAs: 'string', bodyLimit: RELAY_BODY_LIMIT }, (_request, body, done) => {
      done(null, body)
    })
    child.post(`${routePrefix}/token`, {
      bodyLimit: RELAY_BODY_LIMIT,
      schema: { hide: true, security: [] },
      // Fastify's request log carries no headers and no body; this route adds none either.
      logLevel: 'warn'
    }, async function relayToken (request: FastifyRequest, reply: FastifyReply) {
      reply.headers(NO_STORE)
      const site = request.headers['sec-fetch-site']
      if (site !== undefined && site !== 'same-origin' && site !== 'none') {
        return await reply.code(403).send(oauthError('access_denied', 'The token relay answers the docs page of this origin only'))
      }
      const wait = limit.take(request.ip)
      if (wait > 0) return await reply.code(429).header('retry-after', String(wait)).send(oauthError('temporarily_unavailable', 'Too many token requests, retry later'))
      const built = buildForm(request, relay)
      if ('error' in built) return await reply.code(built.status).send(oauthError(built.error, built.description))
      let endpoint: unknown
      try {
        endpoint = (await refreshMetadata(state)).token_endpoint
      } catch {
        endpoint = undefined
      }
      const answer = typeof endpoint === 'string' ? await forward(endpoint, built.form, built.authorization, timeout) : null
      if (answer === null) {
        request.log.warn({ code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE' }, 'fastify-oauth-guard: token relay: the token endpoint could not be reached or answered no JSON')
        return await reply.code(503).header('retry-after', String(Math.ceil(retryAfter / 1000))).send(oauthError('temporarily_unavailable', 'The identity provider is unavailable, retry later'))
      }
      return await reply.code(answer.status).type('application/json; charset=utf-8').send(answer.body)
    })
  })
}

type Built = { form: URLSearchParams, authorization: string | undefined } | { status: number, error: string, description: string }

/** The form to forward, or the OAuth error to answer. */
function buildForm (request: FastifyRequest, relay: ResolvedTokenRelay): Built {
  const given = new URLSearchParams(typeof request.body === 'string' ? request.body : '')
  for (const name of RELAYED) {
    if (given.getAll(name).length > 1) return { status: 400, error: 'invalid_request', description: `Parameter ${name} repeated` }
  }
  const grant = given.get('grant_type')
  if (grant === null) return { status: 400, error: 'invalid_request', description: 'Parameter grant_type missing' }
  if (grant !== 'client_credentials') return { status: 400, error: 'unsupported_grant_type', description: 'The token relay relays the client_credentials grant only' }
  const authorization = request.headers.authorization
  const basic = typeof authorization === 'string' && /^basic /i.test(authorization)
  if (authorization !== undefined && !basic) return { status: 400, error: 'invalid_request', description: 'Only Basic client authentication is relayed' }
  const inForm = given.has('client_secret')
  // RFC 6749 §2.3: a client must not use more than one authentication method per request.
  if (basic && inForm) return { status: 400, error: 'invalid_request', description: 'Client authentication sent twice' }
  if (!basic && !(inForm && given.has('client_id'))) return { status: 401, error: 'invalid_client', description: 'Client authentication required' }
  const form = new URLSearchParams()
  for (const name of RELAYED) {
    const value = given.get(name)
    if (value !== null) form.set(name, value)
  }
  if (relay.audience !== undefined) form.set('audience', relay.audience)
  for (const resource of relay.resource) form.append('resource', resource)
  return { form, authorization: basic ? authorization : undefined }
}

/** POSTs the form; the provider's status and JSON object, or `null` when there is none to relay. */
async function forward (endpoint: string, form: URLSearchParams, authorization: string | undefined, timeout: number): Promise<{ status: number, body: string } | null> {
  try {
    // A fresh request: no Origin, cookie or other header of the browser's goes to the provider.
    const response = await fetch(endpoint, {
      method: 'POST',
      headers: { accept: 'application/json', ...(authorization !== undefined && { authorization }) },
      body: form,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeout)
    })
    const text = await readBounded(response)
    if (text === null || (response.status >= 300 && response.status < 400)) return null
    const body = JSON.parse(text) as unknown
    if (body === null || typeof body !== 'object' || Array.isArray(body)) return null
    return { status: response.status, body: text }
  } catch {
    // The cause may quote the answer, which holds a token: it is not logged.
    return null
  }
}

async function readBounded (response: Response): Promise<string | null> {
  const chunks: Uint8Array[] = []
  let size = 0
  for await (const chunk of response.body ?? []) {
    size += chunk.byteLength
    if (size > MAX_ANSWER_BYTES) {
      await response.body?.cancel().catch(() => {})
      return null
    }
    chunks.push(chunk)
  }
  return Buffer.concat(chunks).toString('utf8')
}

function oauthError (error: string, description: string): { error: string, error_description: string } {
  return { error, error_description: description }
}
