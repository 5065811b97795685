// The cache primitive (LocalStore): never past a deadline or maxAge, bounded by entries and
// bytes, oldest out first, a doorkeeper when asked, explicit invalidation that whoever holds an
// entry can observe through holds().
import t from 'tap'
import { LocalStore, type LocalStoreOptions } from '../../lib/token/cache-store.js'
import { freezeClock } from '../fixtures/oauth-endpoints.js'

const OPTIONS: LocalStoreOptions = { maxEntries: 100, maxBytes: 1024 * 1024, maxAge: 60_000, admitOnSecondOffer: true }

/** Stores with the token cache's estimate: 3 bytes per character plus 256. */
function put<T> (cache: LocalStore<T>, key: string, value: T, expiresAt: number) {
  return cache.set(key, value, expiresAt, key.length * 3 + 256)
}

t.test('an entry is served until the token expires, never at or after exp', async (t) => {
  const clock = freezeClock(t)
  const cache = new LocalStore<string>(OPTIONS)
  put(cache, 'token', 'auth', Date.now() + 5_000)
  clock.ms = 4_999
  t.equal(cache.get('token')?.value, 'auth')
  clock.ms = 5_000
  t.equal(cache.get('token')?.value, undefined, 'not served at exp')
  t.equal(cache.size, 0, 'the dead entry was dropped')
  t.equal(cache.bytes, 0)
})

t.test('an entry is served for maxAge at most, even when the token lives longer', async (t) => {
  const clock = freezeClock(t)
  const cache = new LocalStore<string>(OPTIONS)
  put(cache, 'token', 'auth', Date.now() + 3_600_000)
  clock.ms = 59_999
  t.equal(cache.get('token')?.value, 'auth')
  clock.ms = 60_000
  t.equal(cache.get('token')?.value, undefined)
})

t.test('a token already expired is not stored', async (t) => {
  freezeClock(t)
  const cache = new LocalStore<string>(OPTIONS)
  put(cache, 'past', 'auth', Date.now() - 1)
  put(cache, 'now', 'auth', Date.now())
  t.equal(cache.size, 0)
  t.equal(cache.get('past')?.value, undefined)
})

t.test('entries are bounded by count; when full, a token is admitted on its second validation and the oldest goes', async (t) => {
  const cache = new LocalStore<number>({ ...OPTIONS, maxEntries: 3 })
  const exp = Date.now() + 60_000
  for (let i = 0; i < 3; i++) put(cache, `t${i}`, i, exp)
  put(cache, 't3', 3, exp)
  t.equal(cache.get('t3')?.value, undefined, 'full: not admitted the first time')
  t.equal(cache.size, 3)
  put(cache, 't3', 3, exp)
  t.equal(cache.get('t3')?.value, 3, 'admitted the second time')
  t.equal(cache.size, 3)
  t.same(['t0', 't1', 't2'].map((k) => cache.get(k)?.value), [undefined, 1, 2], 'the oldest went')
})

t.test('when full, a flood of tokens seen once evicts nothing', async (t) => {
  const cache = new LocalStore<number>({ ...OPTIONS, maxEntries: 10 })
  const exp = Date.now() + 60_000
  for (let i = 0; i < 10; i++) put(cache, `kept${i}`, i, exp)
  for (let i = 0; i < 5000; i++) put(cache, `once${i}`, i, exp)
  t.same(Array.from({ length: 10 }, (_, i) => cache.get(`kept${i}`)?.value), Array.from({ length: 10 }, (_, i) => i))
  t.equal(cache.size, 10)
})

t.test('dead entries at the head do not make the cache full', async (t) => {
  const clock = freezeClock(t)
  const cache = new LocalStore<string>({ ...OPTIONS, maxEntries: 2 })
  put(cache, 'a', 'a', Date.now() + 1000)
  put(cache, 'b', 'b', Date.now() + 60_000)
  clock.ms = 1000
  put(cache, 'c', 'c', Date.now() + 60_000)
  t.same([cache.get('a')?.value, cache.get('b')?.value, cache.get('c')?.value], [undefined, 'b', 'c'], 'c admitted at once in place of the expired a')
})

t.test('entries are bounded by estimated bytes (3 per character + 256); an oversized one is not kept', async (t) => {
  const cache = new LocalStore<number>({ ...OPTIONS, maxBytes: 2048 })
  const exp = Date.now() + 60_000
  const token = (i: number) => `${i}`.padStart(200, 'x')
  for (let i = 0; i < 10; i++) {
    put(cache, token(i), i, exp)
    put(cache, token(i), i, exp)
    t.ok(cache.bytes <= 2048, `bytes within the budget after ${i + 1} tokens`)
  }
  t.equal(cache.size, 2, 'two entries of 856 bytes fit in 2048')
  t.equal(cache.get(token(9))?.value, 9)
  t.equal(cache.get(token(7))?.value, undefined)
  put(cache, 'y'.repeat(700), 99, exp)
  t.equal(cache.get('y'.repeat(700))?.value, undefined, '2356 bytes > 2048: never stored')
  t.equal(cache.get(token(9))?.value, 9, 'and nothing was evicted for it')
})

