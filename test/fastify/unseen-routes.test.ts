// Routes added before the plugin had loaded (register without await): still enforced, and named.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { createLogCapture } from '../fixtures/log-capture.js'
import { NO_CREDENTIALS } from '../fixtures/challenges.js'

async function earlyRoutesApp (t: Test, protectAllRoutes = false) {
  const issuer = await createLocalIssuer()
  const logs = createLogCapture()
  const app = Fastify({ logger: logs.logger })
  t.teardown(async () => {
    await app.close()
    await issuer.close()
  })
  app.get('/declared-before', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => 'secret')
  // No await: the routes below are added before the plugin runs, so its onRoute hook never sees them.
  app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, protectAllRoutes })
  app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => 'secret')
  app.get('/public', { schema: { security: [] } }, async () => 'public')
  app.get('/undeclared', async () => 'maybe secret')
  app.get('/asset', { schema: { hide: true } }, async () => 'asset')
  app.get('/hidden-admin', { schema: { hide: true, security: [{ oauth2: ['admin'] }] } }, async () => 'secret')
  app.get('/bad', { schema: { security: [{ apiKey: [] }] } }, async () => 'secret')
  await app.ready()
  return { app, issuer, logs }
}

t.test('schema.security of a route the plugin never saw is still enforced', async (t) => {
  const { app, issuer } = await earlyRoutesApp(t)
  for (const url of ['/items', '/declared-before']) {
    const response = await app.inject(url)
    t.equal(response.statusCode, 401, url)
    t.equal(response.headers['www-authenticate'], NO_CREDENTIALS)
    t.equal((await app.inject({ url, headers: { authorization: `Bearer ${await issuer.sign()}` } })).statusCode, 403, url)
    t.equal((await app.inject({ url, headers: { authorization: `Bearer ${await issuer.sign({ scope: 'items:read' })}` } })).statusCode, 200, url)
  }
})

t.test('public early routes stay public; undeclared and hidden ones follow protectAllRoutes', async (t) => {
  const off = await earlyRoutesApp(t)
  t.equal((await off.app.inject('/public')).statusCode, 200)
  t.equal((await off.app.inject('/asset')).statusCode, 200)
  t.equal((await off.app.inject('/undeclared')).statusCode, 200)
  const on = await earlyRoutesApp(t, true)
  t.equal((await on.app.inject('/public')).statusCode, 200)
  t.equal((await on.app.inject('/asset')).statusCode, 401, 'hiding a route from the document does not unguard it')
  t.equal((await on.app.inject('/undeclared')).statusCode, 401)
})

t.test('a hidden early route keeps its schema.security', async (t) => {
  const { app, issuer } = await earlyRoutesApp(t)
  t.equal((await app.inject('/hidden-admin')).statusCode, 401)
  t.equal((await app.inject({ url: '/hidden-admin', headers: { authorization: `Bearer ${await issuer.sign({ scope: 'read' })}` } })).statusCode, 403)
  t.equal((await app.inject({ url: '/hidden-admin', headers: { authorization: `Bearer ${await issuer.sign({ scope: 'admin' })}` } })).statusCode, 200)
})

t.test('an early route naming an unknown scheme fails closed, without saying why', async (t) => {
  const { app, logs } = await earlyRoutesApp(t)
  const response = await app.inject('/bad')
  t.equal(response.statusCode, 500)
  t.equal(response.json().code, 'OAUTH_GUARD_INVALID_ROUTE_SECURITY')
  t.notMatch(response.body, /apiKey/)
  t.ok(logs.lines.some((line) => line.includes('"level":50') && line.includes('route security cannot be enforced')))
})

t.test('each early route is named once in a warning, when first requested', async (t) => {
  const { app, logs } = await earlyRoutesApp(t)
  await app.inject('/items')
  await app.inject('/items')
  const warnings = logs.lines.map((line) => JSON.parse(line)).filter((entry) => entry.level === 40 && /before the plugin had loaded/.test(entry.msg))
  t.same(warnings.map((entry) => [entry.route, entry.requirement]), [['GET /items', 'items:read']])
})

t.test('unknown URLs keep their 404', async (t) => {
  const { app } = await earlyRoutesApp(t, true)
  t.equal((await app.inject('/nowhere')).statusCode, 404)
})
