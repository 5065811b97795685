// protectAllRoutes and strictScopes: secure by default, opt-outs, and startup failures.
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { isExcluded } from '../../lib/fastify/route-security.js'
import { createLocalIssuer, type LocalIssuer } from '../../lib/testing/index.js'
import type { OAuthGuardOptions } from '../../lib/types.js'
import { issuerApp } from '../fixtures/guarded-app.js'
import { NO_CREDENTIALS } from '../fixtures/challenges.js'

async function protectedApp (t: Test, options: Partial<OAuthGuardOptions>): Promise<{ app: FastifyInstance, issuer: LocalIssuer, handled: { count: number } }> {
  const { app, issuer } = await issuerApp(t, options)
  const handled = { count: 0 }
  const handler = async () => {
    handled.count++
    return 'ok'
  }
  app.get('/forgotten', handler)
  app.post('/forgotten', handler)
  app.get('/public', { schema: { security: [] } }, handler)
  app.get('/health', handler)
  app.get('/health/live', handler)
  app.get('/healthz', handler)
  app.get('/hidden-asset', { schema: { hide: true } }, handler)
  app.get('/admin', { schema: { security: [{ oauth2: ['admin'] }] } }, handler)
  app.get('/user', { onRequest: app.authenticate }, handler)
  await app.ready()
  return { app, issuer, handled }
}

const status = async (app: FastifyInstance, url: string, authorization?: string, method: 'GET' | 'POST' = 'GET') =>
  (await app.inject({ method, url, headers: authorization === undefined ? {} : { authorization } })).statusCode

t.test('protectAllRoutes: a route that declares nothing needs a token', async (t) => {
  const { app, issuer, handled } = await protectedApp(t, { protectAllRoutes: true })
  const response = await app.inject({ url: '/forgotten' })
  t.equal(response.statusCode, 401)
  t.equal(response.headers['www-authenticate'], NO_CREDENTIALS)
  t.equal(await status(app, '/forgotten', 'Bearer not-a-token'), 401)
  t.equal(await status(app, '/forgotten', undefined, 'POST'), 401)
  t.equal(handled.count, 0)
  t.equal(await status(app, '/forgotten', `Bearer ${await issuer.sign()}`), 200)
})

t.test('protectAllRoutes: security: [] keeps a route public', async (t) => {
  const { app } = await protectedApp(t, { protectAllRoutes: true })
  t.equal(await status(app, '/public'), 200)
})

t.test('protectAllRoutes: a route hidden from the document is protected like any other', async (t) => {
  const { app, issuer, handled } = await protectedApp(t, { protectAllRoutes: true })
  const response = await app.inject('/hidden-asset')
  t.equal(response.statusCode, 401)
  t.equal(response.headers['www-authenticate'], NO_CREDENTIALS)
  t.equal(handled.count, 0)
  t.equal(await status(app, '/hidden-asset', `Bearer ${await issuer.sign()}`), 200)
})

t.test('protectAllRoutes: routes with their own requirement keep it', async (t) => {
  const { app, issuer } = await protectedApp(t, { protectAllRoutes: true })
  t.equal(await status(app, '/admin', `Bearer ${await issuer.sign()}`), 403)
  t.equal(await status(app, '/admin', `Bearer ${await issuer.sign({ scope: 'admin' })}`), 200)
  t.equal(await status(app, '/user'), 401)
})

t.test('protectAllRoutes.exclude: exact paths and segment prefixes stay public, nothing else', async (t) => {
  const { app } = await protectedApp(t, { protectAllRoutes: { exclude: ['/health'] } })
  t.equal(await status(app, '/health'), 200)
  t.equal(await status(app, '/health/live'), 200)
  t.equal(await status(app, '/healthz'), 401, 'a prefix stops at a segment boundary')
  t.equal(await status(app, '/forgotten'), 401)
})

t.test('isExcluded: exact, segment prefix, trailing-slash prefix', async (t) => {
  t.ok(isExcluded('/health', ['/health']))
  t.ok(isExcluded('/health/live', ['/health']))
  t.notOk(isExcluded('/healthz', ['/health']))
  t.ok(isExcluded('/static/app.js', ['/static/']))
  t.notOk(isExcluded('/static', ['/static/']))
  t.notOk(isExcluded('/anything', []))
})

