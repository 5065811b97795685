// schema.security on the wire: exact OpenAPI semantics, and hooks documented as security.
import Fastify from 'fastify'
import t from 'tap'
import oauthGuard from '../../lib/index.js'
import { guardedApp } from '../fixtures/guarded-app.js'
import { NO_CREDENTIALS } from '../fixtures/challenges.js'

t.test('OR of requirement objects, AND within one', async (t) => {
  const { app, bearer } = await guardedApp(t)
  app.get('/either', { schema: { security: [{ oauth2: ['a', 'b'] }, { oauth2: ['admin'] }] } }, async () => 'ok')
  const status = async (scope: string) => (await app.inject({ url: '/either', headers: await bearer({ scope }) })).statusCode
  t.equal(await status('a b'), 200)
  t.equal(await status('admin'), 200)
  t.equal(await status('a'), 403)
  t.equal(await status('b other'), 403)
})

t.test('an empty object among the alternatives lets anonymous requests through', async (t) => {
  const { app, bearer } = await guardedApp(t)
  app.get('/anon', { schema: { security: [{}, { oauth2: ['a'] }] } }, async (req) => ({ auth: req.auth }))
  t.same((await app.inject({ url: '/anon' })).json(), { auth: null })
  t.equal((await app.inject({ url: '/anon', headers: await bearer({ scope: 'a' }) })).json().auth.id, 'user-1')
  t.equal((await app.inject({ url: '/anon', headers: { authorization: 'Bearer bad' } })).statusCode, 401, 'a token that is sent is validated')
})

t.test('a token sent to an optional route is held to its scopes, as authenticate({ optional }) does', async (t) => {
  const { app, bearer, handled } = await guardedApp(t)
  app.get('/schema-optional', { schema: { security: [{}, { oauth2: ['admin'] }] } }, async (req) => ({ auth: req.auth }))
  app.get('/hook-optional', { onRequest: app.authenticate({ optional: true, scopes: ['admin'] }) }, async (req) => ({ auth: req.auth }))
  const before = handled.count
  for (const url of ['/schema-optional', '/hook-optional']) {
    const response = await app.inject({ url, headers: await bearer({ scope: 'read' }) })
    t.equal(response.statusCode, 403, url)
    t.equal(response.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="admin"', url)
  }
  t.equal(handled.count, before)
})

t.test('a route naming a scheme the plugin does not own fails when it is added, never opens', async (t) => {
  const { app } = await guardedApp(t)
  t.throws(() => app.get('/key', { schema: { security: [{ apiKey: [] }] } }, async () => 'open?'), {
    code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY',
    message: /GET \/key: schema.security names the scheme "apiKey"/
  })
})

t.test('externalSchemes: the plugin enforces its part and leaves the rest to the user', async (t) => {
  const { app, bearer } = await guardedApp(t, { externalSchemes: ['apiKey'] })
  app.get('/both', { schema: { security: [{ oauth2: ['a'], apiKey: [] }] } }, async () => 'ok')
  app.get('/either', { schema: { security: [{ apiKey: [] }, { oauth2: ['a'] }] } }, async (req) => ({ auth: req.auth }))
  t.equal((await app.inject({ url: '/both' })).statusCode, 401)
  t.equal((await app.inject({ url: '/both', headers: await bearer({ scope: 'a' }) })).statusCode, 200)
  t.same((await app.inject({ url: '/either' })).json(), { auth: null }, 'the apiKey alternative is the user hook job')
})

t.test('a custom scheme name', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api', securityScheme: 'fief' })
  app.get('/fief', { schema: { security: [{ fief: ['a'] }] } }, async () => 'ok')
  t.throws(() => app.get('/o', { schema: { security: [{ oauth2: [] }] } }, async () => 'x'), /"oauth2"/)
  t.equal((await app.inject({ url: '/fief' })).statusCode, 401)
})

t.test('a route hidden from the document keeps its schema.security', async (t) => {
  const { app, bearer } = await guardedApp(t)
  app.get('/hidden-admin', { schema: { hide: true, security: [{ oauth2: ['admin'] }] } }, async () => 'secret')
  const anonymous = await app.inject({ url: '/hidden-admin' })
  t.equal(anonymous.statusCode, 401)
  t.equal(anonymous.headers['www-authenticate'], NO_CREDENTIALS)
  t.equal((await app.inject({ url: '/hidden-admin', headers: await bearer({ scope: 'read' }) })).statusCode, 403)
  t.equal((await app.inject({ url: '/hidden-admin', headers: await bearer({ scope: 'admin' }) })).statusCode, 200)
})

