// Introspection's rarer paths: the request budget spent, DPoP answers without a key, and answers
// shared between instances through a real redis-server (what the store holds, what is re-asked).
import t, { type Test } from 'tap'
import { redisStore } from '../../lib/store/redis-store.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { activeAnswer, bearer, CREDENTIALS, endpointsApp, type EndpointServer, freezeClock, opaqueToken, startEndpoints } from '../fixtures/oauth-endpoints.js'
import { startRedis, type RedisServer } from '../fixtures/redis-server.js'

const INVALID_TOKEN = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER
const logs = createLogCapture()
logs.secret(CREDENTIALS.clientSecret)
const redis = await startRedis(t)

const opaque = (): string => opaqueToken(logs)

/** Two API instances in front of one endpoint server, sharing the redis-server under `prefix`. */
async function sharedApps (t: Test, endpoints: EndpointServer, prefix: string, second: Record<string, unknown> = {}) {
  // A loaded test machine must not turn a slow answer into a store outage.
  const store = { store: redisStore(await redis.readyClient(), { prefix }), storeTimeout: 5000 }
  const one = await endpointsApp(t, endpoints, store, logs)
  const two = await endpointsApp(t, endpoints, { ...store, ...second }, logs)
  return { one, two }
}

async function keysUnder (server: RedisServer, prefix: string) {
  return (await server.dump()).filter(([key]) => key.startsWith(prefix))
}

t.test('past introspection.maxRequestsPerSecond, a new token is 503 with Retry-After and no call', async (t) => {
  freezeClock(t)
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints) })
  const app = await endpointsApp(t, endpoints, { introspection: { ...CREDENTIALS, maxRequestsPerSecond: 1 } }, logs)
  const first = opaque()
  t.equal((await app.inject({ url: '/auth', headers: bearer(first) })).statusCode, 200)
  const over = await app.inject({ url: '/auth', headers: bearer(opaque()) })
  t.equal(over.statusCode, 503)
  t.equal(over.headers['retry-after'], '5')
  t.equal(over.json().code, 'OAUTH_GUARD_PROVIDER_UNAVAILABLE')
  t.equal(endpoints.calls('/introspect'), 1)
  t.equal((await app.inject({ url: '/auth', headers: bearer(first) })).statusCode, 200, 'a cached token does not need the budget')
})

for (const [name, cnf] of [['no cnf', undefined], ['cnf null', null], ['cnf a string', 'jkt'], ['cnf without jkt', { kid: 'k' }]] as const) {
  t.test(`token_type DPoP with ${name} is 401 invalid_token: a bound token without its key`, async (t) => {
    const endpoints = await startEndpoints(t)
    endpoints.answer('/introspect', { body: activeAnswer(endpoints, { token_type: 'DPoP', ...(cnf !== undefined && { cnf }) }) })
    const app = await endpointsApp(t, endpoints, {}, logs)
    const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
    t.equal(res.statusCode, 401)
    t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
    t.equal(res.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
  })
}

t.test('an active answer is shared: the second instance answers from the store, which holds the claims and not the token', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints, { sub: 'shared-user' }) })
  const { one, two } = await sharedApps(t, endpoints, 'intro-active:')
  const token = opaque()
  t.same((await one.inject({ url: '/auth', headers: bearer(token) })).json().id, 'shared-user')
  const second = await two.inject({ url: '/auth', headers: bearer(token) })
  t.equal(second.statusCode, 200)
  t.equal(second.json().id, 'shared-user')
  t.equal(endpoints.calls('/introspect'), 1, 'the second instance did not ask the provider')
  const stored = await keysUnder(redis, 'intro-active:')
  t.equal(stored.length, 1)
  const [key, value] = stored[0]
  t.match(key, /^intro-active:introspection:[\w-]{16}:/)
  t.notOk(key.includes(token) || String(value).includes(token), 'the raw token is in neither the key nor the value')
  t.match(JSON.parse(String(value)), { u: Number, v: { active: true, sub: 'shared-user', aud: 'urn:example:api' } })
})