t.test('protectAllRoutes.scopes: the default requirement asks for them', async (t) => {
  const { app, issuer } = await protectedApp(t, { protectAllRoutes: { scopes: ['api'] } })
  const response = await app.inject({ url: '/forgotten', headers: { authorization: `Bearer ${await issuer.sign()}` } })
  t.equal(response.statusCode, 403)
  t.match(response.headers['www-authenticate'], /scope="api"/)
  t.equal(await status(app, '/forgotten', `Bearer ${await issuer.sign({ scope: 'api' })}`), 200)
})

t.test('protectAllRoutes: the route is documented with the default requirement', async (t) => {
  const issuer = await createLocalIssuer()
  const app = Fastify()
  t.teardown(async () => {
    await app.close()
    await issuer.close()
  })
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, protectAllRoutes: { scopes: ['api'] } })
  const seen: Record<string, unknown> = {}
  app.addHook('onRoute', (route) => { seen[`${route.method} ${route.url}`] = route.schema?.security })
  app.get('/forgotten', async () => 'ok')
  await app.ready()
  t.same(seen['GET /forgotten'], [{ oauth2: ['api'] }])
  t.same(app.oauthGuard.routes.find((r) => r.url === '/forgotten')?.source, 'default')
})

t.test('without protectAllRoutes, a route that declares nothing stays public (the default)', async (t) => {
  const { app } = await protectedApp(t, {})
  t.equal(await status(app, '/forgotten'), 200)
})

t.test('strictScopes: a route requiring a scope the scopes option does not list fails when added', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api', scopes: { 'items:read': 'Read items' }, strictScopes: true })
  app.get('/ok', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => 'ok')
  t.throws(() => app.get('/typo', { schema: { security: [{ oauth2: ['item:read'] }] } }, async () => 'x'), {
    code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY',
    message: 'GET /typo: requires the scope "item:read", which the scopes option does not list (strictScopes is on). Add it to options.scopes, or fix the name'
  })
  t.throws(() => app.get('/hook', { onRequest: app.authenticate({ scopes: ['items:write'] }) }, async () => 'x'), { message: /"items:write"/ })
})

t.test('without strictScopes, scopes the scopes option does not list are allowed', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api', scopes: { 'items:read': 'Read items' } })
  app.get('/write', { schema: { security: [{ oauth2: ['items:write'] }] } }, async () => 'ok')
  await app.ready()
  t.ok(app.oauthGuard.scopes.has('items:write'))
})

t.test('invalid protectAllRoutes and strictScopes options are reported at registration', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const error = await app.register(oauthGuard, {
    issuer: 'https://id.example.com',
    audience: 'api',
    protectAllRoutes: { exclude: ['health', '/static/*'], scopes: ['a b', 'unlisted'] },
    strictScopes: true
  }).then(() => null, (err: unknown) => err)
  t.match(error, { code: 'OAUTH_GUARD_INVALID_OPTIONS' })
  t.same((error as { problems: string[] }).problems, [
    'options.protectAllRoutes.exclude: expected paths or path prefixes such as \'/health\' (no query, wildcard or parameter), received "health"',
    'options.protectAllRoutes.exclude: expected paths or path prefixes such as \'/health\' (no query, wildcard or parameter), received "/static/*"',
    'options.protectAllRoutes.scopes: expected scope names without spaces, quotes or backslashes, received "a b"',
    'options.protectAllRoutes.scopes: expected scopes listed in options.scopes (strictScopes is on), received "unlisted"',
    'options.strictScopes: expected options.scopes to list the API\'s scopes, received strictScopes without them'
  ])
})

t.test('protectAllRoutes of the wrong type is reported', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const error = await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api', protectAllRoutes: 'yes' as never }).then(() => null, (err: unknown) => err)
  t.match(error, { code: 'OAUTH_GUARD_INVALID_OPTIONS', message: /options\.protectAllRoutes/ })
  const other = Fastify()
  t.teardown(() => other.close())
  const listError = await other.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api', protectAllRoutes: { exclude: [1], scopes: [2] } as never }).then(() => null, (err: unknown) => err)
  t.match(listError, { code: 'OAUTH_GUARD_INVALID_OPTIONS', problems: ['options.protectAllRoutes.exclude.0: expected string, received 1', 'options.protectAllRoutes.scopes.0: expected string, received 2'] })
  t.match(error, { problems: ['options.protectAllRoutes: expected true, false, or { exclude, scopes }, received "yes"'] })
})
