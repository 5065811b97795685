import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import oauthGuard from '../../lib/index.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { activeAnswer, type Answer, bearer, endpointsApp, freezeClock, opaqueToken, startEndpoints } from '../fixtures/oauth-endpoints.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const logs = createLogCapture()
const UPSTREAM_SECRET_TEXT = 'upstream-stack-trace-at-db.internal:5432'
logs.secret(UPSTREAM_SECRET_TEXT)

const opaque = (): string => opaqueToken(logs)

/** An app validating tokens by introspection (scope from `scopeOf(token)`) whose userinfo answers `userinfo`. */
async function setup (t: Test, userinfo: Answer, options = {}) {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', (request) => ({ body: activeAnswer(endpoints, { scope: request.form.get('token')?.endsWith('-email') === true ? 'openid email' : 'openid' }) }))
  endpoints.answer('/userinfo', userinfo)
  const app = await endpointsApp(t, endpoints, options, logs)
  return { app, endpoints }
}

const USER = { sub: 'user-1', name: 'Ada', email: 'ada@example.com' }

t.test('request.userinfo() returns the provider\'s claims, sending the caller\'s token', async (t) => {
  const { app, endpoints } = await setup(t, { body: USER })
  const token = opaque()
  const res = await app.inject({ url: '/me', headers: bearer(token) })
  t.equal(res.statusCode, 200)
  t.same(res.json(), USER)
  const request = endpoints.requests.find((r) => r.path === '/userinfo')
  t.equal(request?.method, 'GET')
  t.equal(request?.headers.authorization, `Bearer ${token}`)
})

t.test('cached per subject and scopes: another token of the same user and scopes makes no call', async (t) => {
  const { app, endpoints } = await setup(t, { body: USER })
  for (const token of [opaque(), opaque(), opaque()]) t.equal((await app.inject({ url: '/me', headers: bearer(token) })).statusCode, 200)
  t.equal(endpoints.calls('/userinfo'), 1)
  await app.inject({ url: '/me', headers: bearer(`${opaque()}-email`) })
  t.equal(endpoints.calls('/userinfo'), 2, 'a token with other scopes gets its own entry')
})

t.test('the cache entry lasts userinfo.ttl milliseconds', async (t) => {
  const clock = freezeClock(t)
  const { app, endpoints } = await setup(t, { body: USER }, { userinfo: { ttl: 30_000 } })
  const token = opaque()
  await app.inject({ url: '/me', headers: bearer(token) })
  clock.ms = 29_999
  await app.inject({ url: '/me', headers: bearer(token) })
  t.equal(endpoints.calls('/userinfo'), 1)
  clock.ms = 30_000
  await app.inject({ url: '/me', headers: bearer(token) })
  t.equal(endpoints.calls('/userinfo'), 2)
})

t.test('ttl 0: each call asks the provider', async (t) => {
  const { app, endpoints } = await setup(t, { body: USER }, { userinfo: { ttl: 0 } })
  const token = opaque()
  await app.inject({ url: '/me', headers: bearer(token) })
  await app.inject({ url: '/me', headers: bearer(token) })
  t.equal(endpoints.calls('/userinfo'), 2)
})

t.test('a 401 from the userinfo endpoint is 401 invalid_token, with the challenge of the hooks', async (t) => {
  const { app } = await setup(t, { status: 401, body: { error: 'invalid_token', error_description: UPSTREAM_SECRET_TEXT } })
  const res = await app.inject({ url: '/me', headers: bearer(opaque()) })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER)
  t.equal(res.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
})

t.test('after a 401 from userinfo, the token is refused from then on, even if introspection would still call it active', async (t) => {
  const { app, endpoints } = await setup(t, { status: 401 })
  const token = opaque()
  t.equal((await app.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  t.equal((await app.inject({ url: '/me', headers: bearer(token) })).statusCode, 401)
  const res = await app.inject({ url: '/auth', headers: bearer(token) })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER)
  t.equal(endpoints.calls('/introspect'), 1, 'the provider is not asked again')
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 200, 'other tokens are not affected')
})

t.test('a JWT the real oidc-provider refuses at userinfo is refused on every later request, not accepted again', async (t) => {
  const idp = await startIdentityProvider({ resource: 'urn:example:userinfo-api', apiScopes: { 'items:read': 'Read items' } })
  t.teardown(() => idp.close())
  logs.secret(idp.clients.machine.clientSecret)
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: idp.issuer, audience: 'urn:example:userinfo-api' })
  app.get('/auth', { onRequest: app.authenticate }, async (request) => ({ id: request.auth?.id }))
  app.get('/me', { onRequest: app.authenticate }, async (request) => await request.userinfo())
  // A client-credentials token for an API: valid here, but the provider's userinfo endpoint refuses it.
  const token = await idp.clientCredentialsToken('machine', 'items:read')
  logs.secret(token)
  t.equal((await app.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200, 'accepted before')
  t.equal((await app.inject({ url: '/me', headers: bearer(token) })).statusCode, 401, 'refused at userinfo')
  for (let i = 0; i < 2; i++) {
    const res = await app.inject({ url: '/auth', headers: bearer(token) })
    t.equal(res.statusCode, 401, `refused after (request ${i + 1})`)
    t.equal(res.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
  }
  const other = await idp.clientCredentialsToken('machine', 'items:read')
  logs.secret(other)
  t.equal((await app.inject({ url: '/auth', headers: bearer(other) })).statusCode, 200, 'another token of the same client is not affected')
})