t.test('a refusal is shared too: the second instance refuses without asking', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: { active: false } })
  const { one, two } = await sharedApps(t, endpoints, 'intro-refused:')
  const token = opaque()
  t.equal((await one.inject({ url: '/auth', headers: bearer(token) })).statusCode, 401)
  const second = await two.inject({ url: '/auth', headers: bearer(token) })
  t.equal(second.statusCode, 401)
  t.equal(second.headers['www-authenticate'], INVALID_TOKEN)
  t.equal(endpoints.calls('/introspect'), 1)
  const [[, value]] = await keysUnder(redis, 'intro-refused:')
  t.match(JSON.parse(String(value)), { u: Number, r: 'invalid' })
})

t.test('an instance with another audience does not reuse the verdict: it asks, under its own key', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints, { aud: ['urn:example:api', 'urn:example:other'] }) })
  const { one, two } = await sharedApps(t, endpoints, 'intro-audience:', { audience: 'urn:example:other' })
  const token = opaque()
  t.equal((await one.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  t.equal((await two.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  t.equal(endpoints.calls('/introspect'), 2)
  const keys = (await keysUnder(redis, 'intro-audience:')).map(([key]) => key.split(':').slice(0, 3).join(':'))
  t.equal(new Set(keys).size, 2, 'two verdict scopes')
})

t.test('a stored answer that is not an object is ignored: the provider is asked again', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints) })
  const { one, two } = await sharedApps(t, endpoints, 'intro-garbage:')
  const token = opaque()
  t.equal((await one.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  const [[key]] = await keysUnder(redis, 'intro-garbage:')
  const client = await redis.readyClient()
  await client.set(key, JSON.stringify({ u: Date.now() + 60_000, v: 'not claims' }))
  t.equal((await two.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  t.equal(endpoints.calls('/introspect'), 2)
})

t.test('a stored answer the second instance would refuse (another issuer) is refused there', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints) })
  const { one, two } = await sharedApps(t, endpoints, 'intro-tampered:')
  const token = opaque()
  t.equal((await one.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  const [[key, value]] = await keysUnder(redis, 'intro-tampered:')
  const entry = JSON.parse(String(value))
  entry.v.iss = 'https://other-issuer.example'
  await (await redis.readyClient()).set(key, JSON.stringify(entry))
  const res = await two.inject({ url: '/auth', headers: bearer(token) })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
  t.equal(endpoints.calls('/introspect'), 1)
})

t.test('a refusal of the API\'s credentials without an OAuth error body is logged once, and again when it changes', async (t) => {
  let answer: { status: number, raw: string } = { status: 401, raw: 'Unauthorized' }
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', () => answer)
  const app = await endpointsApp(t, endpoints, {}, logs)
  const before = logs.lines.length
  for (let i = 0; i < 2; i++) t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 503)
  answer = { status: 400, raw: '{"error":"invalid_client"}' }
  for (let i = 0; i < 2; i++) t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 503)
  const reports = logs.lines.slice(before).map((line) => JSON.parse(line)).filter((line) => line.code === 'OAUTH_GUARD_INTROSPECTION_CREDENTIALS')
  t.equal(reports.length, 2, 'one line per distinct refusal')
  t.match(reports[0], { level: 50, status: 401, clientId: CREDENTIALS.clientId })
  t.notOk('error' in reports[0], 'no OAuth error code to report')
  t.match(reports[1], { level: 50, status: 400, error: 'invalid_client' })
})

t.test('a token the userinfo endpoint refuses is deleted from the shared store too', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints) })
  endpoints.answer('/userinfo', { status: 401, body: { error: 'invalid_token' } })
  const { one, two } = await sharedApps(t, endpoints, 'intro-forget:')
  const token = opaque()
  t.equal((await one.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  t.equal((await keysUnder(redis, 'intro-forget:introspection:')).length, 1)
  const me = await one.inject({ url: '/me', headers: bearer(token) })
  t.equal(me.statusCode, 401)
  t.equal(me.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
  t.same(await keysUnder(redis, 'intro-forget:introspection:'), [], 'the shared answer is gone')
  t.equal((await two.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  t.equal(endpoints.calls('/introspect'), 2, 'the other instance had to ask the provider again')
})

checkNoSecretsLogged(t, logs)
