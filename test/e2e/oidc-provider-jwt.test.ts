// The core against a real OpenID provider (oidc-provider) issuing real JWT access tokens.
import Fastify from 'fastify'
import t from 'tap'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import oauthGuard from '../../lib/index.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const RESOURCE = 'urn:example:api'
const API_SCOPES = { 'items:read': 'Read items', 'items:write': 'Write items', admin: 'Administer' }

for (const alg of ['RS256', 'ES256'] as const) {
  t.test(`${alg} access tokens from oidc-provider, issuer discovered`, async (t) => {
    const idp = await startIdentityProvider({ resource: RESOURCE, apiScopes: API_SCOPES, accessTokenAlg: alg })
    const app = Fastify()
    t.teardown(async () => { await app.close(); await idp.close() })
    await app.register(oauthGuard, { issuer: idp.issuer, audience: RESOURCE })
    app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (req) => req.auth)
    app.get('/admin', { schema: { security: [{ oauth2: ['admin'] }] } }, async () => 'admin')

    const token = await idp.clientCredentialsToken('machine', 'items:read')
    const res = await app.inject({ url: '/items', headers: { authorization: `Bearer ${token}` } })
    t.equal(res.statusCode, 200)
    const auth = res.json()
    t.equal(auth.id, idp.clients.machine.clientId, 'client-credentials tokens name the client as sub')
    t.same(auth.scopes, ['items:read'])
    t.equal(auth.token, token)
    t.equal(auth.claims.iss, idp.issuer)

    const admin = await app.inject({ url: '/admin', headers: { authorization: `Bearer ${token}` } })
    t.equal(admin.statusCode, 403)
    t.equal(admin.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="admin"')
    t.ok(idp.hits['/.well-known/openid-configuration'] >= 1)
  })
}

t.test('a token for another resource from the same provider is refused', async (t) => {
  const idp = await startIdentityProvider({ resource: RESOURCE, apiScopes: API_SCOPES })
  const app = Fastify()
  t.teardown(async () => { await app.close(); await idp.close() })
  await app.register(oauthGuard, { issuer: idp.issuer, audience: 'urn:example:other-api' })
  app.get('/items', { onRequest: app.authenticate }, async () => 'never')
  const token = await idp.clientCredentialsToken('machine', 'items:read')
  const res = await app.inject({ url: '/items', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER)
})

t.test('provider down when keys are needed: 503 with Retry-After; cached keys keep working after it goes down', async (t) => {
  const idp = await startIdentityProvider({ resource: RESOURCE, apiScopes: API_SCOPES })
  const app = Fastify()
  t.teardown(async () => { await app.close(); await idp.close() })
  await app.register(oauthGuard, { issuer: idp.issuer, audience: RESOURCE, cache: false })
  app.get('/items', { onRequest: app.authenticate }, async () => 'ok')
  const first = await idp.clientCredentialsToken('machine', 'items:read')
  const second = await idp.clientCredentialsToken('machine', 'items:read')
  t.equal((await app.inject({ url: '/items', headers: { authorization: `Bearer ${first}` } })).statusCode, 200)
  await idp.close()
  const res = await app.inject({ url: '/items', headers: { authorization: `Bearer ${second}` } })
  t.equal(res.statusCode, 200, 'the key is cached: a new token verifies without the provider')

  const cold = Fastify()
  t.teardown(() => cold.close())
  await cold.register(oauthGuard, { issuer: idp.issuer, audience: RESOURCE })
  cold.get('/items', { onRequest: cold.authenticate }, async () => 'never')
  const down = await cold.inject({ url: '/items', headers: { authorization: `Bearer ${second}` } })
  t.equal(down.statusCode, 503)
  t.equal(down.headers['retry-after'], '5')
  t.same(down.json(), { statusCode: 503, code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', error: 'Service Unavailable', message: 'The identity provider is unavailable, retry later' })
})
