// The docs' rarer paths: an https server's logged redirect URI, a missing peer the install hint
// does not know, a tokenRelay.resource of the wrong type, and the Swagger UI plugins' own logic
// (run here from the functions themselves; the browser test shows them in Swagger UI).
import Fastify from 'fastify'
import t from 'tap'
import { oauthGuard, type OAuthGuardOptions } from '../../lib/index.js'
import { loadPeers } from '../../lib/openapi/docs-plugin.js'
import { swaggerUIDisplay } from '../../lib/openapi/swagger-ui-display.js'
import { ATTACKER_CERT_DER, ATTACKER_KEY_PEM } from '../fixtures/attacker-cert.js'
import { createLogCapture } from '../fixtures/log-capture.js'
import { documentOf, startIssuer } from '../fixtures/docs-app.js'

const CERT_PEM = `-----BEGIN CERTIFICATE-----\n${ATTACKER_CERT_DER.match(/.{1,64}/g)?.join('\n') ?? ''}\n-----END CERTIFICATE-----`

type Padlock = () => { statePlugins: { auth: { wrapSelectors: { isAuthorized: (original: (state: unknown, security: unknown) => unknown) => (state: unknown, security: unknown) => unknown } } } }

/** The padlock plugin's isAuthorized wrapper around a selector that returns what it is given. */
function wrappedIsAuthorized () {
  const plugins = swaggerUIDisplay({}).uiConfig.plugins as unknown[]
  const padlock = plugins.at(-1) as Padlock
  return padlock().statePlugins.auth.wrapSelectors.isAuthorized((_state, security) => security)
}

/** A stand-in for Swagger UI's Immutable List of Maps: `filter` and `size`, as the plugin uses them. */
function list (requirements: Array<Record<string, string[]>>) {
  const maps = requirements.map((r) => ({ size: Object.keys(r).length, value: r }))
  return { filter: (keep: (m: { size: number }) => boolean) => maps.filter(keep).map((m) => m.value) }
}

t.test('an https server logs an https redirect URI for Swagger UI', async (t) => {
  const issuer = await startIssuer(t)
  const logs = createLogCapture()
  const app = Fastify({ https: { key: ATTACKER_KEY_PEM, cert: CERT_PEM }, logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, docs: { clientId: 'swagger-ui' } })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const { port } = app.server.address() as { port: number }
  const line = logs.lines.map((l) => JSON.parse(l)).find((l) => l.redirectURI !== undefined)
  t.match(line, { docs: `https://127.0.0.1:${port}/docs`, redirectURI: `https://127.0.0.1:${port}/docs/static/oauth2-redirect.html`, clientId: 'swagger-ui' })
})

t.test('a missing peer the install hint has no major for is named with @latest', async (t) => {
  const notFound = (name: string) => Object.assign(new Error(`Cannot find package '${name}' imported from x`), { code: 'ERR_MODULE_NOT_FOUND' })
  await t.rejects(loadPeers(['@fastify/swagger', 'swagger-extra'], async (name) => { throw notFound(name) }), {
    code: 'OAUTH_GUARD_INVALID_OPTIONS',
    problems: ['options.docs: expected @fastify/swagger and swagger-extra to be installed (run: npm install @fastify/swagger@9 swagger-extra@latest), received missing modules']
  })
})

t.test('a tokenRelay.resource that is neither a string nor a list is one options problem, not a crash', async (t) => {
  const issuer = await startIssuer(t)
  const app = Fastify()
  t.teardown(() => app.close())
  const docs = { clientId: 'swagger-ui', tokenRelay: { resource: 42 } } as unknown as OAuthGuardOptions['docs']
  const err = await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, docs }).then(() => null, (e: { code?: string, problems?: string[] }) => e)
  t.equal(err?.code, 'OAUTH_GUARD_INVALID_OPTIONS')
  t.same(err?.problems, ['options.docs.tokenRelay.resource: expected a non-empty string, or a non-empty list of them, received 42'])
})

t.test('the padlock plugin leaves empty requirements out of Swagger UI\'s isAuthorized check', async (t) => {
  const isAuthorized = wrappedIsAuthorized()
  t.same(isAuthorized({}, list([{}, { oauth2: ['items:read'] }])), [{ oauth2: ['items:read'] }], 'Immutable-like maps: by size')
  t.same(isAuthorized({}, [{}, { oauth2: [] }, {}]), [{ oauth2: [] }], 'plain objects: by their keys')
  t.same(isAuthorized({}, list([{}])), [], 'security: [{}] alone keeps no requirement')
})

t.test('the padlock plugin passes a security value it cannot filter through unchanged', async (t) => {
  const isAuthorized = wrappedIsAuthorized()
  t.equal(isAuthorized({}, undefined), undefined)
  const odd = { size: 1 }
  t.equal(isAuthorized({}, odd), odd)
})

t.test('without the user\'s own plugins, Swagger UI\'s DownloadUrl plugin is kept first', async (t) => {
  const plugins = swaggerUIDisplay({}).uiConfig.plugins as Array<(system: unknown) => unknown>
  t.equal(plugins.length, 2)
  const global = globalThis as { SwaggerUIBundle?: unknown }
  const calls: unknown[] = []
  global.SwaggerUIBundle = { plugins: { DownloadUrl: (system: unknown) => { calls.push(system); return { fn: 'download' } } } }
  t.teardown(() => { delete global.SwaggerUIBundle })
  const system = { name: 'system' }
  t.same(plugins[0](system), { fn: 'download' })
  t.same(calls, [system])
})

t.test('a route with a null hook gets Fastify\'s own error, not a TypeError from the docs\' onRoute hook', async (t) => {
  const issuer = await startIssuer(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, docs: { clientId: 'swagger-ui' } })
  // Registered as a plugin so that it loads after the docs, whose onRoute hook then sees the route.
  app.register(async (api) => { api.get('/x', { preHandler: null as never }, async () => 'x') })
  await t.rejects(async () => { await app.ready() }, { code: 'FST_ERR_HOOK_INVALID_HANDLER' })
})

t.test('a policy hook inside a hook array still documents the 403 its permissions can cause', async (t) => {
  const issuer = await startIssuer(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, docs: { clientId: 'swagger-ui' } })
  const noop = async () => {}
  app.register(async (api) => {
    api.get('/reports', { onRequest: [noop, api.authenticate({ permissions: ['reports:view'] })] }, async () => [])
    api.get('/user', { onRequest: [noop, api.authenticate] }, async () => [])
  })
  const document = await documentOf(t, app)
  t.same(document.paths['/reports'].get.responses['403'], { $ref: '#/components/responses/OAuthGuardForbidden' })
  t.equal(document.paths['/user'].get.responses['403'], undefined, 'any valid token: no 403 to document')
})
