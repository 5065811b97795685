// The docs' token relay against token endpoints that misbehave in ways a real provider does not
// (a redirect, a JSON array, a huge answer, no body), and the exact form it forwards.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { oauthGuard } from '../../lib/index.js'
import type { TokenRelayOptions } from '../../lib/types.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { startEndpoints, type Answer, type EndpointServer } from '../fixtures/oauth-endpoints.js'

const AUDIENCE = 'urn:example:relay-edges'
const SECRET = 'relay-edges-client-secret'
const BASIC = `Basic ${Buffer.from(`machine:${SECRET}`).toString('base64')}`
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const UNAVAILABLE = { error: 'temporarily_unavailable', error_description: 'The identity provider is unavailable, retry later' }
const logs = createLogCapture()
logs.secret(SECRET, BASIC)

async function relayApp (t: Test, answer: Answer, relay: true | TokenRelayOptions = true) {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/token', answer)
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, {
    issuer: endpoints.origin,
    audience: AUDIENCE,
    // Both endpoints given: the docs skip discovery, the relay goes straight to /token.
    metadata: { authorization_endpoint: `${endpoints.origin}/authorize`, token_endpoint: `${endpoints.origin}/token`, jwks_uri: `${endpoints.origin}/jwks` },
    docs: { tokenRelay: relay },
    retryAfter: 4000
  })
  const post = async (payload: string, headers: Record<string, string> = {}) =>
    await app.inject({ method: 'POST', url: '/docs/token', headers: { ...FORM, ...headers }, payload })
  return { app, post, endpoints }
}

async function expectUnavailable (t: Test, endpoints: EndpointServer, res: { statusCode: number, headers: Record<string, unknown>, json: () => unknown }) {
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '4')
  t.equal(res.headers['cache-control'], 'no-store')
  t.same(res.json(), UNAVAILABLE)
  t.equal(endpoints.calls('/token'), 1, 'the provider was asked once')
}

t.test('a redirect from the token endpoint is not followed: 503 with Retry-After', async (t) => {
  const { post, endpoints } = await relayApp(t, { status: 302, body: { access_token: 'never-relayed' }, headers: { location: 'http://127.0.0.2/token' } })
  const before = logs.lines.length
  await expectUnavailable(t, endpoints, await post('grant_type=client_credentials', { authorization: BASIC }))
  const warning = logs.lines.slice(before).map((line) => JSON.parse(line)).find((line) => line.code === 'OAUTH_GUARD_PROVIDER_UNAVAILABLE')
  t.match(warning, { level: 40, msg: 'fastify-oauth-guard: token relay: the token endpoint could not be reached or answered no JSON' })
})

t.test('a JSON array from the token endpoint is 503, not relayed', async (t) => {
  const { post, endpoints } = await relayApp(t, { raw: '[{"access_token":"x"}]' })
  await expectUnavailable(t, endpoints, await post('grant_type=client_credentials', { authorization: BASIC }))
})

t.test('JSON null from the token endpoint is 503, not relayed', async (t) => {
  const { post, endpoints } = await relayApp(t, { raw: 'null' })
  await expectUnavailable(t, endpoints, await post('grant_type=client_credentials', { authorization: BASIC }))
})

t.test('a body that is not JSON from the token endpoint is 503', async (t) => {
  const { post, endpoints } = await relayApp(t, { status: 500, raw: '<html>Internal error</html>' })
  await expectUnavailable(t, endpoints, await post('grant_type=client_credentials', { authorization: BASIC }))
})

t.test('an empty answer (204) from the token endpoint is 503', async (t) => {
  const { post, endpoints } = await relayApp(t, { status: 204, raw: '' })
  await expectUnavailable(t, endpoints, await post('grant_type=client_credentials', { authorization: BASIC }))
})

t.test('a token endpoint answer over 64 KiB is cut off and 503', async (t) => {
  const { post, endpoints } = await relayApp(t, { body: { access_token: 'a'.repeat(70 * 1024), token_type: 'Bearer' } })
  await expectUnavailable(t, endpoints, await post('grant_type=client_credentials', { authorization: BASIC }))
})

