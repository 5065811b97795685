// The docs' token relay against a real oidc-provider: what it relays, what it refuses, and what
// it never does (log secrets, forward browser headers, invent answers).
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import { oauthGuard } from '../../lib/index.js'
import type { TokenRelayOptions } from '../../lib/types.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { openAPIErrors } from '../fixtures/docs-app.js'

const RESOURCE = 'urn:example:relay-api'
const idp = await startIdentityProvider({ resource: RESOURCE, apiScopes: { 'items:read': 'Read items' } })
t.teardown(() => idp.close())
const machine = idp.clients.machine
const logs = createLogCapture()
logs.secret(machine.clientSecret)
const basic = (id: string, secret: string) => `Basic ${Buffer.from(`${id}:${secret}`).toString('base64')}`
const FORM = { 'content-type': 'application/x-www-form-urlencoded' }
const tokenCalls = () => idp.requests.filter((r) => r.path === '/token').length

async function relayApp (t: Test, relay: boolean | TokenRelayOptions = true, issuer = idp.issuer) {
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer, audience: RESOURCE, docs: { tokenRelay: relay }, retryAfter: 9000 })
  app.get('/user', { onRequest: app.authenticate }, async (request) => ({ id: request.auth?.id, clientId: request.auth?.clientId }))
  const post = async (payload: string, headers: Record<string, string> = {}) =>
    await app.inject({ method: 'POST', url: '/docs/token', headers: { ...FORM, ...headers }, payload })
  return { app, post }
}

t.test('a client credentials request with Basic authentication gets the provider\'s answer unchanged, and the token works', async (t) => {
  const { app, post } = await relayApp(t)
  const res = await post('grant_type=client_credentials&scope=items%3Aread', { authorization: basic(machine.clientId, machine.clientSecret) })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['cache-control'], 'no-store')
  t.match(res.headers['content-type'], /^application\/json/)
  const body = res.json()
  logs.secret(body.access_token)
  t.match(body, { access_token: String, token_type: 'Bearer', scope: 'items:read', expires_in: Number })
  const user = await app.inject({ url: '/user', headers: { authorization: `Bearer ${body.access_token as string}` } })
  t.same(user.json(), { id: machine.clientId, clientId: machine.clientId })
})

t.test('client authentication by form fields is relayed too', async (t) => {
  const { post } = await relayApp(t)
  const res = await post(new URLSearchParams({ grant_type: 'client_credentials', scope: 'items:read', client_id: machine.clientId, client_secret: machine.clientSecret }).toString())
  t.equal(res.statusCode, 200)
  logs.secret(res.json().access_token)
  t.match(res.json(), { token_type: 'Bearer', scope: 'items:read' })
})

t.test('the provider\'s error answer for a wrong secret comes back unchanged', async (t) => {
  const { post } = await relayApp(t)
  const res = await post('grant_type=client_credentials', { authorization: basic(machine.clientId, 'wrong-secret') })
  t.equal(res.statusCode, 401)
  t.match(res.json(), { error: 'invalid_client' })
})

t.test('another grant type is 400 unsupported_grant_type and never reaches the provider', async (t) => {
  const { post } = await relayApp(t)
  const before = tokenCalls()
  for (const grant of ['password', 'authorization_code', 'refresh_token', 'urn:ietf:params:oauth:grant-type:token-exchange']) {
    const res = await post(`grant_type=${encodeURIComponent(grant)}&username=a&password=b`, { authorization: basic(machine.clientId, machine.clientSecret) })
    t.equal(res.statusCode, 400, grant)
    t.same(res.json(), { error: 'unsupported_grant_type', error_description: 'The token relay relays the client_credentials grant only' })
  }
  t.equal(tokenCalls(), before)
})

t.test('malformed requests are 400 invalid_request or 401 invalid_client, without calling the provider', async (t) => {
  const { post } = await relayApp(t)
  const before = tokenCalls()
  const auth = { authorization: basic(machine.clientId, machine.clientSecret) }
  t.match((await post('scope=items%3Aread', auth)).json(), { error: 'invalid_request' }, 'no grant_type')
  t.match((await post('grant_type=client_credentials&grant_type=client_credentials', auth)).json(), { error: 'invalid_request' }, 'a repeated parameter')
  t.match((await post(`grant_type=client_credentials&client_id=${machine.clientId}&client_secret=x`, auth)).json(), { error: 'invalid_request' }, 'two authentication methods')
  t.match((await post('grant_type=client_credentials', { authorization: 'Bearer abc' })).json(), { error: 'invalid_request' }, 'not Basic')
  const none = await post('grant_type=client_credentials')
  t.equal(none.statusCode, 401)
  t.match(none.json(), { error: 'invalid_client' })
  t.equal(tokenCalls(), before)
})