t.test('a 403 from the userinfo endpoint is 403 insufficient_scope naming openid', async (t) => {
  const { app } = await setup(t, { status: 403, body: { error: 'insufficient_scope' } })
  const res = await app.inject({ url: '/me', headers: bearer(opaque()) })
  t.equal(res.statusCode, 403)
  t.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="openid"')
})

t.test('a provider error is 502 OAUTH_GUARD_USERINFO_FAILED with a fixed message, never 500 or upstream text', async (t) => {
  const answers: Answer[] = [
    { status: 500, body: { error: 'server_error', trace: UPSTREAM_SECRET_TEXT } },
    { status: 400, body: { error: 'invalid_request', error_description: UPSTREAM_SECRET_TEXT } },
    { raw: `<html>${UPSTREAM_SECRET_TEXT}</html>` },
    { raw: 'eyJhbGciOiJSUzI1NiJ9.e30.c2ln', headers: { 'content-type': 'application/jwt' } },
    { status: 302, headers: { location: 'http://127.0.0.2/' } },
    { body: { name: 'no sub' } },
    { body: { ...USER, sub: 'someone-else' } }
  ]
  for (const answer of answers) {
    const { app } = await setup(t, answer)
    const res = await app.inject({ url: '/me', headers: bearer(opaque()) })
    t.equal(res.statusCode, 502, JSON.stringify(answer))
    t.same(res.json(), { statusCode: 502, code: 'OAUTH_GUARD_USERINFO_FAILED', error: 'Bad Gateway', message: 'The identity provider refused the userinfo request' })
    t.notOk(res.body.includes(UPSTREAM_SECRET_TEXT))
  }
})

t.test('an unreachable or hanging userinfo endpoint is 503 with Retry-After', async (t) => {
  const { app, endpoints } = await setup(t, 'hang', { timeout: 200 })
  const token = opaque()
  const hung = await app.inject({ url: '/me', headers: bearer(token) })
  t.equal(hung.statusCode, 503)
  t.equal(hung.headers['retry-after'], '5')
  t.equal(hung.json().code, 'OAUTH_GUARD_PROVIDER_UNAVAILABLE')
  endpoints.answer('/userinfo', { body: USER })
  t.equal((await app.inject({ url: '/me', headers: bearer(token) })).statusCode, 200, 'a failure is not cached')
})

t.test('a failing discovery is 503; a provider without userinfo_endpoint is 502', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints) })
  endpoints.answer('/.well-known/openid-configuration', { status: 500 })
  const app = await endpointsApp(t, endpoints, { metadata: { introspection_endpoint: `${endpoints.origin}/introspect` } }, logs)
  t.equal((await app.inject({ url: '/me', headers: bearer(opaque()) })).statusCode, 503)
  endpoints.answer('/.well-known/openid-configuration', { body: { issuer: endpoints.origin } })
  t.equal((await app.inject({ url: '/me', headers: bearer(opaque()) })).statusCode, 502)
})

t.test('request.userinfo() without request.auth rejects with 401 OAUTH_GUARD_MISSING_TOKEN', async (t) => {
  const endpoints = await startEndpoints(t)
  const app = await endpointsApp(t, endpoints, {}, logs)
  app.get('/anonymous-me', { onRequest: app.authenticate({ optional: true }) }, async (request) => await request.userinfo())
  const res = await app.inject({ url: '/anonymous-me' })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer' + DPOP_OFFER)
  t.equal(res.json().code, 'OAUTH_GUARD_MISSING_TOKEN')
  t.equal(endpoints.calls('/userinfo'), 0)
})

t.test('each caller gets its own copy of a cached response', async (t) => {
  const { app } = await setup(t, { body: USER })
  app.get('/edit-me', { onRequest: app.authenticate }, async (request) => {
    const info = await request.userinfo()
    info.name = 'changed'
    return info
  })
  const token = opaque()
  t.equal((await app.inject({ url: '/edit-me', headers: bearer(token) })).json().name, 'changed')
  t.equal((await app.inject({ url: '/me', headers: bearer(token) })).json().name, 'Ada')
})

t.test('options: userinfo.ttl and maxEntries are validated', async (t) => {
  const endpoints = await startEndpoints(t)
  await t.rejects(endpointsApp(t, endpoints, { userinfo: { ttl: -1, maxEntries: 0, extra: 1 } as never }), {
    code: 'OAUTH_GUARD_INVALID_OPTIONS',
    problems: ['options.userinfo.extra: unexpected property, received 1', 'options.userinfo.ttl: expected integer to be greater or equal to 0 (milliseconds), received -1', 'options.userinfo.maxEntries: expected integer to be greater or equal to 1, received 0']
  })
})

checkNoSecretsLogged(t, logs)
