import { createHash } from 'node:crypto'
import t from 'tap'
import { OutcomeCache, tokenKey, type Outcome, type OutcomeCacheOptions } from '../../lib/token/introspection-cache.js'
import { freezeClock } from '../fixtures/oauth-endpoints.js'

const OPTIONS: OutcomeCacheOptions = { maxTTL: 60_000, negativeTTL: 5_000, maxEntries: 100, maxBytes: 1024 * 1024 }

const active = (value: string, until = Infinity, bytes = 100): Outcome<string> => ({ active: true, value, until, bytes })
const inactive: Outcome<string> = { active: false, reason: 'invalid' }

/** A load that counts its calls. */
function counted (outcome: Outcome<string>) {
  const calls = { count: 0 }
  return { calls, load: async () => { calls.count++; return outcome } }
}

t.test('tokenKey is the SHA-256 of the token, base64url, and never contains it', async (t) => {
  const token = 'opaque-token-abcdefghijklmnop'
  t.equal(tokenKey(token), createHash('sha256').update(token).digest('base64url'))
  t.equal(tokenKey(token).length, 43)
  t.notOk(tokenKey(token).includes(token))
  t.not(tokenKey(token), tokenKey(`${token}x`))
})

t.test('a positive outcome is served from the cache until maxTTL', async (t) => {
  const clock = freezeClock(t)
  const cache = new OutcomeCache<string>(OPTIONS)
  const { calls, load } = counted(active('ctx'))
  t.same(await cache.load('k', load), active('ctx'))
  t.same(cache.get('k'), active('ctx', Date.now() + 60_000), 'stored until maxTTL')
  t.match(await cache.load('k', load), { active: true, value: 'ctx' })
  t.equal(calls.count, 1)
  clock.ms += 60_000
  t.equal(cache.get('k'), undefined)
  await cache.load('k', load)
  t.equal(calls.count, 2)
})

t.test("a positive outcome is never served past its own deadline (the token's exp)", async (t) => {
  const clock = freezeClock(t)
  const cache = new OutcomeCache<string>(OPTIONS)
  const { calls, load } = counted(active('ctx', Date.now() + 2_000))
  await cache.load('k', load)
  clock.ms += 1_999
  t.match(cache.get('k'), { active: true })
  clock.ms += 1
  t.equal(cache.get('k'), undefined)
  t.equal(calls.count, 1)
})

t.test('maxTTL 0 caches no positive outcome', async (t) => {
  const cache = new OutcomeCache<string>({ ...OPTIONS, maxTTL: 0 })
  const { calls, load } = counted(active('ctx'))
  await cache.load('k', load)
  await cache.load('k', load)
  t.equal(calls.count, 2)
  t.equal(cache.size, 0)
})

t.test('a negative outcome is remembered for negativeTTL only', async (t) => {
  const clock = freezeClock(t)
  const cache = new OutcomeCache<string>(OPTIONS)
  const { calls, load } = counted(inactive)
  t.same(await cache.load('bad', load), inactive)
  t.same(await cache.load('bad', load), inactive)
  t.equal(calls.count, 1)
  clock.ms += 5_000
  await cache.load('bad', load)
  t.equal(calls.count, 2)
})

t.test('negativeTTL 0 remembers no refusal', async (t) => {
  const cache = new OutcomeCache<string>({ ...OPTIONS, negativeTTL: 0 })
  const { calls, load } = counted({ active: false, reason: 'expired' })
  await cache.load('bad', load)
  await cache.load('bad', load)
  t.equal(calls.count, 2)
  t.equal(cache.negativeSize, 0)
})

t.test('concurrent loads of one key share one call and its result', async (t) => {
  const cache = new OutcomeCache<string>(OPTIONS)
  let finish: (outcome: Outcome<string>) => void = () => {}
  let calls = 0
  const load = async () => {
    calls++
    return await new Promise<Outcome<string>>((resolve) => { finish = resolve })
  }
  const all = Promise.all(Array.from({ length: 20 }, async () => await cache.load('k', load)))
  t.equal(cache.pending, 1)
  finish(active('shared'))
  const results = await all
  t.equal(calls, 1)
  t.ok(results.every((r) => r.active && r.value === 'shared'))
  t.equal(cache.pending, 0)
})

