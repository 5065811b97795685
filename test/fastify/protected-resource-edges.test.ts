// RFC 9728 edges on the wire: the metadata URL each resource form gets (root, trailing slash,
// loopback with a port) and that it answers where challenges point, HEAD, CORS and Cache-Control,
// a public document whatever the Authorization header, and resource identifiers refused at registration.
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { InvalidOptionsError } from '../../lib/errors.js'
import oauthGuard from '../../lib/index.js'
import type { OAuthGuardOptions } from '../../lib/types.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'
import { createLogCapture } from '../fixtures/log-capture.js'

const ISSUER = 'https://id.example.test'
const METADATA_PREFIX = '/.well-known/oauth-protected-resource'

/** An API with `options` (issuer and audience preset), one authenticated route, ready. */
async function api (t: Test, options: Partial<OAuthGuardOptions>, logger: boolean | object = false): Promise<FastifyInstance> {
  const app = Fastify({ logger })
  t.teardown(async () => await app.close())
  await app.register(oauthGuard, { issuer: ISSUER, audience: options.resource ?? 'api', ...options } as OAuthGuardOptions)
  app.get('/private', { onRequest: app.authenticate }, async () => 'never')
  await app.ready()
  return app
}

/** The `resource_metadata` the 401 without credentials names. */
async function namedMetadata (app: FastifyInstance): Promise<string | undefined> {
  const challenge = String((await app.inject({ url: '/private' })).headers['www-authenticate'])
  return /^Bearer resource_metadata="([^"]+)"/.exec(challenge)?.[1]
}

/** The problems registering with `options` reports. */
async function refused (t: Test, options: Partial<OAuthGuardOptions>): Promise<readonly string[]> {
  const app = Fastify()
  t.teardown(async () => await app.close())
  const err = await app.register(oauthGuard, { issuer: ISSUER, audience: 'api', ...options } as OAuthGuardOptions).ready().then(() => null, (e: unknown) => e)
  t.type(err, InvalidOptionsError)
  return (err as InvalidOptionsError).problems
}

t.test('each resource form: the challenge names a metadata URL that the API answers, with that resource', async (t) => {
  const cases: Array<[string, string]> = [
    ['https://api.example.test', `https://api.example.test${METADATA_PREFIX}`],
    ['https://api.example.test/', `https://api.example.test${METADATA_PREFIX}`],
    ['https://api.example.test/mcp/', `https://api.example.test${METADATA_PREFIX}/mcp/`],
    ['https://api.example.test/v1/mcp', `https://api.example.test${METADATA_PREFIX}/v1/mcp`],
    ['https://api.example.test:8443/mcp', `https://api.example.test:8443${METADATA_PREFIX}/mcp`],
    ['http://127.0.0.1:8080/mcp', `http://127.0.0.1:8080${METADATA_PREFIX}/mcp`],
    ['http://[::1]:3000/', `http://[::1]:3000${METADATA_PREFIX}`]
  ]
  for (const [resource, url] of cases) {
    const app = await api(t, { resource })
    t.equal(await namedMetadata(app), url, resource)
    const res = await app.inject({ url: new URL(url).pathname })
    t.equal(res.statusCode, 200, `${resource}: served`)
    t.equal(res.json().resource, resource, `${resource}: the document names the resource as configured`)
  }
})

t.test('the path-suffixed URL is served as the resource path is, trailing slash included, and only it', async (t) => {
  const app = await api(t, { resource: 'https://api.example.test/mcp/' })
  t.equal((await app.inject({ url: `${METADATA_PREFIX}/mcp/` })).statusCode, 200)
  t.equal((await app.inject({ url: METADATA_PREFIX })).statusCode, 200, 'and the root one')
  t.equal((await app.inject({ url: `${METADATA_PREFIX}/mcp` })).statusCode, 404)
  t.equal((await app.inject({ url: `${METADATA_PREFIX}/other` })).statusCode, 404)
  const root = await api(t, { resource: 'https://api.example.test/' })
  t.equal((await root.inject({ url: `${METADATA_PREFIX}/` })).statusCode, 404, 'a root resource has no path-suffixed URL')
})

