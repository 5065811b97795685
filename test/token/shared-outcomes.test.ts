// Cached outcomes in the shared level (real redis-server): userinfo responses shared between two
// clients, what is written (never the token), what is read back, and deadlines carried across.
import t from 'tap'
import { redisStore } from '../../lib/store/redis-store.js'
import type { AuthContext } from '../../lib/token/auth-context.js'
import type { Outcome } from '../../lib/token/introspection-cache.js'
import { OutcomeCache } from '../../lib/token/introspection-cache.js'
import { SharedOutcomes } from '../../lib/token/shared-outcomes.js'
import { SharedLevel } from '../../lib/token/shared-store.js'
import { DEFAULT_USERINFO_MAX_ENTRIES, UserinfoClient } from '../../lib/token/userinfo.js'
import { startEndpoints } from '../fixtures/oauth-endpoints.js'
import { startRedis } from '../fixtures/redis-server.js'

const redis = await startRedis(t)
const silent = { warn: () => {}, info: () => {} }
// A connected client and a generous timeout: these tests are about what is shared, not about a slow Redis.
const level = async () => new SharedLevel(redisStore(await redis.readyClient(), { prefix: 'outcomes:' }), { timeout: 2000, log: silent, fallback: '' })
const codec = { encode: (value: string) => value, decode: (value: unknown): Outcome<string> | undefined => typeof value === 'string' ? { active: true, value, until: Infinity, bytes: 10 } : undefined }
const OPTIONS = { maxTTL: 60_000, negativeTTL: 5_000, maxEntries: 100, maxBytes: 1 << 20 }

t.test('userinfo fetched by one instance is served to another from the shared store', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/userinfo', { body: { sub: 'u1', name: 'Ada' } })
  const client = async () => new UserinfoClient({ endpoint: async () => `${endpoints.origin}/userinfo`, ttl: 60_000, maxEntries: DEFAULT_USERINFO_MAX_ENTRIES, timeout: 1000, retryAfter: 5000, realm: 'api', shared: await level() })
  const auth: AuthContext = { id: 'u1', clientId: null, scopes: ['openid'], permissions: [], token: 'token-userinfo-abcdefghijkl', claims: { iss: 'https://idp.example', sub: 'u1' }, expiresAt: new Date(Date.now() + 60_000), method: 'jwt' }
  t.same(await (await client()).get(auth), { sub: 'u1', name: 'Ada' })
  t.same(await (await client()).get(auth), { sub: 'u1', name: 'Ada' })
  t.equal(endpoints.calls('/userinfo'), 1)
  const stored = (await redis.dump()).filter(([key]) => key.startsWith('outcomes:userinfo:'))
  t.equal(stored.length, 1)
  t.notOk(stored[0][1]?.includes(auth.token))
})

t.test('an outcome whose text contains the token is never written to the shared store', async (t) => {
  const cache = new OutcomeCache<string>(OPTIONS, new SharedOutcomes(await level(), 'leak:', codec))
  const token = 'raw-token-echoed-by-a-provider'
  await cache.load('k-leak', async () => ({ active: true, value: `jti=${token}`, until: Infinity, bytes: 10 }), token)
  t.match(cache.get('k-leak'), { active: true, value: `jti=${token}` }, 'kept locally')
  t.same((await redis.dump()).filter(([key]) => key.includes('leak:')), [])
})

t.test('a shared answer is copied locally with the deadline its writer gave it', async (t) => {
  const shared = new SharedOutcomes(await level(), 'deadline:', codec)
  const writer = new OutcomeCache<string>({ ...OPTIONS, maxTTL: 2_000 }, shared)
  const reader = new OutcomeCache<string>(OPTIONS, shared)
  await writer.load('k', async () => ({ active: true, value: 'v', until: Infinity, bytes: 10 }))
  const written = writer.get('k') as { until: number }
  let loads = 0
  await reader.load('k', async () => { loads++; return { active: false, reason: 'invalid' } })
  t.equal(loads, 0)
  t.equal((reader.get('k') as { until: number }).until, written.until, "the writer's deadline, not the reader's maxTTL")
})