t.test('a failed load is shared by its waiters and not cached', async (t) => {
  const cache = new OutcomeCache<string>(OPTIONS)
  let calls = 0
  const failing = async (): Promise<Outcome<string>> => {
    calls++
    throw new Error('provider down')
  }
  const results = await Promise.allSettled([cache.load('k', failing), cache.load('k', failing)])
  t.same(results.map((r) => r.status), ['rejected', 'rejected'])
  t.equal(calls, 1)
  t.equal(cache.size + cache.negativeSize + cache.pending, 0)
  t.match(await cache.load('k', async () => active('back')), { active: true, value: 'back' })
})

t.test('positive entries are bounded by count, oldest first', async (t) => {
  const cache = new OutcomeCache<string>({ ...OPTIONS, maxEntries: 3 })
  for (const key of ['a', 'b', 'c', 'd']) await cache.load(key, async () => active(key))
  t.equal(cache.size, 3)
  t.equal(cache.get('a'), undefined)
  t.match(cache.get('d'), { value: 'd' })
})

t.test('positive entries are bounded by estimated bytes; an oversized one is not kept', async (t) => {
  const cache = new OutcomeCache<string>({ ...OPTIONS, maxBytes: 1000 })
  for (const key of ['a', 'b', 'c']) await cache.load(key, async () => active(key, Infinity, 400))
  t.equal(cache.size, 2)
  t.equal(cache.bytes, 800)
  await cache.load('huge', async () => active('huge', Infinity, 1001))
  t.equal(cache.get('huge'), undefined)
  t.equal(cache.size, 2)
})

t.test('a flood of refused keys never evicts positive entries', async (t) => {
  const cache = new OutcomeCache<string>({ ...OPTIONS, maxEntries: 10 })
  await cache.load('good', async () => active('good'))
  for (let i = 0; i < 1000; i++) await cache.load(`bad-${i}`, async () => inactive)
  t.match(cache.get('good'), { active: true, value: 'good' })
  t.equal(cache.negativeSize, 10)
})

t.test('a positive answer replaces a remembered refusal; delete and clear forget', async (t) => {
  const cache = new OutcomeCache<string>(OPTIONS)
  await cache.load('k', async () => inactive)
  cache.delete('k')
  await cache.load('k', async () => active('now valid'))
  t.match(cache.get('k'), { active: true })
  t.equal(cache.negativeSize, 0)
  await cache.load('k', async () => active('again'))
  t.equal(cache.bytes, 100, 'a replaced entry does not count twice')
  cache.delete('k')
  t.equal(cache.get('k'), undefined)
  t.equal(cache.bytes, 0)
  await cache.load('k', async () => active('back'))
  cache.clear()
  t.equal(cache.get('k'), undefined)
  t.equal(cache.bytes, 0)
})

t.test('an outcome already past its deadline is not stored', async (t) => {
  const cache = new OutcomeCache<string>(OPTIONS)
  await cache.load('k', async () => active('stale', Date.now() - 1))
  t.equal(cache.size, 0)
})

t.test('a positive entry handed out (connection memo) is no longer held once the cache lets it go', async (t) => {
  const cache = new OutcomeCache<string>({ ...OPTIONS, maxEntries: 1 })
  await cache.load('a', async () => active('A'))
  const deleted = cache.entry('a')!
  t.equal(deleted.value, 'A')
  t.ok(cache.holds(deleted))
  cache.delete('a')
  t.notOk(cache.holds(deleted), 'deleted')
  t.equal(cache.entry('a'), undefined)

  await cache.load('b', async () => active('B'))
  const evicted = cache.entry('b')!
  await cache.load('c', async () => active('C'))
  t.notOk(cache.holds(evicted), 'evicted')
  const cleared = cache.entry('c')!
  cache.clear()
  t.notOk(cache.holds(cleared), 'cleared')

  const clock = freezeClock(t)
  await cache.load('d', async () => active('D', Date.now() + 50))
  const expiring = cache.entry('d')!
  clock.ms += 50
  t.notOk(cache.holds(expiring), 'expired')
  t.equal(cache.entry('d'), undefined)
})
