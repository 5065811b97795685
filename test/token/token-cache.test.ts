// The cache of verified JWTs: never past exp or maxAge, bounded by entries and bytes, oldest out
// first; and, on the wire, what turning it off changes.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { DEFAULT_CACHE_MAX_AGE, DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES, KEY_LENGTH, TokenCache, type TokenCacheOptions } from '../../lib/token/token-cache.js'
import type { OAuthGuardOptions } from '../../lib/types.js'
import { freezeClock } from '../fixtures/oauth-endpoints.js'

const OPTIONS: TokenCacheOptions = { maxEntries: 100, maxBytes: 1024 * 1024, maxAge: 60_000 }
const EXPIRED = 'Bearer error="invalid_token", error_description="The access token expired or is not yet valid"'
const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid"'

t.test('defaults: 10,000 entries, 64 MiB, 10 minutes', async (t) => {
  t.equal(DEFAULT_CACHE_MAX_ENTRIES, 10_000)
  t.equal(DEFAULT_CACHE_MAX_BYTES, 64 * 1024 * 1024)
  t.equal(DEFAULT_CACHE_MAX_AGE, 600_000)
})

t.test('an entry is served until the token expires, never at or after exp', async (t) => {
  const clock = freezeClock(t)
  const cache = new TokenCache<string>(OPTIONS)
  cache.set('token', 'auth', Date.now() + 5_000)
  clock.ms = 4_999
  t.equal(cache.get('token'), 'auth')
  clock.ms = 5_000
  t.equal(cache.get('token'), undefined, 'not served at exp')
  t.equal(cache.size, 0, 'the dead entry was dropped')
  t.equal(cache.bytes, 0)
})

t.test('an entry is served for maxAge at most, even when the token lives longer', async (t) => {
  const clock = freezeClock(t)
  const cache = new TokenCache<string>(OPTIONS)
  cache.set('token', 'auth', Date.now() + 3_600_000)
  clock.ms = 59_999
  t.equal(cache.get('token'), 'auth')
  clock.ms = 60_000
  t.equal(cache.get('token'), undefined)
})

t.test('a token already expired is not stored', async (t) => {
  freezeClock(t)
  const cache = new TokenCache<string>(OPTIONS)
  cache.set('past', 'auth', Date.now() - 1)
  cache.set('now', 'auth', Date.now())
  t.equal(cache.size, 0)
  t.equal(cache.get('past'), undefined)
})

t.test('entries are bounded by count; when full, a token is admitted on its second validation and the oldest goes', async (t) => {
  const cache = new TokenCache<number>({ ...OPTIONS, maxEntries: 3 })
  const exp = Date.now() + 60_000
  for (let i = 0; i < 3; i++) cache.set(`t${i}`, i, exp)
  cache.set('t3', 3, exp)
  t.equal(cache.get('t3'), undefined, 'full: not admitted the first time')
  t.equal(cache.size, 3)
  cache.set('t3', 3, exp)
  t.equal(cache.get('t3'), 3, 'admitted the second time')
  t.equal(cache.size, 3)
  t.same(['t0', 't1', 't2'].map((k) => cache.get(k)), [undefined, 1, 2], 'the oldest went')
})

t.test('when full, a flood of tokens seen once evicts nothing', async (t) => {
  const cache = new TokenCache<number>({ ...OPTIONS, maxEntries: 10 })
  const exp = Date.now() + 60_000
  for (let i = 0; i < 10; i++) cache.set(`kept${i}`, i, exp)
  for (let i = 0; i < 5000; i++) cache.set(`once${i}`, i, exp)
  t.same(Array.from({ length: 10 }, (_, i) => cache.get(`kept${i}`)), Array.from({ length: 10 }, (_, i) => i))
  t.equal(cache.size, 10)
})

t.test('dead entries at the head do not make the cache full', async (t) => {
  const clock = freezeClock(t)
  const cache = new TokenCache<string>({ ...OPTIONS, maxEntries: 2 })
  cache.set('a', 'a', Date.now() + 1000)
  cache.set('b', 'b', Date.now() + 60_000)
  clock.ms = 1000
  cache.set('c', 'c', Date.now() + 60_000)
  t.same([cache.get('a'), cache.get('b'), cache.get('c')], [undefined, 'b', 'c'], 'c admitted at once in place of the expired a')
})

t.test('entries are bounded by estimated bytes (3 per character + 256); an oversized one is not kept', async (t) => {
  const cache = new TokenCache<number>({ ...OPTIONS, maxBytes: 2048 })
  const exp = Date.now() + 60_000
  const token = (i: number) => `${i}`.padStart(200, 'x')
  for (let i = 0; i < 10; i++) {
    cache.set(token(i), i, exp)
    cache.set(token(i), i, exp)
    t.ok(cache.bytes <= 2048, `bytes within the budget after ${i + 1} tokens`)
  }
  t.equal(cache.size, 2, 'two entries of 856 bytes fit in 2048')
  t.equal(cache.get(token(9)), 9)
  t.equal(cache.get(token(7)), undefined)
  cache.set('y'.repeat(700), 99, exp)
  t.equal(cache.get('y'.repeat(700)), undefined, '2356 bytes > 2048: never stored')
  t.equal(cache.get(token(9)), 9, 'and nothing was evicted for it')
})