t.test('a refusal is shared for negativeTTL, and a delete reaches the shared store', async (t) => {
  const shared = new SharedOutcomes(await level(), 'negative:', codec)
  const a = new OutcomeCache<string>(OPTIONS, shared)
  const b = new OutcomeCache<string>(OPTIONS, shared)
  await a.load('k', async () => ({ active: false, reason: 'expired' }))
  t.same(await b.load('k', async () => ({ active: true, value: 'no', until: Infinity, bytes: 1 })), { active: false, reason: 'expired' })
  await a.delete('k')
  t.equal(await shared.get('k'), undefined)
})

t.test('an entry that cannot be read back is a miss', async (t) => {
  const client = redis.client()
  const shared = new SharedOutcomes(await level(), 'garbage:', codec)
  await client.set('outcomes:garbage:not-json', '{', 'PX', 10_000)
  await client.set('outcomes:garbage:past', JSON.stringify({ u: Date.now() - 1, v: 'old' }), 'PX', 10_000)
  await client.set('outcomes:garbage:shape', JSON.stringify({ u: Date.now() + 10_000, v: 42 }), 'PX', 10_000)
  t.equal(await shared.get('not-json'), undefined)
  t.equal(await shared.get('past'), undefined)
  t.equal(await shared.get('shape'), undefined)
})

t.test('a stored answer this instance decodes as a refusal is that refusal until the writer\'s deadline', async (t) => {
  const stale = { encode: (value: string) => value, decode: (): Outcome<string> => ({ active: false, reason: 'expired' }) }
  const shared = new SharedOutcomes(await level(), 'decoded:', stale)
  const until = Date.now() + 10_000
  await redis.client().set('outcomes:decoded:k', JSON.stringify({ u: until, v: 'claims that expired since' }), 'PX', 10_000)
  t.same(await shared.get('k'), { outcome: { active: false, reason: 'expired' }, until })
})

t.test('a shared answer lives no longer than its own deadline nor its writer\'s, whichever is first', async (t) => {
  const soon = Date.now() + 5_000
  const own = { encode: (value: string) => value, decode: (value: unknown): Outcome<string> => ({ active: true, value: String(value), until: soon, bytes: 1 }) }
  const shared = new SharedOutcomes(await level(), 'min:', own)
  await redis.client().set('outcomes:min:k', JSON.stringify({ u: soon + 5_000, v: 'v' }), 'PX', 10_000)
  t.equal((await shared.get('k'))?.until, soon, 'its own, earlier')
  await redis.client().set('outcomes:min:k2', JSON.stringify({ u: soon - 1_000, v: 'v' }), 'PX', 10_000)
  t.equal((await shared.get('k2'))?.until, soon - 1_000, "the writer's, earlier")
})

t.test('nothing is written for an outcome with no life left or no finite deadline', async (t) => {
  const shared = new SharedOutcomes(await level(), 'lifeless:', codec)
  await shared.set('past', { active: false, reason: 'invalid' }, Date.now() - 1, undefined)
  await shared.set('now', { active: false, reason: 'invalid' }, Date.now(), undefined)
  await shared.set('endless', { active: true, value: 'v', until: Infinity, bytes: 1 }, Infinity, undefined)
  await shared.set('nan', { active: true, value: 'v', until: Infinity, bytes: 1 }, Number.NaN, undefined)
  await shared.set('live', { active: false, reason: 'invalid' }, Date.now() + 10_000, '')
  t.same((await redis.dump()).filter(([key]) => key.startsWith('outcomes:lifeless:')).map(([key]) => key), ['outcomes:lifeless:live'], 'an empty secret is no reason to skip')
})

t.test('a stored text that is JSON but not an entry is a miss', async (t) => {
  const client = redis.client()
  const shared = new SharedOutcomes(await level(), 'shapes:', codec)
  for (const [name, text] of [['null', 'null'], ['number', '5'], ['string', '"v"'], ['no-deadline', '{"v":"v"}'], ['text-deadline', `{"u":"${Date.now() + 10_000}","v":"v"}`], ['other-reason', `{"u":${Date.now() + 10_000},"r":"revoked"}`]]) {
    await client.set(`outcomes:shapes:${name}`, text, 'PX', 10_000)
    t.equal(await shared.get(name), undefined, name)
  }
})
