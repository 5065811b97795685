// The plugin-wide validateClaims check, on every validation path: JWT (cached, uncached, key not
// yet fetched) and introspection (including its per-connection memo).
import t from 'tap'
import { startEndpoints } from '../fixtures/oauth-endpoints.js'
import { guardedApp, issuerApp } from '../fixtures/guarded-app.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER
const onlyAccess = (claims: Readonly<Record<string, unknown>>) => claims.token_use === 'access'

t.test('JWT: a token the check refuses gets 401 invalid_token on every route, again and again', async (t) => {
  const { app, issuer, handled } = await guardedApp(t, { validateClaims: onlyAccess })
  const id = await issuer.sign({ token_use: 'id', scope: 'items:read' })
  for (const url of ['/user', '/items', '/user', '/maybe']) {
    const res = await app.inject({ url, headers: { authorization: `Bearer ${id}` } })
    t.equal(res.statusCode, 401, url)
    t.equal(res.headers['www-authenticate'], INVALID)
    t.equal(res.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
  }
  t.equal(handled.count, 0)
  const access = await issuer.sign({ token_use: 'access', scope: 'items:read' })
  for (const url of ['/user', '/items', '/items']) {
    t.equal((await app.inject({ url, headers: { authorization: `Bearer ${access}` } })).statusCode, 200, url)
  }
})

t.test('JWT over keep-alive HTTP: the refused token stays refused on the same connection', async (t) => {
  const { app, issuer } = await guardedApp(t, { validateClaims: onlyAccess })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address() as { port: number }
  const id = await issuer.sign({ token_use: 'id' })
  for (let i = 0; i < 3; i++) {
    const res = await fetch(`http://127.0.0.1:${address.port}/user`, { headers: { authorization: `Bearer ${id}` } })
    t.equal(res.status, 401)
    await res.arrayBuffer()
  }
})

t.test('a check that throws refuses the token', async (t) => {
  const { app, issuer } = await issuerApp(t, { validateClaims: () => { throw new Error('bug') } })
  app.get('/user', { onRequest: app.authenticate }, async () => 'never')
  const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign()}` } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID)
})

t.test('introspection: an active answer the check refuses gets 401, also when cached', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/.well-known/openid-configuration', { body: { issuer: endpoints.origin, introspection_endpoint: `${endpoints.origin}/introspect` } })
  endpoints.answer('/introspect', (request) => ({
    body: { active: true, sub: 'u1', aud: 'api', exp: Math.floor(Date.now() / 1000) + 60, token_use: request.form.get('token') === 'good' ? 'access' : 'id' }
  }))
  const { default: Fastify } = await import('fastify')
  const { default: oauthGuard } = await import('../../lib/index.js')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: endpoints.origin, audience: 'api', validation: 'introspection', introspection: { clientId: 'api', clientSecret: 's' }, validateClaims: onlyAccess })
  app.get('/user', { onRequest: app.authenticate }, async (req) => req.auth?.id)
  for (let i = 0; i < 2; i++) {
    t.equal((await app.inject({ url: '/user', headers: { authorization: 'Bearer bad' } })).statusCode, 401)
    t.equal((await app.inject({ url: '/user', headers: { authorization: 'Bearer good' } })).statusCode, 200)
  }
  t.equal(endpoints.calls('/introspect'), 2, 'answers stay cached; the check runs on the cached answer')
})

t.test('validateClaims must be a function', async (t) => {
  const { resolveOptions } = await import('../../lib/options.js')
  t.throws(() => resolveOptions({ issuer: 'https://id.example.com', audience: 'a', validateClaims: 'yes' as never }), /options\.validateClaims: expected function/)
})
