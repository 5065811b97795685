/**
 * Floods while the provider is down or hanging, and a flood of valid tokens against the token
 * cache's bound: fixed counts, bounded requests to the provider, bounded heap, no 500.
 */
import t from 'tap'
import { encodeJWT } from '../../lib/testing/index.js'
import { JWKS_FAILURE_BACKOFF } from '../../lib/token/jwks-cache.js'
import { faultyApp, type FaultyApp } from '../fixtures/faulty-app.js'
import { flood, listenURL, liveHeap, randomText } from '../fixtures/flood.js'

const COUNT = 3000
/** Most heap growth allowed across a flood, in bytes. */
const MAX_HEAP_GROWTH = 16 * 1024 * 1024

const forged = (target: FaultyApp) => {
  const claims = { iss: target.provider.issuer, aud: target.provider.inner.audience, sub: 'admin', exp: Math.floor(Date.now() / 1000) + 600 }
  return (i: number) => `Bearer ${encodeJWT({ alg: 'ES256', kid: `k${i}` }, claims, randomText(86))}`
}

t.test(`${COUNT} forged tokens while the provider is down: all 503, none a 500`, async (t) => {
  const target = await faultyApp(t, {}, true)
  await target.provider.setFault('down')
  t.same(await flood(await listenURL(target.app, '/private'), COUNT, forged(target)), { 503: COUNT })
})

t.test(`${COUNT} forged tokens while the provider answers 500: all 503, the provider asked once per backoff`, async (t) => {
  const target = await faultyApp(t, {}, true)
  target.provider.fault = 'status-500'
  // Counted from the flood on: the discovery attempted at startup (onReady) is not the flood's.
  const earlier = target.hits().discovery + target.hits().jwks
  const started = Date.now()
  const statuses = await flood(await listenURL(target.app, '/private'), COUNT, forged(target))
  t.same(statuses, { 503: COUNT })
  const asked = target.hits().discovery + target.hits().jwks - earlier
  // One attempt, then at most one per backoff for as long as the flood lasts.
  const bound = 1 + Math.ceil((Date.now() - started) / JWKS_FAILURE_BACKOFF)
  t.ok(asked <= bound, `the failing provider was asked ${asked} times (bound ${bound})`)
})

t.test(`${COUNT} forged tokens while the provider hangs: all 503, at most one request reaches it per backoff`, async (t) => {
  const target = await faultyApp(t, { timeout: 100 }, true)
  target.provider.fault = 'hang'
  const earlier = target.hits().discovery + target.hits().jwks
  const started = Date.now()
  const statuses = await flood(await listenURL(target.app, '/private'), COUNT, forged(target))
  t.same(statuses, { 503: COUNT })
  const asked = target.hits().discovery + target.hits().jwks - earlier
  const bound = 1 + Math.ceil((Date.now() - started) / (JWKS_FAILURE_BACKOFF + 100))
  t.ok(asked <= bound, `the hanging provider was asked ${asked} times (bound ${bound})`)
})

t.test(`${COUNT} distinct valid tokens fill the token cache only up to its bound`, async (t) => {
  const target = await faultyApp(t, { cache: { maxEntries: 500 } }, true)
  const tokens = await Promise.all(Array.from({ length: COUNT }, async (_, i) => await target.provider.sign({ jti: `t${i}` })))
  const url = await listenURL(target.app, '/private')
  const before = liveHeap()
  const statuses = await flood(url, COUNT, (i) => `Bearer ${tokens[i]}`)
  const growth = liveHeap() - before
  t.same(statuses, { 200: COUNT })
  t.equal(target.hits().jwks, 1)
  t.ok(growth < MAX_HEAP_GROWTH, `heap grew by ${(growth / 1048576).toFixed(1)} MiB`)
})
