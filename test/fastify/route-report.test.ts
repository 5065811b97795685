// The startup report: report() rows, the onReady log lines, and the requirement texts.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { describeRequirement, logRouteReport } from '../../lib/fastify/route-report.js'
import { createLogCapture } from '../fixtures/log-capture.js'

async function reportedApp (t: Test, protectAllRoutes?: boolean) {
  const logs = createLogCapture()
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api', externalSchemes: ['apiKey'], protectAllRoutes })
  app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => 'x')
  app.post('/items', { schema: { security: [{ oauth2: ['items:write', 'audit'] }, { oauth2: ['admin'] }] } }, async () => 'x')
  app.get('/me', { onRequest: app.authenticate }, async () => 'x')
  app.get('/maybe', { onRequest: app.authenticate({ optional: true }) }, async () => 'x')
  app.get('/key', { schema: { security: [{ apiKey: [] }, { oauth2: [] }] } }, async () => 'x')
  app.get('/health', { schema: { security: [] } }, async () => 'x')
  app.get('/forgotten', async () => 'x')
  app.get('/hidden', { schema: { hide: true, security: [{ oauth2: ['admin'] }] } }, async () => 'x')
  await app.ready()
  return { app, logs }
}

t.test('report() lists every route with its effective requirement and where it came from', async (t) => {
  const { app } = await reportedApp(t)
  const rows = app.oauthGuard.report().filter((row) => row.method !== 'HEAD')
  t.same(rows, [
    { method: 'GET', url: '/items', requirement: 'items:read', source: 'schema' },
    { method: 'POST', url: '/items', requirement: 'items:write audit | admin', source: 'schema' },
    { method: 'GET', url: '/me', requirement: 'token', source: 'hook' },
    { method: 'GET', url: '/maybe', requirement: 'public | token', source: 'hook' },
    { method: 'GET', url: '/key', requirement: 'external | token', source: 'schema' },
    { method: 'GET', url: '/health', requirement: 'public', source: 'schema' },
    { method: 'GET', url: '/forgotten', requirement: 'public', source: 'none' },
    { method: 'GET', url: '/hidden', requirement: 'admin', source: 'schema' }
  ])
})

t.test('with protectAllRoutes, the forgotten route shows as protected by default', async (t) => {
  const { app } = await reportedApp(t, true)
  t.same(app.oauthGuard.report().find((row) => row.url === '/forgotten' && row.method === 'GET'), { method: 'GET', url: '/forgotten', requirement: 'token', source: 'default' })
})

t.test('onReady logs the report once at info, and warns about routes that declare nothing', async (t) => {
  const { logs } = await reportedApp(t)
  const entries = logs.lines.map((line) => JSON.parse(line)).filter((entry) => /fastify-oauth-guard: /.test(entry.msg))
  const info = entries.filter((entry) => entry.level === 30)
  t.equal(info.length, 1)
  t.equal(info[0].msg, 'fastify-oauth-guard: 8 routes, 2 public')
  t.match(info[0].routes, ['GET /items: items:read (schema)', 'POST /items: items:write audit | admin (schema)'])
  t.ok(info[0].routes.includes('GET /forgotten: public (none)'))
  const warnings = entries.filter((entry) => entry.level === 40 && !/discovery at startup/.test(entry.msg))
  t.same(warnings.map((entry) => entry.routes), [['GET /forgotten']])
})

t.test('no warning when every route declares its security', async (t) => {
  const { logs } = await reportedApp(t, true)
  t.notOk(logs.lines.some((line) => line.includes('declare no security')))
})

t.test('describeRequirement texts', async (t) => {
  t.equal(describeRequirement(null), 'public')
  t.equal(describeRequirement({ alternatives: [{ scopes: [], external: false }], tokenOptional: false }), 'token')
  t.equal(describeRequirement({ alternatives: [{ scopes: ['a', 'b'], external: true }], tokenOptional: false }), 'a b + external')
  t.equal(describeRequirement({ alternatives: [{ scopes: null, external: false }, { scopes: null, external: false }], tokenOptional: true }), 'public')
})

t.test('the startup line counts the docs routes apart, with the right plurals', async (t) => {
  const logs = createLogCapture()
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, {
    issuer: 'https://id.example.com',
    audience: 'api',
    metadata: { authorization_endpoint: 'https://id.example.com/authorize', token_endpoint: 'https://id.example.com/token' },
    docs: {}
  })
  app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => 'x')
  await app.ready()
  const info = logs.lines.map((line) => JSON.parse(line)).filter((entry) => entry.level === 30 && /routes?, /.test(entry.msg))
  t.match(info.map((entry) => entry.msg), [/^fastify-oauth-guard: 1 route, 0 public; \d+ docs routes, public by design$/])
  const docsRows = app.oauthGuard.report().filter((row) => row.source === 'docs')
  t.ok(docsRows.length > 1)
  t.ok(docsRows.every((row) => row.url.startsWith('/docs') && row.requirement === 'public'))
})

t.test('logRouteReport says "1 route" and "2 routes"', async (t) => {
  const messages: string[] = []
  const log = { info: (_: unknown, msg: string) => { messages.push(msg) }, warn: () => {} } as never
  logRouteReport(log, [{ method: 'GET', url: '/a', requirement: 'token', source: 'schema' }])
  logRouteReport(log, [{ method: 'GET', url: '/a', requirement: 'public', source: 'none' }, { method: 'GET', url: '/b', requirement: 'token', source: 'schema' }, { method: 'GET', url: '/docs', requirement: 'public', source: 'docs' }])
  t.same(messages, ['fastify-oauth-guard: 1 route, 0 public', 'fastify-oauth-guard: 2 routes, 1 public; 1 docs route, public by design'])
})
