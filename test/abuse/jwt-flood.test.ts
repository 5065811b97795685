/**
 * A flood of distinct bad tokens against local JWT validation, with fixed counts: the provider sees
 * a bounded number of requests, the heap stays bounded, and no request gets a 5xx. Sent over real
 * HTTP: see test/fixtures/flood.ts for why not `inject()`.
 */
import t from 'tap'
import { encodeJWT } from '../../lib/testing/index.js'
import { faultyApp } from '../fixtures/faulty-app.js'
import { flood, listenURL, liveHeap, randomText } from '../fixtures/flood.js'

const FLOOD = 20_000
/** Most JWKS requests the flood may cause: the first fetch, and one refetch per cooldown (30 s). */
const MAX_JWKS_HITS = 2
/** Most heap growth allowed across the flood, in bytes. */
const MAX_HEAP_GROWTH = 16 * 1024 * 1024

t.test(`${FLOOD} distinct bad tokens (garbage, forged kids, forged signatures): all 401, at most ${MAX_JWKS_HITS} JWKS requests, heap under ${MAX_HEAP_GROWTH / 1048576} MiB`, async (t) => {
  const target = await faultyApp(t, {}, true)
  const url = await listenURL(target.app, '/private')
  const valid = await target.token()
  const [realHeader, realPayload] = valid.split('.')
  const claims = { iss: target.provider.issuer, aud: target.provider.inner.audience, sub: 'admin', exp: Math.floor(Date.now() / 1000) + 600 }
  const kinds = [
    () => randomText(40 + Math.floor(Math.random() * 400)),
    (i: number) => encodeJWT({ alg: 'ES256', kid: `forged-${i}-${randomText(8)}` }, claims, randomText(86)),
    () => `${realHeader}.${realPayload}.${randomText(86)}`
  ]
  t.equal((await flood(url, 1, () => `Bearer ${valid}`))[200], 1, 'warm-up: keys fetched once')
  const before = liveHeap()
  const statuses = await flood(url, FLOOD, (i) => `Bearer ${kinds[i % kinds.length](i)}`)
  const growth = liveHeap() - before
  t.same(statuses, { 401: FLOOD }, 'every one refused, none a 5xx')
  t.ok(target.hits().jwks <= MAX_JWKS_HITS, `JWKS fetched ${target.hits().jwks} times`)
  t.equal(target.hits().discovery, 1, 'discovery fetched once')
  t.ok(growth < MAX_HEAP_GROWTH, `heap grew by ${(growth / 1048576).toFixed(1)} MiB`)
})
