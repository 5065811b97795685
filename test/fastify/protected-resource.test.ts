import Fastify from 'fastify'
import t from 'tap'
import { InvalidOptionsError } from '../../lib/errors.js'
import oauthGuard from '../../lib/index.js'
import { resolveOptions } from '../../lib/options.js'
import type { OAuthGuardOptions } from '../../lib/types.js'
import { docsApp, startIssuer } from '../fixtures/docs-app.js'
import { guardedApp } from '../fixtures/guarded-app.js'
import { createLogCapture } from '../fixtures/log-capture.js'
import { DPOP_OFFER, NO_CREDENTIALS } from '../fixtures/challenges.js'

const RESOURCE = 'https://api.example.test/mcp'
const METADATA_URL = 'https://api.example.test/.well-known/oauth-protected-resource/mcp'

t.test('the metadata is served at the path-suffixed URL and at the root, public, cached, as JSON', async (t) => {
  const { app, issuer } = await guardedApp(t, { resource: RESOURCE, scopes: { 'items:write': 'Write items' }, protectAllRoutes: true })
  for (const url of ['/.well-known/oauth-protected-resource/mcp', '/.well-known/oauth-protected-resource']) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 200, url)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
    t.equal(res.headers['cache-control'], 'public, max-age=3600')
    t.equal(res.headers['access-control-allow-origin'], '*')
    t.same(res.json(), {
      resource: RESOURCE,
      authorization_servers: [issuer.issuer],
      scopes_supported: ['items:write', 'items:read', 'admin'],
      bearer_methods_supported: ['header'],
      dpop_signing_alg_values_supported: ['ES256', 'RS256', 'PS256', 'EdDSA']
    })
  }
  t.equal((await app.inject({ method: 'HEAD', url: '/.well-known/oauth-protected-resource/mcp' })).statusCode, 200)
})

t.test('scopes_supported is computed when the server is ready, from routes added after registration', async (t) => {
  const { app } = await guardedApp(t, { resource: 'https://api.example.test', protectAllRoutes: { scopes: ['base'] } })
  app.get('/late', { schema: { security: [{ oauth2: ['late:scope'] }] } }, async () => 'ok')
  const res = await app.inject({ url: '/.well-known/oauth-protected-resource' })
  t.same(res.json().scopes_supported, ['items:read', 'admin', 'base', 'late:scope'])
  t.equal((await app.inject({ url: '/.well-known/oauth-protected-resource/mcp' })).statusCode, 404, 'no path, no path-suffixed URL')
})

t.test('every challenge names the metadata: 401 without and with a bad token, 403 insufficient_scope, 400', async (t) => {
  const { app, bearer } = await guardedApp(t, { resource: RESOURCE, realm: 'api' })
  const missing = await app.inject({ url: '/items' })
  t.equal(missing.statusCode, 401)
  t.equal(missing.headers['www-authenticate'], `Bearer realm="api", resource_metadata="${METADATA_URL}", DPoP realm="api", algs="ES256 RS256 PS256 EdDSA", resource_metadata="${METADATA_URL}"`)
  const invalid = await app.inject({ url: '/items', headers: { authorization: 'Bearer not.a.jwt' } })
  t.equal(invalid.statusCode, 401)
  t.equal(invalid.headers['www-authenticate'], `Bearer realm="api", error="invalid_token", error_description="The access token is invalid", resource_metadata="${METADATA_URL}", DPoP realm="api", algs="ES256 RS256 PS256 EdDSA", resource_metadata="${METADATA_URL}"`)
  const scope = await app.inject({ url: '/admin', headers: await bearer({ scope: 'items:read' }) })
  t.equal(scope.statusCode, 403)
  t.equal(scope.headers['www-authenticate'], `Bearer realm="api", error="insufficient_scope", error_description="The access token does not grant the required scope", scope="admin", resource_metadata="${METADATA_URL}"`)
  const malformed = await app.inject({ url: '/items?access_token=x' })
  t.equal(malformed.statusCode, 400)
  t.equal(malformed.headers['www-authenticate'], `Bearer realm="api", error="invalid_request", error_description="Access tokens are not accepted in the query string", resource_metadata="${METADATA_URL}"`)
  const ok = await app.inject({ url: '/items', headers: await bearer({ scope: 'items:read' }) })
  t.equal(ok.statusCode, 200)
})

