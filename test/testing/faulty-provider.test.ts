import t from 'tap'
import type { Test } from 'tap'
import { request } from 'node:http'
import { createRemoteJWKSet, jwtVerify } from 'jose'
import { startFaultyProvider, WRONG_ISSUER } from '../fixtures/faulty-provider.js'
import type { FaultyProvider } from '../fixtures/faulty-provider.js'

interface Reply { status: number, headers: Record<string, unknown>, body: string }

async function startProvider (t: Test, path?: string): Promise<FaultyProvider> {
  const provider = await startFaultyProvider({ algorithms: ['ES256'], path })
  t.teardown(() => provider.close())
  return provider
}

// A fresh connection per request (no agent), so a refused port shows as ECONNREFUSED, not a stale socket.
function get (url: string, timeoutMs = 5000): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = ''
      res.setEncoding('utf8')
      res.on('data', (chunk) => { body += chunk })
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }))
      res.on('error', reject)
    })
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'TIMEOUT' })))
    req.on('error', reject)
    req.end()
  })
}

const discovery = (provider: FaultyProvider) => `${provider.issuer}/.well-known/openid-configuration`

t.test("'none' proxies discovery and JWKS under the provider's own URL", async (t) => {
  const provider = await startProvider(t)
  const document = JSON.parse((await get(discovery(provider))).body)
  t.match(document, { issuer: provider.issuer, jwks_uri: provider.jwksUri, token_endpoint: `${provider.issuer}/token` })
  t.not(provider.issuer, provider.inner.issuer)
  t.same(JSON.parse((await get(provider.jwksUri)).body), provider.inner.jwks())
  const { payload } = await jwtVerify(await provider.sign({ scope: 'read' }), createRemoteJWKSet(new URL(provider.jwksUri)), {
    issuer: provider.issuer,
    audience: provider.inner.audience
  })
  t.equal(payload.scope, 'read')
  t.same({ ...provider.hits }, { '/.well-known/openid-configuration': 1, '/jwks': 2 })
})

t.test("'none' keeps the issuer path in both discovery forms", async (t) => {
  const provider = await startProvider(t, '/realms/demo')
  const origin = new URL(provider.issuer).origin
  t.equal(provider.issuer, `${origin}/realms/demo`)
  const oidc = JSON.parse((await get(discovery(provider))).body)
  const rfc8414 = JSON.parse((await get(`${origin}/.well-known/oauth-authorization-server/realms/demo`)).body)
  t.match(oidc, { issuer: provider.issuer, jwks_uri: `${provider.issuer}/jwks` })
  t.same(rfc8414, oidc)
})

t.test("'down' refuses connections, ends open ones and comes back on the same port", async (t) => {
  const provider = await startProvider(t)
  provider.fault = 'hang'
  const open = get(provider.jwksUri)
  await t.resolveMatch(new Promise((resolve) => setTimeout(() => resolve(provider.hits['/jwks']), 100)), 1)
  await provider.setFault('down')
  await t.rejects(open, { code: 'ECONNRESET' })
  await t.rejects(get(provider.jwksUri), { code: 'ECONNREFUSED' })
  await provider.setFault('none')
  t.equal((await get(provider.jwksUri)).status, 200)
  provider.fault = 'down'
  t.equal(provider.fault, 'down')
  await t.rejects(get(provider.jwksUri), { code: 'ECONNREFUSED' }, 'the setter closes the port too')
  provider.fault = 'status-500'
  t.equal((await get(provider.jwksUri)).status, 500, 'and reopens it')
})

t.test("'slow' answers after slowMs", async (t) => {
  const provider = await startProvider(t)
  provider.slowMs = 300
  provider.fault = 'slow'
  const started = performance.now()
  const reply = await get(provider.jwksUri)
  t.ok(performance.now() - started >= 290, 'delayed')
  t.equal(reply.status, 200)
  t.equal(JSON.parse(reply.body).keys.length, 1)
})

t.test("'hang' never answers", async (t) => {
  const provider = await startProvider(t)
  provider.fault = 'hang'
  await t.rejects(get(provider.jwksUri, 300), { code: 'TIMEOUT' })
  t.equal(provider.hits['/jwks'], 1)
})

t.test("'status-500' answers 500", async (t) => {
  const provider = await startProvider(t)
  provider.fault = 'status-500'
  t.match(await get(discovery(provider)), { status: 500, body: '{"error":"server_error"}' })
})

t.test("'invalid-json' answers 200 with a body that does not parse", async (t) => {
  const provider = await startProvider(t)
  provider.fault = 'invalid-json'
  const reply = await get(provider.jwksUri)
  t.equal(reply.status, 200)
  t.equal(reply.headers['content-type'], 'application/json')
  t.throws(() => JSON.parse(reply.body), SyntaxError)
})

t.test("'redirect' answers 302 to another host", async (t) => {
  const provider = await startProvider(t)
  provider.fault = 'redirect'
  const reply = await get(`${provider.jwksUri}?a=1`)
  const { port } = new URL(provider.issuer)
  t.equal(reply.status, 302)
  t.equal(reply.headers.location, `http://127.0.0.2:${port}/jwks?a=1`)
})

t.test("'wrong-issuer' changes only the discovery issuer", async (t) => {
  const provider = await startProvider(t)
  provider.fault = 'wrong-issuer'
  const document = JSON.parse((await get(discovery(provider))).body)
  t.equal(document.issuer, WRONG_ISSUER)
  t.equal(document.jwks_uri, provider.jwksUri)
  t.equal(JSON.parse((await get(provider.jwksUri)).body).keys.length, 1)
})

t.test("'empty-jwks' serves no keys and a normal discovery document", async (t) => {
  const provider = await startProvider(t)
  provider.fault = 'empty-jwks'
  t.same(JSON.parse((await get(provider.jwksUri)).body), { keys: [] })
  t.equal(JSON.parse((await get(discovery(provider))).body).issuer, provider.issuer)
})

t.test('close ends hanging requests and the inner issuer', async (t) => {
  const provider = await startFaultyProvider({ algorithms: ['ES256'] })
  provider.fault = 'hang'
  const open = get(provider.jwksUri)
  await new Promise((resolve) => setTimeout(resolve, 100))
  await provider.close()
  await t.rejects(open, { code: 'ECONNRESET' })
  await t.rejects(get(provider.jwksUri), { code: 'ECONNREFUSED' })
  await t.rejects(get(provider.inner.jwksUri), { code: 'ECONNREFUSED' })
  await provider.close()
})