t.test('a body over 4 KiB is 413 and a non-form content type 415', async (t) => {
  const { app, post } = await relayApp(t)
  t.equal((await post(`grant_type=client_credentials&scope=${'a'.repeat(5000)}`)).statusCode, 413)
  const json = await app.inject({ method: 'POST', url: '/docs/token', headers: { 'content-type': 'application/json' }, payload: { grant_type: 'client_credentials' } })
  t.equal(json.statusCode, 415)
  const text = await app.inject({ method: 'POST', url: '/docs/token', headers: { 'content-type': 'text/plain' }, payload: 'grant_type=client_credentials' })
  t.equal(text.statusCode, 415)
})

t.test('a cross-site browser request is 403 access_denied', async (t) => {
  const { post } = await relayApp(t)
  const res = await post('grant_type=client_credentials', { authorization: basic(machine.clientId, machine.clientSecret), 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' })
  t.equal(res.statusCode, 403)
  t.match(res.json(), { error: 'access_denied' })
})

t.test('past maxRequestsPerMinute from one address, 429 with Retry-After', async (t) => {
  const { post } = await relayApp(t, { maxRequestsPerMinute: 2 })
  t.equal((await post('grant_type=password')).statusCode, 400)
  t.equal((await post('grant_type=password')).statusCode, 400)
  const limited = await post('grant_type=client_credentials', { authorization: basic(machine.clientId, machine.clientSecret) })
  t.equal(limited.statusCode, 429)
  t.ok(Number(limited.headers['retry-after']) >= 1 && Number(limited.headers['retry-after']) <= 60)
})

t.test('resource and audience from the options are added to the relayed request', async (t) => {
  const good = await relayApp(t, { resource: RESOURCE })
  const res = await good.post('grant_type=client_credentials&scope=items%3Aread', { authorization: basic(machine.clientId, machine.clientSecret) })
  t.equal(res.statusCode, 200)
  logs.secret(res.json().access_token)
  const wrong = await relayApp(t, { resource: 'urn:example:unknown', audience: 'urn:aud' })
  const refused = await wrong.post('grant_type=client_credentials', { authorization: basic(machine.clientId, machine.clientSecret) })
  t.equal(refused.statusCode, 400, 'the provider saw the resource the options name')
  t.equal(refused.json().error, 'invalid_target')
})

t.test('the provider unreachable is 503 temporarily_unavailable with Retry-After', async (t) => {
  const down = await startIdentityProvider({ resource: RESOURCE, apiScopes: {} })
  const { app, post } = await relayApp(t, true, down.issuer)
  await app.ready()
  await app.inject('/docs/json')
  await down.close()
  const res = await post('grant_type=client_credentials', { authorization: basic(machine.clientId, machine.clientSecret) })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '9')
  t.match(res.json(), { error: 'temporarily_unavailable' })
})

t.test('a provider whose metadata cannot be discovered is 503 too, without a request to any token endpoint', async (t) => {
  const { post } = await relayApp(t, true, 'http://127.0.0.1:9')
  const res = await post('grant_type=client_credentials', { authorization: basic(machine.clientId, machine.clientSecret) })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '9')
  t.match(res.json(), { error: 'temporarily_unavailable' })
})

t.test('the relay stays public under protectAllRoutes (it is how a caller gets a token)', async (t) => {
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: idp.issuer, audience: RESOURCE, protectAllRoutes: true, docs: { tokenRelay: true } })
  const res = await app.inject({ method: 'POST', url: '/docs/token', headers: FORM, payload: 'grant_type=password' })
  t.equal(res.statusCode, 400)
  t.match(res.json(), { error: 'unsupported_grant_type' })
})

t.test('the relay is hidden from the document, and the clientCredentials tokenUrl points at it', async (t) => {
  const { app } = await relayApp(t)
  const document = (await app.inject('/docs/json')).json()
  t.notOk('/docs/token' in document.paths)
  t.same(document.components.securitySchemes.oauth2.flows.clientCredentials, { tokenUrl: '/docs/token', scopes: {} })
  t.equal(document.components.securitySchemes.oauth2.flows.authorizationCode.tokenUrl, `${idp.issuer}/token`, 'PKCE still goes to the provider')
  t.same(await openAPIErrors(document), [])
})

t.test('options: tokenRelay is validated, each problem named by its field', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const relay = { resource: 'not a uri', maxRequestsPerMinute: 0, extra: 1 } as TokenRelayOptions
  await t.rejects(async () => { await app.register(oauthGuard, { issuer: idp.issuer, audience: RESOURCE, docs: { tokenRelay: relay } }) }, {
    code: 'OAUTH_GUARD_INVALID_OPTIONS',
    problems: [
      'options.docs.tokenRelay.extra: unexpected property, received 1',
      'options.docs.tokenRelay.maxRequestsPerMinute: expected integer to be greater or equal to 1, received 0',
      'options.docs.tokenRelay.resource: expected absolute URIs without a fragment (RFC 8707 §2), received "not a uri"'
    ]
  })
})

checkNoSecretsLogged(t, logs)