t.test('request.userinfo() on a public route: its 401 names the metadata too', async (t) => {
  const { app } = await guardedApp(t, { resource: RESOURCE })
  app.get('/me', { schema: { security: [] } }, async (request) => await request.userinfo())
  const res = await app.inject({ url: '/me' })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], `Bearer resource_metadata="${METADATA_URL}"${DPOP_OFFER}, resource_metadata="${METADATA_URL}"`)
})

t.test('without resource: no metadata route and challenges as before', async (t) => {
  const { app } = await guardedApp(t)
  t.equal((await app.inject({ url: '/.well-known/oauth-protected-resource' })).statusCode, 404)
  t.equal((await app.inject({ url: '/items' })).headers['www-authenticate'], NO_CREDENTIALS)
})

t.test('resourceMetadata maxAge sets Cache-Control', async (t) => {
  const { app } = await guardedApp(t, { resource: RESOURCE, resourceMetadata: { maxAge: 60_000 } })
  t.equal((await app.inject({ url: '/.well-known/oauth-protected-resource/mcp' })).headers['cache-control'], 'public, max-age=60')
})

t.test('the route is hidden from the OpenAPI document, and resource_documentation points at Swagger UI', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer, { resource: 'https://api.example.test' })
  const document = (await app.inject({ url: '/docs/json' })).json()
  t.notOk(Object.keys(document.paths).some((path) => path.startsWith('/.well-known')))
  const metadata = (await app.inject({ url: '/.well-known/oauth-protected-resource' })).json()
  t.equal(metadata.resource_documentation, 'https://api.example.test/docs')
})

t.test('resource_documentation uses docs.publicURL when given', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer, { resource: 'https://api.example.test', docs: { publicURL: 'https://public.example.test/base/' } })
  const metadata = (await app.inject({ url: '/.well-known/oauth-protected-resource' })).json()
  t.equal(metadata.resource_documentation, 'https://public.example.test/base/docs')
})

t.test('under a prefix: off with a warning by default, an error when resourceMetadata is set', async (t) => {
  const logs = createLogCapture()
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(async (api) => {
    await api.register(oauthGuard, { issuer: 'https://id.example.test', audience: RESOURCE, resource: RESOURCE })
    api.get('/items', { onRequest: api.authenticate }, async () => 'never')
  }, { prefix: '/api' })
  const res = await app.inject({ url: '/api/items' })
  t.equal(res.headers['www-authenticate'], NO_CREDENTIALS)
  t.equal((await app.inject({ url: '/api/.well-known/oauth-protected-resource/mcp' })).statusCode, 404)
  t.ok(logs.lines.some((line) => JSON.parse(line).level === 40 && /received the prefix \\"\/api\\"/.test(line)), 'a warning names the prefix')

  const strict = Fastify()
  t.teardown(() => strict.close())
  strict.register(async (api) => {
    await api.register(oauthGuard, { issuer: 'https://id.example.test', audience: RESOURCE, resource: RESOURCE, resourceMetadata: true })
  }, { prefix: '/api' })
  const err = await strict.ready().then(() => null, (e: unknown) => e) as InvalidOptionsError
  t.type(err, InvalidOptionsError)
  t.match(err.problems[0], /^options\.resourceMetadata: expected the plugin registered without a prefix/)
})

t.test('resourceMetadata false turns it off', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.test', audience: RESOURCE, resourceMetadata: false })
  app.get('/items', { onRequest: app.authenticate }, async () => 'never')
  t.equal((await app.inject({ url: '/.well-known/oauth-protected-resource' })).statusCode, 404)
  t.equal((await app.inject({ url: '/items' })).headers['www-authenticate'], NO_CREDENTIALS)
})