t.test('replacing, deleting and clearing keep the accounting and the eviction order right', async (t) => {
  const cache = new TokenCache<string>({ ...OPTIONS, maxEntries: 2 })
  const exp = Date.now() + 60_000
  cache.set('a', 'a1', exp)
  cache.set('b', 'b1', exp)
  cache.set('a', 'a2', exp)
  t.equal(cache.size, 2)
  t.equal(cache.bytes, 2 * (3 + 256))
  cache.set('c', 'c1', exp)
  cache.set('c', 'c1', exp)
  t.same([cache.get('a'), cache.get('b'), cache.get('c')], ['a2', undefined, 'c1'], 'b, now the oldest, went first')
  cache.delete('a')
  t.equal(cache.get('a'), undefined)
  t.equal(cache.size, 1)
  cache.clear()
  t.equal(cache.size, 0)
  t.equal(cache.bytes, 0)
  cache.set('d', 'd1', exp)
  t.equal(cache.get('d'), 'd1', 'usable after clear')
})

t.test('tokens sharing their last characters (the map key) are never answered for one another', async (t) => {
  const cache = new TokenCache<string>(OPTIONS)
  const exp = Date.now() + 60_000
  const tail = 's'.repeat(KEY_LENGTH)
  cache.set(`header.payloadA.${tail}`, 'A', exp)
  t.equal(cache.get(`header.payloadB.${tail}`), undefined, 'same key, another token: a miss')
  cache.delete(`header.payloadB.${tail}`)
  t.equal(cache.get(`header.payloadA.${tail}`), 'A', 'deleting another token leaves it')
  cache.set(`header.payloadB.${tail}`, 'B', exp)
  t.equal(cache.get(`header.payloadB.${tail}`), 'B')
  t.equal(cache.get(`header.payloadA.${tail}`), undefined, 'replaced, never confused')
  t.equal(cache.size, 1)
  t.equal(cache.get(tail.slice(1)), undefined, 'a token shorter than the key length is its own key')
  cache.set('short', 'S', exp)
  t.equal(cache.get('short'), 'S')
})

t.test('a long churn of inserts, replacements, expiries and deletes stays bounded and FIFO', async (t) => {
  const clock = freezeClock(t)
  const cache = new TokenCache<number>({ ...OPTIONS, maxEntries: 50 })
  for (let i = 0; i < 20_000; i++) {
    clock.ms = i
    cache.set(`t${i}`, i, Date.now() + (i % 3 === 0 ? 1 : 60_000))
    if (i % 2 === 0) cache.set(`t${i}`, i, Date.now() + (i % 3 === 0 ? 1 : 60_000))
    if (i % 5 === 0) cache.set(`t${i - 1}`, i, Date.now() + 60_000)
    if (i % 7 === 0) cache.delete(`t${i - 2}`)
    cache.get(`t${i - 1}`)
    if (cache.size > 50) t.fail(`size ${cache.size} after ${i} operations`)
  }
  t.ok(cache.size <= 50)
  t.equal(cache.get('t19996'), 19996, 'a recent entry validated twice is there')
  t.equal(cache.get('t19000'), undefined, 'old ones are gone')
  let expected = 0
  for (let i = 0; i < 20_000; i++) if (cache.get(`t${i}`) !== undefined) expected += `t${i}`.length * 3 + 256
  t.equal(cache.bytes, expected, 'bytes match the entries still held')
})

const tick = async () => await new Promise((resolve) => setTimeout(resolve, 5))

async function app (t: Test, options: Partial<OAuthGuardOptions>) {
  const issuer = await createLocalIssuer()
  const app = Fastify()
  t.teardown(async () => {
    await app.close()
    await issuer.close()
  })
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, ...options })
  app.get('/me', { onRequest: app.authenticate }, async (request) => ({ id: request.auth?.id }))
  const send = async (token: string) => await app.inject({ url: '/me', headers: { authorization: `Bearer ${token}` } })
  return { issuer, send }
}

t.test('on the wire: a cached token is refused once it expires (no stale acceptance)', async (t) => {
  const { issuer, send } = await app(t, { clockTolerance: 0 })
  // Two seconds ahead: the first requests surely run before exp, whatever the current fraction of a second.
  const exp = Math.floor(Date.now() / 1000) + 2
  const token = await issuer.sign({ exp })
  t.equal((await send(token)).statusCode, 200)
  t.equal((await send(token)).statusCode, 200, 'served again, from the cache')
  await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 20))
  const res = await send(token)
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], EXPIRED)
  t.equal(res.json().code, 'OAUTH_GUARD_TOKEN_EXPIRED')
})

t.test('on the wire: a cached token needs no key lookup, so it outlives a removed signing key (for cache.maxAge at most)', async (t) => {
  const { issuer, send } = await app(t, { jwks: { maxAge: 1 } })
  const token = await issuer.sign()
  t.equal((await send(token)).statusCode, 200)
  issuer.removeKey(issuer.keyPair().kid)
  await tick()
  t.equal((await send(token)).statusCode, 200, 'still cached: no key lookup at all')
  const fresh = await issuer.sign()
  const res = await send(fresh)
  t.equal(res.statusCode, 401, 'an uncached token of the removed key is refused')
  t.equal(res.headers['www-authenticate'], INVALID)
})

t.test('on the wire: cache false verifies every request, so a removed key stops working at once', async (t) => {
  const { issuer, send } = await app(t, { cache: false, jwks: { maxAge: 1 } })
  const token = await issuer.sign()
  t.equal((await send(token)).statusCode, 200)
  const fetches = issuer.hits['/jwks']
  await tick()
  t.equal((await send(token)).statusCode, 200)
  t.ok(issuer.hits['/jwks'] > fetches, 'the second request looked the key up again')
  issuer.removeKey(issuer.keyPair().kid)
  await tick()
  const res = await send(token)
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID)
  t.equal(res.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
})
