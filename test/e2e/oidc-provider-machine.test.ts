// Machine callers against a real oidc-provider: client credentials tokens (opaque and JWT), user
// tokens through introspection, revocation, a JWT offered to introspection, and the client
// allow-list on both validation paths and per route.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import oauthGuard, { type OAuthGuardOptions } from '../../lib/index.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { userAccessToken } from '../fixtures/user-login.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const RESOURCE = 'urn:example:machine-api'
const REDIRECT_URI = 'http://127.0.0.1:9/docs/static/oauth2-redirect.html'
const INVALID_TOKEN = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER
const idp = await startIdentityProvider({ resource: RESOURCE, apiScopes: { 'items:read': 'Read items', 'items:write': 'Write items' }, userAccessTokenFormat: 'opaque', redirectUris: [REDIRECT_URI] })
t.teardown(() => idp.close())
const logs = createLogCapture()
logs.secret(idp.clients.resourceServer.clientSecret, idp.clients.machine.clientSecret, idp.clients.machineOpaque.clientSecret)
const introspections = () => idp.hits['/token/introspection'] ?? 0

async function token (client: 'machine' | 'machineOpaque', scope = 'items:read'): Promise<string> {
  const value = await idp.clientCredentialsToken(client, scope)
  logs.secret(value)
  return value
}

async function api (t: Test, options: Partial<OAuthGuardOptions> = {}) {
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: idp.issuer, audience: RESOURCE, validation: 'introspection', introspection: { ...idp.clients.resourceServer, cacheMaxTTL: 0 }, ...options })
  app.get('/whoami', { onRequest: app.authenticate }, async (request) => ({ id: request.auth?.id, clientId: request.auth?.clientId, scopes: request.auth?.scopes, method: request.auth?.method, sub: request.auth?.claims.sub ?? null }))
  app.get('/write', { schema: { security: [{ oauth2: ['items:write'] }] } }, async () => ({ ok: true }))
  app.get('/billing', { onRequest: app.authenticate({ clients: ['billing-service'] }) }, async () => ({ ok: true }))
  app.get('/machines', { onRequest: app.authenticate({ clients: ['machine', 'machine-opaque'] }) }, async () => ({ ok: true }))
  const get = async (value: string, url = '/whoami') => await app.inject({ url, headers: { authorization: `Bearer ${value}` } })
  return { app, get }
}

t.test('an opaque client credentials token (no sub) is accepted by introspection, id and clientId the client', async (t) => {
  const { get } = await api(t)
  const res = await get(await token('machineOpaque'))
  t.equal(res.statusCode, 200)
  t.same(res.json(), { id: 'machine-opaque', clientId: 'machine-opaque', scopes: ['items:read'], method: 'introspection', sub: null })
})

t.test('an opaque client credentials token is held to the route\'s scopes', async (t) => {
  const { get } = await api(t)
  const res = await get(await token('machineOpaque'), '/write')
  t.equal(res.statusCode, 403)
  t.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="items:write"')
})

t.test('an opaque user token is accepted by introspection, id the user and clientId the Swagger UI client', async (t) => {
  const { get } = await api(t)
  const value = await userAccessToken(idp, REDIRECT_URI)
  logs.secret(value)
  t.notOk(/^[\w-]+\.[\w-]+\.[\w-]+$/.test(value), 'opaque')
  const res = await get(value)
  t.equal(res.statusCode, 200)
  t.same(res.json(), { id: idp.user.sub, clientId: idp.clients.swaggerUI.clientId, scopes: ['items:read'], method: 'introspection', sub: idp.user.sub })
})

t.test('with caching off, a revoked client credentials token is refused at the next request', async (t) => {
  const { get } = await api(t)
  const value = await token('machineOpaque')
  t.equal((await get(value)).statusCode, 200)
  await idp.revoke(value, 'machineOpaque')
  const res = await get(value)
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
})

t.test('a JWT offered to an introspecting API is 401 invalid_token (not 503), remembered as refused', async (t) => {
  const { get } = await api(t)
  const jwt = await token('machine')
  const before = introspections()
  for (let i = 0; i < 2; i++) {
    const res = await get(jwt)
    t.equal(res.statusCode, 401)
    t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
  }
  t.equal(introspections() - before, 1, 'asked once, then refused from the negative cache')
})

t.test('a JWT client credentials token is verified locally, id the sub (the client) and clientId', async (t) => {
  const { get } = await api(t, { validation: 'jwt', introspection: undefined })
  const res = await get(await token('machine'))
  t.equal(res.statusCode, 200)
  t.same(res.json(), { id: 'machine', clientId: 'machine', scopes: ['items:read'], method: 'jwt', sub: 'machine' })
})

t.test('the plugin-wide clients list: listed clients pass, others get 401 invalid_token on the JWT path', async (t) => {
  const allowed = await api(t, { validation: 'jwt', introspection: undefined, clients: ['machine'] })
  t.equal((await allowed.get(await token('machine'))).statusCode, 200)
  const other = await api(t, { validation: 'jwt', introspection: undefined, clients: ['billing-service'] })
  const res = await other.get(await token('machine'))
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
})

t.test('the plugin-wide clients list: listed clients pass, others get 401 invalid_token on the introspection path', async (t) => {
  const allowed = await api(t, { clients: ['machine-opaque'] })
  t.equal((await allowed.get(await token('machineOpaque'))).statusCode, 200)
  const other = await api(t, { clients: ['machine'] })
  const res = await other.get(await token('machineOpaque'))
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
})

t.test('authenticate({ clients }) refuses other clients with 403 OAUTH_GUARD_CLIENT_NOT_ALLOWED, on both paths', async (t) => {
  for (const [client, options] of [['machineOpaque', {}], ['machine', { validation: 'auto' }]] as const) {
    const { get } = await api(t, options)
    const value = await token(client)
    const res = await get(value, '/billing')
    t.equal(res.statusCode, 403, client)
    t.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The client this access token was issued to is not allowed here"')
    t.equal(res.json().code, 'OAUTH_GUARD_CLIENT_NOT_ALLOWED')
    t.equal((await get(value, '/machines')).statusCode, 200, `${client} on a route that lists it`)
  }
})

checkNoSecretsLogged(t, logs)
