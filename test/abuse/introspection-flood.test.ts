/**
 * Floods against introspection, with fixed counts: repeated bad tokens are answered from the
 * negative cache, distinct ones are held to the request budget (introspection.maxRequestsPerSecond),
 * a token already accepted keeps working through the flood, and nothing gets a 500.
 */
import t from 'tap'
import { performance } from 'node:perf_hooks'
import { flood, listenURL, liveHeap, randomText, serverErrors } from '../fixtures/flood.js'
import { activeAnswer, endpointsApp, startEndpoints } from '../fixtures/oauth-endpoints.js'

const COUNT = 5000
const REPEATS = 2000
const BUDGET = 50
/** Most heap growth allowed across a flood, in bytes. */
const MAX_HEAP_GROWTH = 16 * 1024 * 1024

t.test(`${REPEATS} requests with one bad opaque token: one introspection call`, async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: { active: false } })
  const app = await endpointsApp(t, endpoints, { introspection: { clientId: 'api', clientSecret: 'secret', negativeCacheTTL: 60_000 } })
  const statuses = await flood(await listenURL(app, '/items'), REPEATS, () => 'Bearer the-same-garbage')
  t.same(statuses, { 401: REPEATS })
  t.equal(endpoints.calls('/introspect'), 1)
})

t.test(`${COUNT} distinct bad opaque tokens: introspection calls held to the budget, 401 or 503, never 500`, async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', (request) => ({ body: request.form.get('token') === 'good-token' ? activeAnswer(endpoints) : { active: false } }))
  const app = await endpointsApp(t, endpoints, { introspection: { clientId: 'api', clientSecret: 'secret', maxRequestsPerSecond: BUDGET } })
  const url = await listenURL(app, '/items')
  t.same(await flood(url, 1, () => 'Bearer good-token'), { 200: 1 }, 'a user signed in before the flood')
  const before = liveHeap()
  const started = performance.now()
  const statuses = await flood(url, COUNT, (i) => `Bearer garbage-${i}-${randomText(30)}`)
  const seconds = Math.ceil((performance.now() - started) / 1000)
  const growth = liveHeap() - before
  t.equal(serverErrors(statuses) - (statuses[503] ?? 0), 0, 'no 5xx but the 503s of the budget')
  t.equal((statuses[401] ?? 0) + (statuses[503] ?? 0), COUNT)
  const calls = endpoints.calls('/introspect') - 1
  t.ok(calls <= BUDGET * (1 + seconds), `${calls} introspection calls in ${seconds} s, budget ${BUDGET}/s`)
  t.ok(calls < COUNT / 10, 'the flood was not forwarded')
  t.same(await flood(url, 1, () => 'Bearer good-token'), { 200: 1 }, 'the signed-in user is still served from the cache')
  t.ok(growth < MAX_HEAP_GROWTH, `heap grew by ${(growth / 1048576).toFixed(1)} MiB`)
})

t.test('the 503 of a spent budget carries Retry-After and no challenge', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: { active: false } })
  const app = await endpointsApp(t, endpoints, { introspection: { clientId: 'api', clientSecret: 'secret', maxRequestsPerSecond: 1 } })
  await app.inject({ url: '/items', headers: { authorization: 'Bearer first-garbage' } })
  const response = await app.inject({ url: '/items', headers: { authorization: 'Bearer second-garbage' } })
  t.equal(response.statusCode, 503)
  t.equal(response.headers['retry-after'], '5')
  t.equal(response.headers['www-authenticate'], undefined)
  t.equal(response.json().code, 'OAUTH_GUARD_PROVIDER_UNAVAILABLE')
  t.equal(endpoints.calls('/introspect'), 1)
})

t.test('maxRequestsPerSecond: 0 lifts the limit', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: { active: false } })
  const app = await endpointsApp(t, endpoints, { introspection: { clientId: 'api', clientSecret: 'secret', maxRequestsPerSecond: 0 } })
  const statuses = await flood(await listenURL(app, '/items'), 300, (i) => `Bearer garbage-${i}`)
  t.same(statuses, { 401: 300 })
  t.equal(endpoints.calls('/introspect'), 300)
})
