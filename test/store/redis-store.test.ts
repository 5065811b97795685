// The Redis store and the shared level against a real redis-server: the exact commands, the
// atomic add, the replay check across instances, and what an unavailable Redis does.
import { once } from 'node:events'
import type { Redis } from 'ioredis'
import t from 'tap'
import { InvalidOptionsError, StoreUnavailableError } from '../../lib/errors.js'
import { DEFAULT_REDIS_PREFIX, redisStore } from '../../lib/store/redis-store.js'
import type { ReplayStore } from '../../lib/token/replay-store.js'
import { SharedReplayStore, type ReplayFallback } from '../../lib/token/shared-replay-store.js'
import { SharedLevel, type StoreLogger } from '../../lib/token/shared-store.js'
import { startRedis } from '../fixtures/redis-server.js'

const redis = await startRedis(t)

/** A logger that keeps what it was told. */
function recorder () {
  const lines: Array<{ level: 'warn' | 'info', message: string }> = []
  const log: StoreLogger = {
    warn: (_details, message) => { lines.push({ level: 'warn', message }) },
    info: (_details, message) => { lines.push({ level: 'info', message }) }
  }
  return { lines, log }
}

/** A local replay store of one instance. */
function localReplay (): ReplayStore {
  const seen = new Set<string>()
  return { firstUse: (key) => !seen.has(key) && seen.add(key) !== undefined }
}

/** One instance's store; a connected client and a timeout generous for a loaded test machine, unless told. */
async function instance (fallback: ReplayFallback = 'local', given?: Redis, timeout = 1000) {
  const client = given ?? await redis.readyClient()
  const { lines, log } = recorder()
  const shared = new SharedLevel(redisStore(client, { prefix: 'test:' }), { timeout, log, fallback: 'test fallback' })
  return { shared, lines, client, replay: new SharedReplayStore({ local: localReplay(), shared, fallback, retryAfter: 5000 }) }
}

t.test('values are written with their time to live in the same SET command, under the prefix', async (t) => {
  const client = redis.client()
  const monitor = await client.monitor()
  t.teardown(() => monitor.disconnect())
  const commands: string[][] = []
  // The monitor hears commands on its own connection: wait until it has heard the last one.
  const synced = new Promise<void>((resolve) => monitor.on('monitor', (_time: string, args: string[]) => {
    commands.push(args)
    if (args[1] === 'cmd:sync') resolve()
  }))
  const store = redisStore(await redis.readyClient(), { prefix: 'cmd:' })
  await store.set('k1', 'v1', 1500)
  t.equal(await store.add('k2', '1', 2500), true)
  t.equal(await store.add('k2', '1', 2500), false, 'already there')
  t.equal(await store.get('k1'), 'v1')
  await store.delete('k1')
  t.equal(await store.get('k1'), null)
  await store.get('sync')
  await synced
  t.same(commands.filter((args) => args[0].toLowerCase() !== 'info'), [
    ['set', 'cmd:k1', 'v1', 'PX', '1500'],
    ['set', 'cmd:k2', '1', 'PX', '2500', 'NX'],
    ['set', 'cmd:k2', '1', 'PX', '2500', 'NX'],
    ['get', 'cmd:k1'],
    ['del', 'cmd:k1'],
    ['get', 'cmd:k1'],
    ['get', 'cmd:sync']
  ])
})

t.test('an entry carries its time to live in Redis (PTTL)', async (t) => {
  const client = redis.client()
  const store = redisStore(client)
  await store.set('short', 'v', 60_000)
  const ttl = await client.pttl(`${DEFAULT_REDIS_PREFIX}short`)
  t.ok(ttl > 59_000 && ttl <= 60_000, `PTTL ${ttl}`)
})

t.test('a jti used through one instance is refused through another', async (t) => {
  const a = await instance()
  const b = await instance()
  const until = Date.now() + 60_000
  t.equal(await a.replay.firstUse('jti-digest-1', until), true, 'first use on A')
  t.equal(await b.replay.firstUse('jti-digest-1', until), false, 'replayed to B')
  t.equal(await a.replay.firstUse('jti-digest-1', until), false, 'replayed to A: caught locally')
  t.equal(await b.replay.firstUse('jti-digest-2', until), true, 'another jti')
})

t.test('two concurrent first uses of one jti on two instances: exactly one wins', async (t) => {
  const a = await instance()
  const b = await instance()
  const until = Date.now() + 60_000
  const results = await Promise.all([a.replay.firstUse('jti-race', until), b.replay.firstUse('jti-race', until)])
  t.same(results.sort(), [false, true])
})

t.test('Redis down: the replay check falls back to the local one, with one warning per outage', async (t) => {
  const client = await redis.readyClient()
  const a = await instance('local', client)
  const until = Date.now() + 60_000
  client.disconnect()
  t.equal(await a.replay.firstUse('jti-down-1', until), true, 'accepted on the local check')
  t.equal(await a.replay.firstUse('jti-down-1', until), false, 'a replay to this instance is still refused')
  t.equal(await a.replay.firstUse('jti-down-2', until), true)
  t.same(a.lines.map((line) => line.level), ['warn'], 'warned once')
  t.match(a.lines[0].message, /shared store is unavailable; test fallback/)
  client.connect().catch(() => {})
  await once(client, 'ready')
  t.equal(a.shared.down, true)
  // The next probe is due STORE_RETRY_INTERVAL after the failure.
  let added: boolean | undefined
  const deadline = Date.now() + 3000
  while ((added = await a.shared.add('probe', '1', 1000)) === undefined && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100))
  t.equal(added, true, 'recovered without a restart')
  t.same(a.lines.map((line) => line.level), ['warn', 'info'], 'recovery logged once')
})

t.test("Redis down with storeReplayFallback 'refuse': 503 with Retry-After", async (t) => {
  const client = await redis.readyClient()
  const a = await instance('refuse', client)
  client.disconnect()
  const err = await a.replay.firstUse('jti-refused', Date.now() + 60_000).catch((err: unknown) => err)
  t.ok(err instanceof StoreUnavailableError)
  t.match(err, { statusCode: 503, code: 'OAUTH_GUARD_STORE_UNAVAILABLE', headers: { 'retry-after': '5' } })
})

t.test('a stalled Redis costs each call at most the timeout', async (t) => {
  const a = await instance('local', undefined, 100)
  await a.shared.set('before', 'v', 10_000)
  redis.stall()
  t.teardown(() => redis.resume())
  const started = Date.now()
  t.equal(await a.shared.get('before'), undefined, 'no answer')
  t.ok(Date.now() - started < 500, `${Date.now() - started} ms`)
  const skipped = Date.now()
  t.equal(await a.shared.get('before'), undefined, 'skipped while the outage is open')
  t.ok(Date.now() - skipped < 20, 'without waiting')
  redis.resume()
  t.same(a.lines.map((line) => line.level), ['warn'])
})

t.test('redisStore refuses what is not an ioredis client, and a prefix that is not a string', async (t) => {
  t.throws(() => redisStore({} as never), new InvalidOptionsError(['redisStore client: expected an ioredis client (get, set and del), received object']))
  const err = t.throws(() => redisStore(redis.client(), { prefix: 1 as never })) as InvalidOptionsError
  t.same(err.problems, ['redisStore options.prefix: expected a string, received number'])
})
