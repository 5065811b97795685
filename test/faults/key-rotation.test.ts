/**
 * The provider's keys change: a JWKS without the token's key, a new key picked up without a
 * restart, and a removed key that stops working within `jwks.maxAge` (plus `cache.maxAge` for a
 * token already accepted), as docs/security.md states.
 */
import t from 'tap'
import { faultLogs, faultyApp, pause } from '../fixtures/faulty-app.js'
import { checkNoSecretsLogged } from '../fixtures/log-capture.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER

t.test('a JWKS missing the token\'s key: 401 invalid_token, not 503', async (t) => {
  const target = await faultyApp(t)
  target.provider.fault = 'empty-jwks'
  const response = await target.send(await target.token())
  t.equal(response.statusCode, 401)
  t.equal(response.headers['www-authenticate'], INVALID)
  t.equal(response.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
  t.equal(target.handled.count, 0)
})

t.test('rotation: a token under a new kid is accepted without restart once the cooldown has passed', async (t) => {
  const target = await faultyApp(t, { jwks: { cooldown: 50 } })
  t.equal((await target.send(await target.token())).statusCode, 200)
  await target.provider.inner.rotateKey('ES256')
  await pause(70)
  t.equal((await target.send(await target.token())).statusCode, 200)
  t.equal(target.hits().jwks, 2, 'one refetch for the new kid')
})

t.test('rotation within the cooldown: the new kid is refused until the cooldown ends, then accepted', async (t) => {
  const target = await faultyApp(t, { jwks: { cooldown: 1000 } })
  t.equal((await target.send(await target.token())).statusCode, 200)
  await target.provider.inner.rotateKey('ES256')
  const early = await target.send(await target.token())
  t.equal(early.statusCode, 401)
  t.equal(target.hits().jwks, 1, 'no refetch inside the cooldown')
  await pause(1050)
  t.equal((await target.send(await target.token())).statusCode, 200)
})

t.test('the old key keeps working while both are published', async (t) => {
  const target = await faultyApp(t, { jwks: { cooldown: 50 } })
  const oldKid = target.provider.inner.keyPair().kid
  const old = await target.token({ jti: 'old' })
  await target.provider.inner.rotateKey('ES256')
  await pause(70)
  t.equal((await target.send(await target.token())).statusCode, 200)
  t.equal((await target.send(old)).statusCode, 200)
  t.ok(target.provider.inner.jwks().keys.some((key) => key.kid === oldKid))
})

t.test('removal: a new token signed by a removed key is refused once jwks.maxAge has passed', async (t) => {
  const target = await faultyApp(t, { jwks: { maxAge: 50, cooldown: 50 } })
  const oldKid = target.provider.inner.keyPair().kid
  t.equal((await target.send(await target.token())).statusCode, 200)
  const late = await target.token({ jti: 'signed-before-removal' })
  await target.provider.inner.rotateKey('ES256')
  target.provider.inner.removeKey(oldKid)
  await pause(70)
  const response = await target.send(late)
  t.equal(response.statusCode, 401)
  t.equal(response.headers['www-authenticate'], INVALID)
  t.equal(target.handled.count, 0)
})

t.test('removal: a token accepted before stays accepted until cache.maxAge, then is refused', async (t) => {
  const target = await faultyApp(t, { jwks: { maxAge: 50, cooldown: 50 }, cache: { maxAge: 600 } })
  const oldKid = target.provider.inner.keyPair().kid
  const token = await target.token()
  t.equal((await target.send(token)).statusCode, 200)
  await target.provider.inner.rotateKey('ES256')
  target.provider.inner.removeKey(oldKid)
  await pause(70)
  t.equal((await target.send(token)).statusCode, 200, 'still served from the token cache')
  await pause(600)
  t.equal((await target.send(token)).statusCode, 401, 'refused once the cache entry is older than cache.maxAge')
})

t.test('removal with the cache off: refused as soon as jwks.maxAge has passed', async (t) => {
  const target = await faultyApp(t, { jwks: { maxAge: 50, cooldown: 50 }, cache: false })
  const oldKid = target.provider.inner.keyPair().kid
  const token = await target.token()
  t.equal((await target.send(token)).statusCode, 200)
  await target.provider.inner.rotateKey('ES256')
  target.provider.inner.removeKey(oldKid)
  await pause(70)
  t.equal((await target.send(token)).statusCode, 401)
})

checkNoSecretsLogged(t, faultLogs)
