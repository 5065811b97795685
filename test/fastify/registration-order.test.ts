// The document and the server agree whatever the registration order of onRoute hooks.
import Fastify from 'fastify'
import t from 'tap'
import oauthGuard, { InvalidRouteSecurityError } from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'

t.test('security set by an onRoute hook registered after the plugin is refused at ready, naming the route', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api' })
  app.addHook('onRoute', (route) => {
    if (route.url === '/admin') route.schema = { ...route.schema, security: [{ oauth2: ['admin'] }] }
  })
  app.get('/admin', async () => 'secret')
  app.get('/other', async () => 'x')
  const error = await app.ready().then(() => null, (err: unknown) => err)
  t.type(error, InvalidRouteSecurityError)
  t.match(error, {
    code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY',
    message: /^GET \/admin, HEAD \/admin: schema.security or the authenticate hooks changed after fastify-oauth-guard read the route \(an onRoute hook registered after the plugin\?\)/
  })
  t.notMatch((error as Error).message, /\/other/)
})

t.test('under protectAllRoutes, a later hook narrowing the default requirement is refused too', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api', protectAllRoutes: true })
  app.addHook('onRoute', (route) => { route.schema = { ...route.schema, security: [{ oauth2: ['admin'] }] } })
  app.get('/admin', async () => 'secret')
  await t.rejects(async () => await app.ready(), { code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY', message: /GET \/admin/ })
})

t.test('an authenticate hook added by a later onRoute hook is refused at ready: it would not be documented', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api' })
  app.addHook('onRoute', (route) => { route.preHandler = app.authenticate({ scopes: ['admin'] }) })
  app.get('/admin', async () => 'secret')
  await t.rejects(async () => await app.ready(), { code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY', message: /GET \/admin/ })
})

t.test('a later onRoute hook that only reads the route is fine', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api' })
  const seen: unknown[] = []
  app.addHook('onRoute', (route) => { seen.push(route.schema?.security) })
  app.get('/admin', { onRequest: app.authenticate({ scopes: ['admin'] }) }, async () => 'secret')
  await app.ready()
  t.same(seen[0], [{ oauth2: ['admin'] }])
})

t.test('security set by an onRoute hook registered before the plugin is enforced and documented', async (t) => {
  const issuer = await createLocalIssuer()
  const app = Fastify()
  t.teardown(async () => {
    await app.close()
    await issuer.close()
  })
  app.addHook('onRoute', (route) => {
    if (route.url === '/early-hook') route.schema = { ...route.schema, security: [{ oauth2: ['admin'] }] }
  })
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience })
  app.get('/early-hook', async () => 'secret')
  await app.ready()
  t.same(app.oauthGuard.report().find((row) => row.url === '/early-hook'), { method: 'GET', url: '/early-hook', requirement: 'admin', source: 'schema' })
  t.equal((await app.inject('/early-hook')).statusCode, 401)
  t.equal((await app.inject({ url: '/early-hook', headers: { authorization: `Bearer ${await issuer.sign({ scope: 'read' })}` } })).statusCode, 403)
  t.equal((await app.inject({ url: '/early-hook', headers: { authorization: `Bearer ${await issuer.sign({ scope: 'admin' })}` } })).statusCode, 200)
})

t.test('a later onRoute hook that drops the plugin hook from a route is refused at ready', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api' })
  app.addHook('onRoute', (route) => { route.onRequest = [] })
  app.get('/admin', { schema: { security: [{ oauth2: ['admin'] }] } }, async () => 'secret')
  await t.rejects(async () => await app.ready(), { code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY', message: /^GET \/admin/ })
})

t.test('a later onRoute hook that swaps an authenticate hook for another is refused at ready', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api' })
  app.addHook('onRoute', (route) => { route.onRequest = app.authenticate({ scopes: ['other'] }) })
  app.get('/admin', { onRequest: app.authenticate({ scopes: ['admin'] }) }, async () => 'secret')
  await t.rejects(async () => await app.ready(), { code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY', message: /^GET \/admin/ })
})