t.test('options: resource must be a resource identifier, resourceMetadata needs it, and each problem is named', async (t) => {
  const base = { issuer: 'https://id.example.test', audience: 'api' }
  const problems = (options: Record<string, unknown>): readonly string[] => {
    const err = t.throws(() => resolveOptions({ ...base, ...options } as OAuthGuardOptions)) as InvalidOptionsError
    return err.problems
  }
  t.same(problems({ resource: 'http://api.example.test' }), ['options.resource: expected an https URL (http is allowed for localhost only), received "http://api.example.test"'])
  t.same(problems({ resource: 'https://api.example.test/#x' }), ['options.resource: expected a URL without query or fragment, received "https://api.example.test/#x"'])
  t.same(problems({ resource: 'api' }), ['options.resource: expected an absolute URL, received "api"'])
  t.same(problems({ resource: '' }), ['options.resource: expected string length greater or equal to 1, received ""'])
  t.same(problems({ resource: RESOURCE, resourceMetadata: false }), ['options.resource: expected it only when resourceMetadata is not false, received both'])
  t.same(problems({ resourceMetadata: true }), ["options.resource: expected the API's resource identifier (an https URL such as 'https://api.example.com/mcp') with resourceMetadata on, received undefined"])
  t.match(problems({ resource: RESOURCE, resourceMetadata: { maxAge: -1 } }).join('\n'), /^options\.resourceMetadata\.maxAge: expected integer to be greater or equal to 0 \(milliseconds, whole seconds: Cache-Control max-age is in seconds\), received -1$/m)
  t.match(problems({ resource: RESOURCE, resourceMetadata: { ttl: 1 } }).join('\n'), /options\.resourceMetadata/)
  t.match(problems({ resource: RESOURCE, resourceMetadata: 'yes' }).join('\n'), /options\.resourceMetadata: expected/)
  t.same(resolveOptions({ ...base, resource: RESOURCE }).resourceMetadata, { resource: RESOURCE, maxAge: 3_600_000 })
  t.same(resolveOptions({ ...base, resource: RESOURCE, resourceMetadata: { maxAge: 0 } }).resourceMetadata, { resource: RESOURCE, maxAge: 0 })
  t.equal(resolveOptions(base).resourceMetadata, null)
  t.equal(resolveOptions({ ...base, resourceMetadata: false }).resourceMetadata, null)
})

t.test('a resource that is not an accepted audience is logged as a warning at registration', async (t) => {
  const warned = async (audience: string): Promise<boolean> => {
    const logs = createLogCapture()
    const app = Fastify({ logger: logs.logger })
    t.teardown(() => app.close())
    await app.register(oauthGuard, { issuer: 'https://id.example.test', audience, resource: RESOURCE })
    return logs.lines.some((line) => JSON.parse(line).level === 40 && line.includes('is not an accepted audience'))
  }
  t.equal(await warned('api'), true)
  t.equal(await warned(RESOURCE), false)
})

t.test('the document says what DPoP accepts: its algorithms, and whether bound tokens are required; nothing when off', async (t) => {
  const required = await guardedApp(t, { resource: 'https://api.example.test', dpop: { mode: 'required', algorithms: ['ES256'] } })
  const doc = (await required.app.inject({ url: '/.well-known/oauth-protected-resource' })).json()
  t.same(doc.dpop_signing_alg_values_supported, ['ES256'])
  t.equal(doc.dpop_bound_access_tokens_required, true)
  const off = await guardedApp(t, { resource: 'https://api.example.test', dpop: 'off' })
  const plain = (await off.app.inject({ url: '/.well-known/oauth-protected-resource' })).json()
  t.notOk('dpop_signing_alg_values_supported' in plain)
  t.notOk('dpop_bound_access_tokens_required' in plain)
})
