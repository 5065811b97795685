// RFC 7662 against a real provider: oidc-provider issuing opaque tokens (machineOpaque) and JWTs
// (machine), with the API introspecting under its own credentials (resourceServer, basic;
// resourceServerPost, post), revocation included.
import { setTimeout as sleep } from 'node:timers/promises'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import oauthGuard, { type OAuthGuardOptions } from '../../lib/index.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const RESOURCE = 'urn:example:api'
const INTROSPECTION = '/token/introspection'
const idp = await startIdentityProvider({
  resource: RESOURCE,
  apiScopes: { 'items:read': 'Read items', 'items:write': 'Write items' },
  extraAccessTokenClaims: (subject) => ({ permissions: [`read:${subject}`] })
})
t.teardown(() => idp.close())
const logs = createLogCapture()
logs.secret(idp.clients.resourceServer.clientSecret, idp.clients.resourceServerPost.clientSecret)

const calls = () => idp.hits[INTROSPECTION] ?? 0

async function opaque (scope = 'items:read'): Promise<string> {
  const token = await idp.clientCredentialsToken('machineOpaque', scope)
  logs.secret(token)
  return token
}

async function api (t: Test, options: Partial<OAuthGuardOptions> = {}) {
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, {
    issuer: idp.issuer,
    audience: RESOURCE,
    validation: 'introspection',
    introspection: { ...idp.clients.resourceServer },
    ...options
  })
  app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (request) => ({ ...request.auth, token: undefined }))
  app.get('/write', { schema: { security: [{ oauth2: ['items:write'] }] } }, async () => ({ written: true }))
  const get = async (token: string, url = '/items') => await app.inject({ url, headers: { authorization: `Bearer ${token}` } })
  return { app, get }
}

t.test('an opaque token is introspected with client_secret_basic and accepted', async (t) => {
  const { get } = await api(t)
  const res = await get(await opaque())
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id: 'machine-opaque', scopes: ['items:read'], permissions: ['read:machine-opaque'], method: 'introspection', claims: { client_id: 'machine-opaque', aud: RESOURCE, iss: idp.issuer } })
})

t.test('client_secret_post works the same', async (t) => {
  const { get } = await api(t, { introspection: { ...idp.clients.resourceServerPost, authMethod: 'client_secret_post' } })
  t.equal((await get(await opaque())).statusCode, 200)
})

t.test('a token without the route\'s scope is 403 insufficient_scope', async (t) => {
  const { get } = await api(t)
  const res = await get(await opaque(), '/write')
  t.equal(res.statusCode, 403)
  t.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="items:write"')
})

t.test('an unknown opaque token is 401 invalid_token', async (t) => {
  const { get } = await api(t)
  const res = await get('not-a-token-this-provider-issued-000000')
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
})

t.test('wrong introspection credentials are 503 (our misconfiguration), never 401', async (t) => {
  const { get } = await api(t, { introspection: { clientId: 'resource-server', clientSecret: 'wrong-secret-000000' } })
  const res = await get(await opaque())
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
})

t.test('with caching off, a revoked token is refused at once', async (t) => {
  const { get } = await api(t, { introspection: { ...idp.clients.resourceServer, cacheMaxTTL: 0 } })
  const token = await opaque()
  t.equal((await get(token)).statusCode, 200)
  await idp.revoke(token, 'machineOpaque')
  const res = await get(token)
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER)
})

t.test('with caching on, a revoked token is refused once its cache entry expires (cacheMaxTTL)', async (t) => {
  const { get } = await api(t, { introspection: { ...idp.clients.resourceServer, cacheMaxTTL: 1000 } })
  const token = await opaque()
  t.equal((await get(token)).statusCode, 200)
  await idp.revoke(token, 'machineOpaque')
  const before = calls()
  t.equal((await get(token)).statusCode, 200, 'still cached: the documented trade-off')
  t.equal(calls(), before, 'answered from the cache')
  await sleep(1100)
  t.equal((await get(token)).statusCode, 401, 'refused after cacheMaxTTL')
})

t.test('concurrent requests with one token make one introspection call', async (t) => {
  const { get } = await api(t)
  const token = await opaque()
  const before = calls()
  const replies = await Promise.all(Array.from({ length: 20 }, async () => await get(token)))
  t.ok(replies.every((r) => r.statusCode === 200))
  t.equal(calls() - before, 1)
})

t.test('auto: the JWT is verified locally, the opaque token introspected', async (t) => {
  const { get } = await api(t, { validation: 'auto' })
  const jwt = await idp.clientCredentialsToken('machine', 'items:read')
  logs.secret(jwt)
  const before = calls()
  const local = await get(jwt)
  t.equal(local.statusCode, 200)
  t.equal(local.json().method, 'jwt')
  t.equal(calls(), before)
  t.equal((await get(await opaque())).json().method, 'introspection')
  t.equal(calls(), before + 1)
})

t.test('the provider down is 503 with Retry-After, never 401 or 500', async (t) => {
  const down = await startIdentityProvider({ resource: RESOURCE, apiScopes: { 'items:read': 'Read items' } })
  const token = await down.clientCredentialsToken('machineOpaque', 'items:read')
  logs.secret(token)
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: down.issuer, audience: RESOURCE, validation: 'introspection', introspection: { ...down.clients.resourceServer }, timeout: 500 })
  app.get('/items', { onRequest: app.authenticate }, async () => ({ ok: true }))
  await app.ready()
  await app.oauthGuard.metadata()
  await down.close()
  const res = await app.inject({ url: '/items', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
  t.equal(res.json().code, 'OAUTH_GUARD_PROVIDER_UNAVAILABLE')
})

checkNoSecretsLogged(t, logs)
