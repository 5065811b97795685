// The DPoP replay check shared between instances (RFC 9449 §11.1): what it writes, when it skips the
// shared store, each fallback while the store cannot answer, and the same on the wire through the
// plugin. A SharedStore of the test's own stands for a store that is up or down at will; the real
// Redis round trip is in test/store/redis-store.test.ts.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { StoreUnavailableError } from '../../lib/errors.js'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { LocalReplayStore } from '../../lib/token/local-replay-store.js'
import { SharedReplayStore, type ReplayFallback } from '../../lib/token/shared-replay-store.js'
import { SharedLevel, type SharedStore } from '../../lib/token/shared-store.js'
import { ALGS, ath, proofKey } from '../fixtures/dpop.js'

/** An in-memory shared store that records `add` calls and can be switched off. */
function memoryStore () {
  const entries = new Map<string, string>()
  const adds: Array<[string, string, number]> = []
  const state = { up: true }
  const check = (): void => { if (!state.up) throw new Error('store down') }
  const store: SharedStore = {
    get: async (key) => { check(); return entries.get(key) },
    set: async (key, value) => { check(); entries.set(key, value) },
    add: async (key, value, ttl) => {
      check()
      adds.push([key, value, ttl])
      if (entries.has(key)) return false
      entries.set(key, value)
      return true
    },
    delete: async (key) => { check(); entries.delete(key) }
  }
  return { store, entries, adds, state }
}

const silent = { warn: () => {}, info: () => {} }

function replayStore (t: Test, fallback: ReplayFallback = 'local') {
  const memory = memoryStore()
  const now = { value: 1_700_000_000_000 }
  t.capture(Date, 'now', () => now.value)
  const shared = new SharedLevel(memory.store, { timeout: 1000, log: silent, fallback: 'test' })
  return { ...memory, now, shared, replay: new SharedReplayStore({ local: new LocalReplayStore(100), shared, fallback, retryAfter: 5000 }) }
}

t.test('a first use is added to the shared store as jti:<key> for the time left until its deadline, rounded up', async (t) => {
  const { replay, adds, now } = replayStore(t)
  t.equal(await replay.firstUse('digest-1', now.value + 1500.2), true)
  t.same(adds, [['jti:digest-1', '1', 1501]])
})

t.test('a replay to the same instance is caught locally, without a shared-store round trip', async (t) => {
  const { replay, adds, now } = replayStore(t)
  t.equal(await replay.firstUse('digest-2', now.value + 60_000), true)
  t.equal(await replay.firstUse('digest-2', now.value + 60_000), false)
  t.equal(adds.length, 1)
})

t.test('a key already in the shared store (used through another instance) is a replay', async (t) => {
  const { replay, entries, now } = replayStore(t)
  entries.set('jti:digest-3', '1')
  t.equal(await replay.firstUse('digest-3', now.value + 60_000), false)
})

t.test('a deadline already past is accepted on the local check alone and nothing is written to the shared store', async (t) => {
  const { replay, adds, now } = replayStore(t)
  t.equal(await replay.firstUse('digest-4', now.value), true)
  t.equal(await replay.firstUse('digest-5', now.value - 1000), true)
  t.same(adds, [])
})

t.test("fallback 'local': while the store is down, the local check alone decides", async (t) => {
  const { replay, state, now } = replayStore(t)
  state.up = false
  t.equal(await replay.firstUse('digest-6', now.value + 60_000), true)
  t.equal(await replay.firstUse('digest-6', now.value + 60_000), false, 'still refused on this instance')
})

t.test("fallback 'refuse': while the store is down, a first use is a 503 StoreUnavailableError with Retry-After in seconds", async (t) => {
  const { replay, state, now } = replayStore(t, 'refuse')
  state.up = false
  const err = await replay.firstUse('digest-7', now.value + 60_000).catch((err: unknown) => err)
  t.ok(err instanceof StoreUnavailableError)
  t.match(err, { statusCode: 503, code: 'OAUTH_GUARD_STORE_UNAVAILABLE', headers: { 'retry-after': '5' }, cause: { message: 'The shared store did not answer the DPoP replay check' } })
  t.equal(await replay.firstUse('digest-7', now.value + 60_000), false, 'a replay to this instance is still a plain replay, not a 503')
})

/** Two instances of one API on one issuer and one shared store; their log lines. */
async function twoInstances (t: Test, fallback: ReplayFallback) {
  const issuer = await createLocalIssuer()
  const memory = memoryStore()
  const logs: Array<{ level: number, msg: string }> = []
  const stream = { write: (line: string) => { logs.push(JSON.parse(line)) } }
  const make = async () => {
    const app = Fastify({ logger: { level: 'warn', stream } })
    await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, store: memory.store, storeReplayFallback: fallback })
    app.get('/user', { onRequest: app.authenticate }, async () => 'ok')
    return app
  }
  const a = await make()
  const b = await make()
  t.teardown(async () => { await a.close(); await b.close(); await issuer.close() })
  const key = await proofKey()
  const token = await issuer.sign({ cnf: { jkt: key.jkt } })
  const headers = async () => ({ authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: 'http://localhost/user', ath: ath(token) }) })
  return { a, b, memory, logs, headers }
}

t.test('on the wire: a proof used on one instance is refused on another sharing the store', async (t) => {
  const { a, b, headers } = await twoInstances(t, 'local')
  const sent = await headers()
  t.equal((await a.inject({ url: '/user', headers: sent })).statusCode, 200)
  const res = await b.inject({ url: '/user', headers: sent })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], `Bearer, DPoP error="invalid_dpop_proof", error_description="The DPoP proof was already used", algs="${ALGS}"`)
})

t.test("on the wire, fallback 'local' and the store down: the proof is accepted once per instance, with one warning", async (t) => {
  const { a, b, memory, logs, headers } = await twoInstances(t, 'local')
  memory.state.up = false
  const sent = await headers()
  t.equal((await a.inject({ url: '/user', headers: sent })).statusCode, 200)
  t.equal((await a.inject({ url: '/user', headers: sent })).statusCode, 401, 'replayed to the same instance')
  t.equal((await b.inject({ url: '/user', headers: sent })).statusCode, 200, 'replayed to another instance: not detected during the outage')
  const warnings = logs.filter((line) => line.level === 40)
  t.same(warnings.map((line) => line.msg), [
    "fastify-oauth-guard: the shared store is unavailable; introspection and userinfo answers come from the provider and this instance's cache, DPoP replay checks are local to each instance until it answers again (probed every 1000 ms)",
    "fastify-oauth-guard: the shared store is unavailable; introspection and userinfo answers come from the provider and this instance's cache, DPoP replay checks are local to each instance until it answers again (probed every 1000 ms)"
  ], 'one per instance')
})

t.test("on the wire, fallback 'refuse' and the store down: 503 with Retry-After and a fixed body", async (t) => {
  const { a, memory, logs, headers } = await twoInstances(t, 'refuse')
  memory.state.up = false
  const res = await a.inject({ url: '/user', headers: await headers() })
  t.equal(res.statusCode, 503)
  t.equal(res.headers['retry-after'], '5')
  t.equal(res.headers['www-authenticate'], undefined, 'no challenge: the credentials are not at fault')
  t.same(res.json(), { statusCode: 503, code: 'OAUTH_GUARD_STORE_UNAVAILABLE', error: 'Service Unavailable', message: 'A shared store the API depends on is unavailable, retry later' })
  t.match(logs.find((line) => line.level === 40)?.msg, /DPoP proofs are refused \(503\)/)
})
