// The Redis store's rare paths against a real redis-server: the prefix (default, empty, custom),
// values read back as written, the client checks, and a lost connection failing at once.
import { once } from 'node:events'
import { Redis } from 'ioredis'
import t from 'tap'
import { InvalidOptionsError } from '../../lib/errors.js'
import { DEFAULT_REDIS_PREFIX, redisStore, type RedisClientLike } from '../../lib/store/redis-store.js'
import { startRedis } from '../fixtures/redis-server.js'

const redis = await startRedis(t)
const raw = await redis.readyClient()

t.test('the default prefix is oauth-guard:, and keys are written under it only', async (t) => {
  t.equal(DEFAULT_REDIS_PREFIX, 'oauth-guard:')
  const store = redisStore(raw)
  await store.set('default-prefix', 'v', 10_000)
  t.equal(await raw.get('oauth-guard:default-prefix'), 'v')
  t.equal(await raw.exists('default-prefix'), 0)
})

t.test('an empty prefix writes keys exactly as given; a custom one is prepended to each command', async (t) => {
  const bare = redisStore(raw, { prefix: '' })
  await bare.set('bare-key', 'v', 10_000)
  t.equal(await raw.get('bare-key'), 'v')
  const custom = redisStore(raw, { prefix: 'orders-api:' })
  t.equal(await custom.add('jti:x', '1', 10_000), true)
  t.equal(await raw.get('orders-api:jti:x'), '1')
  await custom.delete('jti:x')
  t.equal(await raw.exists('orders-api:jti:x'), 0)
})

t.test('values are read back exactly as written (JSON with non-ASCII text)', async (t) => {
  const store = redisStore(raw, { prefix: 'values:' })
  const value = JSON.stringify({ u: 1_700_000_000_000, v: { name: 'Zoë 東京 🚀', scopes: ['a b', 'c"d'] } })
  await store.set('k', value, 10_000)
  t.equal(await store.get('k'), value)
  t.equal(await store.get('absent'), null)
})

t.test('add on a key that exists (even written by set) is false and keeps its value and time to live', async (t) => {
  const store = redisStore(raw, { prefix: 'nx:' })
  await store.set('k', 'first', 60_000)
  t.equal(await store.add('k', 'second', 1000), false)
  t.equal(await store.get('k'), 'first')
  t.ok(await raw.pttl('nx:k') > 59_000)
})

t.test('an entry expires after its time to live', async (t) => {
  const store = redisStore(raw, { prefix: 'ttl:' })
  t.equal(await store.add('k', '1', 1), true)
  // Redis expires it within a millisecond; PTTL -2 says the key is gone, without a sleep of ours.
  while (await raw.pttl('ttl:k') !== -2) await raw.ping()
  t.equal(await store.get('k'), null)
  t.equal(await store.add('k', '1', 1000), true, 'free again')
})

t.test('a client whose connection ended fails each call at once, naming its status, without sending it', async (t) => {
  const client = await redis.readyClient()
  const store = redisStore(client, { prefix: 'ended:' })
  const ended = once(client, 'end')
  client.disconnect()
  await ended
  t.equal(client.status, 'end')
  await t.rejects(store.get('k'), new Error('The Redis connection is end'))
  await t.rejects(store.set('k', 'v', 1000), new Error('The Redis connection is end'))
  await t.rejects(store.add('k', '1', 1000), new Error('The Redis connection is end'))
  await t.rejects(store.delete('k'), new Error('The Redis connection is end'))
  t.equal(await raw.exists('ended:k'), 0)
})

t.test('a client reconnecting or closed fails at once too; other states send the command', async (t) => {
  const sent: string[] = []
  for (const status of ['reconnecting', 'close', 'ready', 'connect', 'wait']) {
    const client: RedisClientLike = {
      status,
      get: async (key) => { sent.push(`${status} ${key}`); return null },
      set: async () => 'OK',
      del: async () => 1
    }
    const result = await redisStore(client).get('k').then(() => 'sent', (err: Error) => err.message)
    t.equal(result, ['reconnecting', 'close'].includes(status) ? `The Redis connection is ${status}` : 'sent', status)
  }
  t.same(sent, ['ready oauth-guard:k', 'connect oauth-guard:k', 'wait oauth-guard:k'])
})

t.test('a client still making its first connection is sent the command, answered once connected', async (t) => {
  const client = new Redis({ host: '127.0.0.1', port: redis.port })
  t.teardown(() => client.disconnect())
  t.not(client.status, 'ready')
  const store = redisStore(client, { prefix: 'early:' })
  await store.set('k', 'v', 10_000)
  t.equal(await store.get('k'), 'v')
})

t.test('a client without a status (not ioredis) is always sent the command', async (t) => {
  const client: RedisClientLike = {
    get: async (key) => await raw.get(key),
    set: async (...args: [string, string, 'PX', number]) => await raw.set(...args),
    del: async (key) => await raw.del(key)
  }
  const store = redisStore(client, { prefix: 'plain:' })
  await store.set('k', 'v', 10_000)
  t.equal(await store.get('k'), 'v')
})

t.test('redisStore names each unusable argument: null, a client missing a command, a prefix that is not a string, together', async (t) => {
  t.throws(() => redisStore(null as never), new InvalidOptionsError(['redisStore client: expected an ioredis client (get, set and del), received null']))
  t.throws(() => redisStore('redis://localhost' as never), new InvalidOptionsError(['redisStore client: expected an ioredis client (get, set and del), received string']))
  const noDel = { get: async () => null, set: async () => 'OK' }
  const err = t.throws(() => redisStore(noDel as never, { prefix: null as never })) as InvalidOptionsError
  t.same(err.problems, [
    'redisStore client: expected an ioredis client (get, set and del), received object',
    'redisStore options.prefix: expected a string, received null'
  ])
  t.equal(err.code, 'OAUTH_GUARD_INVALID_OPTIONS')
  t.throws(() => redisStore(raw, null as never), new InvalidOptionsError(['redisStore options: expected an object, received null']))
  t.throws(() => redisStore(raw, 'app:' as never), new InvalidOptionsError(['redisStore options: expected an object, received string']))
})
