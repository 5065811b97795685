// The cache of verified JWTs: keyed by the token's tail, a hit confirmed by the whole token; and,
// on the wire, what turning it off changes. The store's own rules are in cache-store.test.ts.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import type { AuthContext } from '../../lib/token/auth-context.js'
import { DEFAULT_CACHE_MAX_AGE, DEFAULT_CACHE_MAX_BYTES, DEFAULT_CACHE_MAX_ENTRIES, KEY_LENGTH, TokenCache, type TokenCacheOptions } from '../../lib/token/token-cache.js'
import type { OAuthGuardOptions } from '../../lib/types.js'
import { freezeClock } from '../fixtures/oauth-endpoints.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const OPTIONS: TokenCacheOptions = { maxEntries: 100, maxBytes: 1024 * 1024, maxAge: 60_000 }
const EXPIRED = 'Bearer error="invalid_token", error_description="The access token expired or is not yet valid"' + DPOP_OFFER
const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER

/** A context for `token`, expiring at `exp` (epoch milliseconds), named `id`. */
const auth = (token: string, id: string, exp = Date.now() + 60_000) => ({ token, id, expiresAt: new Date(exp) }) as unknown as AuthContext

t.test('defaults: 10,000 entries, 64 MiB, 10 minutes', async (t) => {
  t.equal(DEFAULT_CACHE_MAX_ENTRIES, 10_000)
  t.equal(DEFAULT_CACHE_MAX_BYTES, 64 * 1024 * 1024)
  t.equal(DEFAULT_CACHE_MAX_AGE, 600_000)
})

t.test('an entry is served until the token expires, and for maxAge at most', async (t) => {
  const clock = freezeClock(t)
  const cache = new TokenCache(OPTIONS)
  cache.set(auth('short', 'a', Date.now() + 5_000))
  cache.set(auth('long', 'b', Date.now() + 3_600_000))
  clock.ms = 4_999
  t.equal(cache.entry('short')?.value.id, 'a')
  clock.ms = 5_000
  t.equal(cache.entry('short'), undefined, 'not served at exp')
  clock.ms = 59_999
  t.equal(cache.entry('long')?.value.id, 'b')
  clock.ms = 60_000
  t.equal(cache.entry('long'), undefined, 'not served past maxAge')
})

t.test('when full, a token is cached on its second validation', async (t) => {
  const cache = new TokenCache({ ...OPTIONS, maxEntries: 1 })
  cache.set(auth('a', 'a'))
  cache.set(auth('b', 'b'))
  t.equal(cache.entry('b'), undefined)
  cache.set(auth('b', 'b'))
  t.equal(cache.entry('b')?.value.id, 'b')
  t.equal(cache.entry('a'), undefined)
})

t.test('tokens sharing their last characters (the store key) are never answered for one another', async (t) => {
  const cache = new TokenCache(OPTIONS)
  const tail = 's'.repeat(KEY_LENGTH)
  cache.set(auth(`header.payloadA.${tail}`, 'A'))
  t.equal(cache.entry(`header.payloadB.${tail}`), undefined, 'same key, another token: a miss')
  cache.delete(`header.payloadB.${tail}`)
  t.equal(cache.entry(`header.payloadA.${tail}`)?.value.id, 'A', 'deleting another token leaves it')
  cache.set(auth(`header.payloadB.${tail}`, 'B'))
  t.equal(cache.entry(`header.payloadB.${tail}`)?.value.id, 'B')
  t.equal(cache.entry(`header.payloadA.${tail}`), undefined, 'replaced, never confused')
  t.equal(cache.store.size, 1)
  t.equal(cache.entry(tail.slice(1)), undefined, 'a token shorter than the key length is its own key')
  cache.set(auth('short', 'S'))
  t.equal(cache.entry('short')?.value.id, 'S')
  cache.delete('short')
  t.equal(cache.entry('short'), undefined)
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