t.test('routes guarded by authenticate carry a matching schema.security; scopes are collected', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api' })
  const seen: Record<string, unknown> = {}
  app.addHook('onRoute', (route) => {
    if (route.method === 'GET') seen[route.url] = route.schema?.security
  })
  app.get('/user', { onRequest: app.authenticate }, async () => 'x')
  app.get('/admin', { onRequest: [app.authenticate({ scopes: ['admin', 'audit'] })] }, async () => 'x')
  app.get('/maybe', { preHandler: app.authenticate({ optional: true, scopes: ['read'] }) }, async () => 'x')
  app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => 'x')
  app.get('/open', async () => 'x')
  await app.ready()
  const byUrl = Object.fromEntries(app.oauthGuard.routes.filter((r) => r.method === 'GET').map((r) => [r.url, r]))
  t.same(byUrl['/user'].requirement?.alternatives, [{ scopes: [], external: false }])
  t.equal(byUrl['/user'].source, 'hook')
  t.same(byUrl['/admin'].requirement?.alternatives, [{ scopes: ['admin', 'audit'], external: false }])
  t.same(byUrl['/maybe'].requirement?.alternatives, [{ scopes: null, external: false }, { scopes: ['read'], external: false }])
  t.equal(byUrl['/items'].source, 'schema')
  t.equal(byUrl['/open'].requirement, null)
  t.same([...app.oauthGuard.scopes].sort(), ['admin', 'audit', 'items:read', 'read'])
})

t.test('the schema.security set from a hook is what @fastify/swagger documents', async (t) => {
  const { default: swagger } = await import('@fastify/swagger')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(swagger, { openapi: { info: { title: 't', version: '1' }, components: { securitySchemes: { oauth2: { type: 'oauth2', flows: {} } } } } })
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api' })
  app.get('/admin', { onRequest: app.authenticate({ scopes: ['admin'] }) }, async () => 'x')
  app.get('/maybe', { onRequest: app.authenticate({ optional: true }) }, async () => 'x')
  await app.ready()
  const doc = app.swagger() as { paths: Record<string, { get: { security?: unknown } }> }
  t.same(doc.paths['/admin'].get.security, [{ oauth2: ['admin'] }])
  t.same(doc.paths['/maybe'].get.security, [{}, { oauth2: [] }])
})

t.test('a user schema object shared by routes is not mutated', async (t) => {
  const { app } = await guardedApp(t)
  const shared = { response: { 200: { type: 'string' } } }
  app.get('/s1', { schema: shared, onRequest: app.authenticate({ scopes: ['x'] }) }, async () => 'x')
  app.get('/s2', { schema: shared }, async () => 'x')
  t.equal((shared as { security?: unknown }).security, undefined)
  t.equal((await app.inject({ url: '/s2' })).statusCode, 200)
})

t.test('a route scope outside RFC 6749 scope-token fails when the route is added, in schema.security and in hooks', async (t) => {
  const { app } = await guardedApp(t)
  t.throws(() => app.get('/tick', { schema: { security: [{ oauth2: ['items:\u2713'] }] } }, async () => 'x'), {
    code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY',
    message: 'GET /tick: schema.security scopes of "oauth2": expected scope names of printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3 scope-token), received "items:\\u2713"'
  })
  t.throws(() => app.authenticate({ scopes: ['items:\u2713'] }), {
    code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY',
    message: /^authenticate\(options\)\.scopes: expected scope names .* received "items:\\u2713"$/
  })
  t.throws(() => app.authenticate({ acr: 'gold "plus"' }), { message: /^authenticate\(options\)\.acr: / })
})

t.test('a 403 never carries Node internal error text: the challenge of a quoted scope is sent as is', async (t) => {
  const { app, bearer } = await guardedApp(t)
  app.get('/quoted', { schema: { security: [{ oauth2: ['a:b', 'x!#$%&\'()*+,-./;<=>?@[]^_`{|}~'] }] } }, async () => 'x')
  const response = await app.inject({ url: '/quoted', headers: await bearer({ scope: 'a:b' }) })
  t.equal(response.statusCode, 403)
  t.equal(response.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="a:b x!#$%&\'()*+,-./;<=>?@[]^_`{|}~"')
  t.notMatch(response.body, /ERR_|Invalid character/)
})