t.test('replacing, deleting and clearing keep the accounting and the eviction order right', async (t) => {
  const cache = new LocalStore<string>({ ...OPTIONS, maxEntries: 2 })
  const exp = Date.now() + 60_000
  put(cache, 'a', 'a1', exp)
  put(cache, 'b', 'b1', exp)
  put(cache, 'a', 'a2', exp)
  t.equal(cache.size, 2)
  t.equal(cache.bytes, 2 * (3 + 256))
  put(cache, 'c', 'c1', exp)
  put(cache, 'c', 'c1', exp)
  t.same([cache.get('a')?.value, cache.get('b')?.value, cache.get('c')?.value], ['a2', undefined, 'c1'], 'b, now the oldest, went first')
  cache.delete('a')
  t.equal(cache.get('a')?.value, undefined)
  t.equal(cache.size, 1)
  cache.clear()
  t.equal(cache.size, 0)
  t.equal(cache.bytes, 0)
  put(cache, 'd', 'd1', exp)
  t.equal(cache.get('d')?.value, 'd1', 'usable after clear')
})

t.test('a long churn of inserts, replacements, expiries and deletes stays bounded and FIFO', async (t) => {
  const clock = freezeClock(t)
  const cache = new LocalStore<number>({ ...OPTIONS, maxEntries: 50 })
  for (let i = 0; i < 20_000; i++) {
    clock.ms = i
    put(cache, `t${i}`, i, Date.now() + (i % 3 === 0 ? 1 : 60_000))
    if (i % 2 === 0) put(cache, `t${i}`, i, Date.now() + (i % 3 === 0 ? 1 : 60_000))
    if (i % 5 === 0) put(cache, `t${i - 1}`, i, Date.now() + 60_000)
    if (i % 7 === 0) cache.delete(`t${i - 2}`)
    cache.get(`t${i - 1}`)
    if (cache.size > 50) t.fail(`size ${cache.size} after ${i} operations`)
  }
  t.ok(cache.size <= 50)
  t.equal(cache.get('t19996')?.value, 19996, 'a recent entry validated twice is there')
  t.equal(cache.get('t19000')?.value, undefined, 'old ones are gone')
  let expected = 0
  for (let i = 0; i < 20_000; i++) if (cache.get(`t${i}`)?.value !== undefined) expected += `t${i}`.length * 3 + 256
  t.equal(cache.bytes, expected, 'bytes match the entries still held')
})

t.test('without admitOnSecondOffer, a full store admits a new key at once and evicts the oldest', async (t) => {
  const cache = new LocalStore<number>({ ...OPTIONS, maxEntries: 2, admitOnSecondOffer: false })
  const exp = Date.now() + 60_000
  for (const [i, key] of ['a', 'b', 'c'].entries()) put(cache, key, i, exp)
  t.same(['a', 'b', 'c'].map((k) => cache.get(k)?.value), [undefined, 1, 2])
})

t.test('an entry handed out is never changed; holds() says whether the store still serves it', async (t) => {
  const clock = freezeClock(t)
  const cache = new LocalStore<string>({ ...OPTIONS, maxEntries: 1, admitOnSecondOffer: false })
  const deleted = put(cache, 'a', 'A', Date.now() + 60_000)!
  t.ok(cache.holds(deleted))
  cache.delete('a')
  t.notOk(cache.holds(deleted), 'deleted')
  t.equal(deleted.value, 'A', 'the entry itself is unchanged')
  const replaced = put(cache, 'b', 'B1', Date.now() + 60_000)!
  put(cache, 'b', 'B2', Date.now() + 60_000)
  t.notOk(cache.holds(replaced), 'replaced')
  const evicted = cache.get('b')!
  put(cache, 'c', 'C', Date.now() + 60_000)
  t.notOk(cache.holds(evicted), 'evicted')
  const cleared = cache.get('c')!
  cache.clear()
  t.notOk(cache.holds(cleared), 'cleared')
  const expiring = put(cache, 'd', 'D', Date.now() + 1_000)!
  clock.ms = 999
  t.ok(cache.holds(expiring))
  clock.ms = 1_000
  t.notOk(cache.holds(expiring), 'never at or past its deadline')
})

t.test('maxAge 0 stores nothing', async (t) => {
  const cache = new LocalStore<string>({ ...OPTIONS, maxAge: 0 })
  t.equal(put(cache, 'a', 'A', Infinity), undefined)
  t.equal(cache.size, 0)
})