t.test('HEAD answers the headers of GET without a body: JSON, public Cache-Control, CORS for any origin', async (t) => {
  const app = await api(t, { resource: 'https://api.example.test/mcp', resourceMetadata: { maxAge: 0 } })
  const get = await app.inject({ url: `${METADATA_PREFIX}/mcp`, headers: { origin: 'https://inspector.example.net' } })
  const head = await app.inject({ method: 'HEAD', url: `${METADATA_PREFIX}/mcp`, headers: { origin: 'https://inspector.example.net' } })
  for (const [name, res] of [['GET', get], ['HEAD', head]] as const) {
    t.equal(res.statusCode, 200, name)
    t.equal(res.headers['content-type'], 'application/json; charset=utf-8', name)
    t.equal(res.headers['cache-control'], 'public, max-age=0', `${name}: maxAge 0 is sent as max-age=0`)
    t.equal(res.headers['access-control-allow-origin'], '*', name)
  }
  t.equal(head.body, '')
  t.equal(head.headers['content-length'], get.headers['content-length'])
})

t.test('only GET and HEAD (and the CORS preflight): other methods on the metadata URL are 404', async (t) => {
  const app = await api(t, { resource: 'https://api.example.test/mcp' })
  for (const method of ['POST', 'PUT', 'DELETE'] as const) {
    t.equal((await app.inject({ method, url: `${METADATA_PREFIX}/mcp` })).statusCode, 404, method)
  }
})

t.test('the CORS preflight of a browser client sending its own header is answered for any origin', async (t) => {
  const app = await api(t, { resource: 'https://api.example.test/mcp' })
  for (const url of [`${METADATA_PREFIX}/mcp`, METADATA_PREFIX]) {
    const res = await app.inject({
      method: 'OPTIONS',
      url,
      headers: { origin: 'https://inspector.example.net', 'access-control-request-method': 'GET', 'access-control-request-headers': 'mcp-protocol-version' }
    })
    t.equal(res.statusCode, 204, url)
    t.equal(res.headers['access-control-allow-origin'], '*', url)
    t.equal(res.headers['access-control-allow-methods'], 'GET, HEAD', url)
    t.equal(res.headers['access-control-allow-headers'], '*', url)
    t.equal(res.headers['access-control-max-age'], '3600', `${url}: as long as the document is cached`)
    t.equal(res.headers['access-control-allow-credentials'], undefined, `${url}: no credentials`)
    t.equal(res.body, '', url)
  }
})

t.test('the document is public: a broken or foreign Authorization header and protectAllRoutes change nothing', async (t) => {
  const app = await api(t, { resource: 'https://api.example.test/mcp', protectAllRoutes: true })
  const plain = await app.inject({ url: `${METADATA_PREFIX}/mcp` })
  for (const authorization of ['Bearer not.a.jwt', 'Basic dXNlcjpwYXNz', 'Bearer']) {
    const res = await app.inject({ url: `${METADATA_PREFIX}/mcp`, headers: { authorization } })
    t.equal(res.statusCode, 200, authorization)
    t.equal(res.headers['www-authenticate'], undefined, authorization)
    t.equal(res.body, plain.body, authorization)
  }
  t.equal((await app.inject({ url: `${METADATA_PREFIX}/mcp?x=1` })).body, plain.body, 'a query is ignored')
})

t.test('a refused request names the metadata on the DPoP challenge as well as on Bearer', async (t) => {
  const app = await api(t, { resource: 'http://localhost:3000/mcp' })
  const url = `http://localhost:3000${METADATA_PREFIX}/mcp`
  const res = await app.inject({ url: '/private', headers: { authorization: 'Bearer x' } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], `Bearer error="invalid_token", error_description="The access token is invalid", resource_metadata="${url}"${DPOP_OFFER}, resource_metadata="${url}"`)
})

