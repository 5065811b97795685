/**
 * The demo API: a public route, `GET /user`, `GET /items` (scope `items:read`), `POST /items`
 * (scope `items:write`), a route where signing in is optional, and Swagger UI at `/docs` that logs
 * in, as a person (PKCE) or as a machine (client credentials through the token relay). Used by `npm run demo` and by the browser test, so both exercise the same code.
 */
import { randomUUID } from 'node:crypto'
import Fastify, { LogController, type FastifyInstance, type FastifyServerOptions } from 'fastify'
import { Type, type Static } from '@sinclair/typebox'
import { oauthGuard } from '../lib/index.js'

/** The demo's scopes and what they allow. */
export const DEMO_SCOPES: Readonly<Record<string, string>> = Object.freeze({
  'items:read': 'Read items',
  'items:write': 'Create items'
})

/**
 * Headers as @fastify/helmet sends them by default (without `upgrade-insecure-requests`, which
 * would send plain-http localhost requests to https). They are what usually breaks Swagger UI's
 * login; the demo keeps them on to show that it does not here.
 */
export const DEMO_SECURITY_HEADERS: Readonly<Record<string, string>> = Object.freeze({
  'content-security-policy': "default-src 'self'; base-uri 'self'; font-src 'self' https: data:; form-action 'self'; frame-ancestors 'self'; img-src 'self' data:; object-src 'none'; script-src 'self'; script-src-attr 'none'; style-src 'self' https: 'unsafe-inline'",
  'cross-origin-opener-policy': 'same-origin',
  'cross-origin-resource-policy': 'same-origin',
  'x-content-type-options': 'nosniff'
})

/** Options of {@link buildDemo}. */
export interface DemoOptions {
  /** The identity provider's issuer. */
  issuer: string
  /** The API's audience(s) at the provider. */
  audience: string | string[]
  /** Swagger UI's public client ID. */
  clientId?: string
  /** OpenID scopes offered in Swagger UI. Default `['openid', 'profile', 'email']`. */
  openidScopes?: string[]
  /** Extra authorization request parameters, e.g. `{ audience }` for Auth0. */
  authorizationParams?: Record<string, string>
  /** The URL the browser uses, to print the redirect URI. Default: the listening address. */
  publicURL?: string
  /** Send {@link DEMO_SECURITY_HEADERS} on every response. Default true. */
  securityHeaders?: boolean
  /** Fastify logger. Default: info, without request lines. */
  logger?: FastifyServerOptions['logger']
}

const Item = Type.Object({
  id: Type.String({ format: 'uuid' }),
  name: Type.String(),
  createdBy: Type.String({ description: 'ID of the user (or client) who created it' })
})
const NewItem = Type.Object({ name: Type.String({ minLength: 1, maxLength: 100, examples: ['Teapot'] }) }, { additionalProperties: false })
const User = Type.Object({
  id: Type.String({ description: 'The `sub` of the access token, or the client ID for a machine token without one' }),
  clientId: Type.Union([Type.String(), Type.Null()], { description: 'The client the token was issued to (`client_id`, `azp` or `cid`)' }),
  scopes: Type.Array(Type.String(), { description: 'Scopes the token grants' }),
  token: Type.String({ description: 'The access token itself, to show what Swagger UI sent' }),
  expiresAt: Type.String({ format: 'date-time' })
})

/** Builds the demo API (not listening yet). */
export async function buildDemo (options: DemoOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? { level: 'info' }, logController: new LogController({ disableRequestLogging: true }) })
  if (options.securityHeaders !== false) {
    app.addHook('onRequest', async (_request, reply) => { reply.headers({ ...DEMO_SECURITY_HEADERS }) })
  }
  await app.register(oauthGuard, {
    issuer: options.issuer,
    audience: options.audience,
    scopes: DEMO_SCOPES,
    docs: {
      clientId: options.clientId,
      openidScopes: options.openidScopes,
      authorizationParams: options.authorizationParams,
      publicURL: options.publicURL,
      // Machine clients sign in with their ID and secret through the API's own /docs/token.
      tokenRelay: true,
      openapi: {
        info: { title: 'fastify-oauth-guard demo', version: '1.0.0', description: 'Click **Authorize**, sign in (or, as a machine, fill the client credentials section with the ID and secret the demo printed), then try the routes.' },
        tags: [{ name: 'public' }, { name: 'user' }, { name: 'items' }]
      }
    }
  })

  const items: Array<Static<typeof Item>> = []

  app.get('/health', {
    schema: { tags: ['public'], operationId: 'health', security: [], summary: 'Public: no token needed', response: { 200: Type.Object({ status: Type.Literal('ok') }) } }
  }, async () => ({ status: 'ok' as const }))

  app.get('/greeting', {
    onRequest: app.authenticate({ optional: true }),
    schema: { tags: ['public'], operationId: 'greeting', summary: 'Signing in is optional', response: { 200: Type.Object({ message: Type.String(), authenticated: Type.Boolean() }) } }
  }, async (request) => ({
    message: `Hello, ${request.auth?.id ?? 'anonymous'}`,
    authenticated: request.auth !== null
  }))

  app.get('/user', {
    onRequest: app.authenticate,
    schema: { tags: ['user'], operationId: 'getUser', summary: 'Who am I: any valid token, a user\'s or a machine\'s', response: { 200: User } }
  }, async (request) => {
    const auth = request.auth!
    return { id: auth.id, clientId: auth.clientId, scopes: [...auth.scopes], token: auth.token, expiresAt: auth.expiresAt.toISOString() }
  })

  app.get('/items', {
    schema: { tags: ['items'], operationId: 'listItems', summary: 'Needs items:read', security: [{ oauth2: ['items:read'] }], response: { 200: Type.Array(Item) } }
  }, async () => items)

  app.post('/items', {
    schema: { tags: ['items'], operationId: 'createItem', summary: 'Needs items:write', security: [{ oauth2: ['items:write'] }], body: NewItem, response: { 201: Item } }
  }, async (request, reply) => {
    const item = { id: randomUUID(), name: (request.body as Static<typeof NewItem>).name, createdBy: request.auth!.id }
    items.push(item)
    return await reply.code(201).send(item)
  })

  return app
}