t.test('an answer just under 64 KiB is relayed byte for byte', async (t) => {
  const raw = JSON.stringify({ access_token: 'b'.repeat(60 * 1024), token_type: 'Bearer', expires_in: 60 })
  const { post } = await relayApp(t, { raw })
  const res = await post('grant_type=client_credentials', { authorization: BASIC })
  t.equal(res.statusCode, 200)
  t.equal(res.body, raw)
})

t.test('the provider\'s error status and body are relayed unchanged, with no-store', async (t) => {
  const raw = '{"error":"invalid_scope","error_description":"scope x is unknown","extra":[1,2]}'
  const { post } = await relayApp(t, { status: 400, raw })
  const res = await post('grant_type=client_credentials&scope=x', { authorization: BASIC })
  t.equal(res.statusCode, 400)
  t.equal(res.body, raw)
  t.equal(res.headers['content-type'], 'application/json; charset=utf-8')
  t.equal(res.headers['cache-control'], 'no-store')
  t.equal(res.headers.pragma, 'no-cache')
})

t.test('only grant_type, scope and the client\'s credentials are forwarded, plus the configured audience and resources', async (t) => {
  const { post, endpoints } = await relayApp(t, { body: { access_token: 'x', token_type: 'Bearer' } }, { audience: 'urn:aud', resource: ['https://api.example/a', 'https://api.example/b'] })
  const res = await post(`grant_type=client_credentials&scope=items%3Aread&client_id=machine&client_secret=${SECRET}&username=u&password=p&audience=urn%3Aevil&resource=https%3A%2F%2Fevil.example`, {
    cookie: 'session=abc', origin: 'http://localhost', 'sec-fetch-site': 'same-origin'
  })
  t.equal(res.statusCode, 200)
  const [forwarded] = endpoints.requests
  t.same([...forwarded.form], [
    ['grant_type', 'client_credentials'],
    ['scope', 'items:read'],
    ['client_id', 'machine'],
    ['client_secret', SECRET],
    ['audience', 'urn:aud'],
    ['resource', 'https://api.example/a'],
    ['resource', 'https://api.example/b']
  ])
  t.equal(forwarded.headers.cookie, undefined)
  t.equal(forwarded.headers.origin, undefined)
  t.equal(forwarded.headers.authorization, undefined)
  t.equal(forwarded.headers.accept, 'application/json')
})

t.test('a Basic header is forwarded as it is, whatever the case of the scheme', async (t) => {
  const { post, endpoints } = await relayApp(t, { body: { access_token: 'x', token_type: 'Bearer' } })
  const lower = `basic ${Buffer.from(`machine:${SECRET}`).toString('base64')}`
  t.equal((await post('grant_type=client_credentials', { authorization: lower })).statusCode, 200)
  t.equal(endpoints.requests[0].headers.authorization, lower)
  t.same([...endpoints.requests[0].form], [['grant_type', 'client_credentials']])
})

t.test('a form request without a body is 400 "Parameter grant_type missing", without calling the provider', async (t) => {
  const { app, endpoints } = await relayApp(t, { body: {} })
  const res = await app.inject({ method: 'POST', url: '/docs/token', headers: FORM })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { error: 'invalid_request', error_description: 'Parameter grant_type missing' })
  t.equal(endpoints.calls('/token'), 0)
})