t.test('resource identifiers refused at registration, each named', async (t) => {
  const cases: Array<[string, string]> = [
    ['https://user:pw@api.example.test/mcp', 'expected a URL without credentials'],
    ['https://api.example.test/v1/:id', 'expected a path without ":" or "*"'],
    ['https://api.example.test/files/*', 'expected a path without ":" or "*"'],
    ['https://api.example.test/mcp?', 'expected a URL without query or fragment'],
    ['https://api.example.test/mcp#', 'expected a URL without query or fragment'],
    ['http://api.example.test/mcp', 'expected an https URL (http is allowed for localhost only)'],
    ['http://127.0.0.1.example.test/mcp', 'expected an https URL (http is allowed for localhost only)'],
    ['ftp://127.0.0.1/mcp', 'expected an https URL (http is allowed for localhost only)'],
    ['//api.example.test/mcp', 'expected an absolute URL']
  ]
  for (const [resource, problem] of cases) {
    t.same(await refused(t, { resource }), [`options.resource: ${problem}, received ${JSON.stringify(resource)}`], resource)
  }
})

t.test('a resource whose path needs percent-encoding is refused at registration: the metadata route could not answer its URL', async (t) => {
  for (const resource of ['https://api.example.test/my%20api', 'https://api.example.test/café', 'https://api.example.test/a b', 'https://api.example.test/v1%2Fmcp']) {
    t.same(await refused(t, { resource }), [`options.resource: expected a path without percent-encoding or characters that need it (space, non-ASCII), received ${JSON.stringify(resource)}`], resource)
  }
})

t.test('a wrong resource and a wrong maxAge are reported together', async (t) => {
  const problems = await refused(t, { resource: 'http://api.example.test', resourceMetadata: { maxAge: 1500 } })
  t.ok(problems.includes('options.resource: expected an https URL (http is allowed for localhost only), received "http://api.example.test"'), problems.join('\n'))
  t.ok(problems.includes('options.resourceMetadata.maxAge: expected integer to be a multiple of 1000 (milliseconds, whole seconds: Cache-Control max-age is in seconds), received 1500'), problems.join('\n'))
})

t.test('maxAge must be whole seconds in milliseconds: fractions, strings and null are named', async (t) => {
  for (const maxAge of [1000.5, '60000', null]) {
    const problems = await refused(t, { resource: 'https://api.example.test', resourceMetadata: { maxAge } as unknown as { maxAge: number } })
    t.ok(problems.includes(`options.resourceMetadata.maxAge: expected integer (milliseconds, whole seconds: Cache-Control max-age is in seconds), received ${JSON.stringify(maxAge)}`), problems.join('\n'))
  }
})

t.test('no audience warning when the resource is the audience of any issuer, or any audience is accepted', async (t) => {
  const resource = 'https://api.example.test/mcp'
  const warned = async (options: Partial<OAuthGuardOptions>): Promise<boolean> => {
    const logs = createLogCapture()
    await api(t, { resource, ...options }, logs.logger)
    return logs.lines.some((line) => line.includes('is not an accepted audience'))
  }
  const issuers = (second: string): OAuthGuardOptions['issuer'] => [
    { issuer: ISSUER, audience: 'api', metadata: { jwks_uri: `${ISSUER}/jwks` } },
    { issuer: 'https://other.example.test', audience: second, metadata: { jwks_uri: 'https://other.example.test/jwks' } }
  ]
  t.equal(await warned({ issuer: issuers(resource), audience: undefined }), false, 'the second issuer accepts it')
  t.equal(await warned({ issuer: issuers('api-2'), audience: undefined }), true, 'no issuer accepts it')
  t.equal(await warned({ audience: undefined, dangerouslyAllowAnyAudience: true }), false, 'any audience is accepted')
})
