/**
 * The provider fails: down at boot or later, slow, hanging, 5xx, invalid JSON, a discovery
 * document naming another issuer, a redirect to another host. A token that cannot be checked is
 * answered 503 with Retry-After, never accepted and never called invalid; keys already held keep
 * working; the app recovers by itself.
 */
import { createServer } from 'node:http'
import t from 'tap'
import { assertUnavailable, faultLogs, faultyApp, pause } from '../fixtures/faulty-app.js'
import { checkNoSecretsLogged } from '../fixtures/log-capture.js'
import { WRONG_ISSUER } from '../fixtures/faulty-provider.js'

t.test('down at boot: the app starts, answers 503, and recovers once the provider is back', async (t) => {
  const target = await faultyApp(t, { jwks: { cooldown: 50 } })
  await target.provider.setFault('down')
  const token = await target.token()
  assertUnavailable(t, target, await target.send(token))
  await target.provider.setFault('none')
  await pause(80)
  t.equal((await target.send(token)).statusCode, 200)
})

t.test('down at boot: the 503 carries the configured retryAfter', async (t) => {
  const target = await faultyApp(t, { retryAfter: 42_000 })
  await target.provider.setFault('down')
  assertUnavailable(t, target, await target.send(await target.token()), '42')
})

t.test('down after boot: keys already fetched keep working, past their max age too', async (t) => {
  const target = await faultyApp(t, { jwks: { maxAge: 20 } })
  t.equal((await target.send(await target.token())).statusCode, 200)
  await target.provider.setFault('down')
  await pause(40)
  const response = await target.send(await target.token({ jti: 'fresh-after-outage' }))
  t.equal(response.statusCode, 200, 'a token never seen before is verified with the held keys')
  t.equal(target.handled.count, 1)
  t.equal((await target.send(await target.token({ jti: 'second-after-outage' }))).statusCode, 200, 'and without a new attempt inside the backoff')
})

t.test('down after boot: a token under an unknown kid gets 503, not 401 (it may be a rotation)', async (t) => {
  const target = await faultyApp(t, { jwks: { maxAge: 20 } })
  t.equal((await target.send(await target.token())).statusCode, 200)
  await target.provider.setFault('down')
  await pause(40)
  t.equal((await target.send(await target.token({ jti: 'refresh-fails' }))).statusCode, 200, 'the failed refresh leaves the held keys')
  await target.provider.inner.rotateKey('ES256')
  assertUnavailable(t, target, await target.send(await target.token()))
})

t.test('slow: a provider slower than the timeout gets 503, bounded by the timeout option', async (t) => {
  const target = await faultyApp(t, { timeout: 100 })
  target.provider.slowMs = 2000
  target.provider.fault = 'slow'
  assertUnavailable(t, target, await target.send(await target.token()))
})

t.test('slow: a provider within the timeout is waited for', async (t) => {
  const target = await faultyApp(t, { timeout: 2000 })
  target.provider.slowMs = 50
  target.provider.fault = 'slow'
  t.equal((await target.send(await target.token())).statusCode, 200)
})

t.test('hang: a provider that never answers gets 503 after the timeout', async (t) => {
  const target = await faultyApp(t, { timeout: 100 })
  target.provider.fault = 'hang'
  assertUnavailable(t, target, await target.send(await target.token()))
})

t.test('hang after boot: held keys still answer, after at most one timeout', async (t) => {
  const target = await faultyApp(t, { timeout: 100, jwks: { maxAge: 20 } })
  t.equal((await target.send(await target.token())).statusCode, 200)
  target.provider.fault = 'hang'
  await pause(40)
  t.equal((await target.send(await target.token({ jti: 'during-hang' }))).statusCode, 200)
})

t.test('5xx: a provider answering 500 gets 503', async (t) => {
  const target = await faultyApp(t)
  target.provider.fault = 'status-500'
  assertUnavailable(t, target, await target.send(await target.token()))
})

t.test('invalid JSON: a truncated document gets 503', async (t) => {
  const target = await faultyApp(t)
  target.provider.fault = 'invalid-json'
  assertUnavailable(t, target, await target.send(await target.token()))
  t.notOk(faultLogs.lines.some((line) => line.includes('{\\"issuer\\":\\"http')), 'the broken body is not logged')
})

t.test('discovery naming another issuer: one startup warning with both issuers, then 503 with one log line, never the keys it points to', async (t) => {
  const before = faultLogs.lines.length
  const target = await faultyApp(t, {}, false, 'wrong-issuer')
  const mismatch = `issuer mismatch: discovery returned issuer "${WRONG_ISSUER}", expected exactly "${target.provider.issuer}"`
  const startup = faultLogs.lines.slice(before).map((line) => JSON.parse(line)).filter((entry) => entry.level >= 40)
  t.match(startup, [{ level: 40, reason: mismatch, msg: /^fastify-oauth-guard: discovery at startup failed \(issuer mismatch: .+\); requests that need the identity provider get 503 until it answers$/ }])
  const sent = faultLogs.lines.length
  assertUnavailable(t, target, await target.send(await target.token()))
  t.equal(target.hits().jwks, 0, 'no JWKS fetched from a mismatched document')
  const request = faultLogs.lines.slice(sent).map((line) => JSON.parse(line)).filter((entry) => entry.level >= 40)
  t.match(request, [{ level: 50, err: { code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', detail: mismatch } }], 'one line for the failing request, naming both issuers')
})

t.test('a redirect to another host is not followed: 503, and that host sees nothing', async (t) => {
  const target = await faultyApp(t)
  const port = Number(new URL(target.provider.issuer).port)
  let elsewhere = 0
  const other = createServer((_request, response) => {
    elsewhere++
    response.end('{}')
  })
  await new Promise<void>((resolve, reject) => other.once('error', reject).listen(port, '127.0.0.2', () => resolve()))
  t.teardown(() => new Promise<void>((resolve) => other.close(() => resolve())))
  target.provider.fault = 'redirect'
  assertUnavailable(t, target, await target.send(await target.token()))
  t.equal(elsewhere, 0)
})

t.test('an outage never turns a valid token into 401 nor a forged one into 200', async (t) => {
  const target = await faultyApp(t)
  await target.provider.setFault('down')
  const forged = `${(await target.token()).slice(0, -8)}AAAAAAAA`
  assertUnavailable(t, target, await target.send(forged))
})

checkNoSecretsLogged(t, faultLogs)