t.test('each refusal before the provider has its exact error and description', async (t) => {
  const { post, endpoints } = await relayApp(t, { body: {} })
  const cases: Array<[string, Record<string, string>, number, unknown]> = [
    ['grant_type=client_credentials&scope=a&scope=b', { authorization: BASIC }, 400, { error: 'invalid_request', error_description: 'Parameter scope repeated' }],
    ['grant_type=client_credentials&client_secret=x&client_secret=y', {}, 400, { error: 'invalid_request', error_description: 'Parameter client_secret repeated' }],
    ['grant_type=password', { authorization: BASIC }, 400, { error: 'unsupported_grant_type', error_description: 'The token relay relays the client_credentials grant only' }],
    ['grant_type=client_credentials', { authorization: 'Digest username="m"' }, 400, { error: 'invalid_request', error_description: 'Only Basic client authentication is relayed' }],
    [`grant_type=client_credentials&client_secret=${SECRET}`, { authorization: BASIC }, 400, { error: 'invalid_request', error_description: 'Client authentication sent twice' }],
    ['grant_type=client_credentials&client_id=machine', {}, 401, { error: 'invalid_client', error_description: 'Client authentication required' }],
    [`grant_type=client_credentials&client_secret=${SECRET}`, {}, 401, { error: 'invalid_client', error_description: 'Client authentication required' }]
  ]
  for (const [payload, headers, status, body] of cases) {
    const res = await post(payload, headers)
    t.equal(res.statusCode, status, payload)
    t.same(res.json(), body, payload)
    t.equal(res.headers['cache-control'], 'no-store', payload)
  }
  t.equal(endpoints.calls('/token'), 0)
})

t.test('Sec-Fetch-Site same-origin and none are relayed; same-site is 403 access_denied', async (t) => {
  const { post, endpoints } = await relayApp(t, { body: { access_token: 'x', token_type: 'Bearer' } })
  t.equal((await post('grant_type=client_credentials', { authorization: BASIC, 'sec-fetch-site': 'same-origin' })).statusCode, 200)
  t.equal((await post('grant_type=client_credentials', { authorization: BASIC, 'sec-fetch-site': 'none' })).statusCode, 200)
  const sameSite = await post('grant_type=client_credentials', { authorization: BASIC, 'sec-fetch-site': 'same-site' })
  t.equal(sameSite.statusCode, 403)
  t.same(sameSite.json(), { error: 'access_denied', error_description: 'The token relay answers the docs page of this origin only' })
  t.equal(endpoints.calls('/token'), 2)
})

t.test('over the rate limit: 429 temporarily_unavailable with Retry-After, and the provider is not asked', async (t) => {
  const { post, endpoints } = await relayApp(t, { body: { access_token: 'x', token_type: 'Bearer' } }, { maxRequestsPerMinute: 1 })
  t.equal((await post('grant_type=client_credentials', { authorization: BASIC })).statusCode, 200)
  const limited = await post('grant_type=client_credentials', { authorization: BASIC })
  t.equal(limited.statusCode, 429)
  t.same(limited.json(), { error: 'temporarily_unavailable', error_description: 'Too many token requests, retry later' })
  t.match(limited.headers['retry-after'], /^([1-9]|[1-5][0-9]|60)$/)
  t.equal(limited.headers['cache-control'], 'no-store')
  t.equal(endpoints.calls('/token'), 1)
})

t.test('a relay request with the wrong method or content type gets Fastify\'s answer, not the provider', async (t) => {
  const { app, endpoints } = await relayApp(t, { body: {} })
  t.equal((await app.inject({ method: 'GET', url: '/docs/token' })).statusCode, 404)
  const multipart = await app.inject({ method: 'POST', url: '/docs/token', headers: { 'content-type': 'multipart/form-data; boundary=x' }, payload: '--x--' })
  t.equal(multipart.statusCode, 415)
  t.equal(endpoints.calls('/token'), 0)
})

t.test('a request without a body or a content type is 400 "Parameter grant_type missing"', async (t) => {
  const { app, endpoints } = await relayApp(t, { body: {} })
  const res = await app.inject({ method: 'POST', url: '/docs/token', headers: { authorization: BASIC } })
  t.equal(res.statusCode, 400)
  t.same(res.json(), { error: 'invalid_request', error_description: 'Parameter grant_type missing' })
  t.equal(endpoints.calls('/token'), 0)
})

checkNoSecretsLogged(t, logs)
