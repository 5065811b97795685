// Tokens a real provider will not produce, each refused on the wire with 401 invalid_token
// before the handler runs. The full attack matrix lives in test/attacks/.
import { createHmac, generateKeyPairSync } from 'node:crypto'
import { exportSPKI, importPKCS8 } from 'jose'
import t, { type Test } from 'tap'
import { encodeJWT } from '../../lib/testing/index.js'
import { guardedApp, type GuardedApp } from '../fixtures/guarded-app.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const INVALID = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER
const EXPIRED = 'Bearer error="invalid_token", error_description="The access token expired or is not yet valid"' + DPOP_OFFER
const now = () => Math.floor(Date.now() / 1000)

async function expectRefused (t: Test, { app, handled }: GuardedApp, token: string, challenge = INVALID) {
  const before = handled.count
  const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], challenge)
  t.equal(res.json().code, challenge === INVALID ? 'OAUTH_GUARD_INVALID_TOKEN' : 'OAUTH_GUARD_TOKEN_EXPIRED')
  t.equal(handled.count, before, 'the handler never ran')
}

t.test('alg none is refused', async (t) => {
  const { app, issuer, handled } = await guardedApp(t)
  const claims = { iss: issuer.issuer, aud: issuer.audience, sub: 'x', exp: now() + 60 }
  for (const alg of ['none', 'None', 'NONE']) {
    const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${encodeJWT({ alg, typ: 'at+jwt' }, claims)}` } })
    t.equal(res.statusCode, 401, alg)
    t.equal(res.headers['www-authenticate'], INVALID)
  }
  t.equal(handled.count, 0)
})

t.test('HS256 signed with the provider public key is refused', async (t) => {
  const { app, issuer, handled } = await guardedApp(t)
  const { publicKey, kid } = issuer.keyPair()
  const pem = await exportSPKI(publicKey)
  const header = { alg: 'HS256', typ: 'at+jwt', kid }
  const payload = { iss: issuer.issuer, aud: issuer.audience, sub: 'x', exp: now() + 60 }
  const input = encodeJWT(header, payload).slice(0, -1)
  const signature = createHmac('sha256', pem).update(input).digest('base64url')
  const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${input}.${signature}` } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID)
  t.equal(handled.count, 0)
})

t.test('a token naming an unknown kid is refused', async (t) => {
  const ctx = await guardedApp(t)
  const { issuer } = ctx
  const token = await issuer.sign({}, { kid: 'unknown-kid' })
  await expectRefused(t, ctx, token)
})

t.test('a token signed by a key embedded in its own jwk or jku header is refused', async (t) => {
  const { app, issuer, handled } = await guardedApp(t)
  const attacker = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const key = await importPKCS8(attacker.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'RS256')
  const jwk = attacker.publicKey.export({ format: 'jwk' })
  for (const header of [{ jwk }, { jku: `${issuer.issuer}/evil-jwks` }, { x5u: 'https://evil.example/cert' }]) {
    const token = await issuer.sign({}, { key, header })
    const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } })
    t.equal(res.statusCode, 401, Object.keys(header)[0])
    t.equal(res.headers['www-authenticate'], INVALID)
  }
  t.equal(handled.count, 0)
})

t.test('an expired token is refused as expired', async (t) => {
  const ctx = await guardedApp(t)
  const { issuer } = ctx
  await expectRefused(t, ctx, await issuer.sign({ exp: now() - 60 }), EXPIRED)
})

t.test('a token not valid before a future nbf is refused', async (t) => {
  const ctx = await guardedApp(t)
  const { issuer } = ctx
  await expectRefused(t, ctx, await issuer.sign({ nbf: now() + 120 }), EXPIRED)
})

t.test('clock tolerance accepts a token just past exp', async (t) => {
  const { app, issuer } = await guardedApp(t, { clockTolerance: 30_000 })
  const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign({ exp: now() - 10 })}` } })
  t.equal(res.statusCode, 200)
})

t.test('a token without exp is refused', async (t) => {
  const ctx = await guardedApp(t)
  const { issuer } = ctx
  await expectRefused(t, ctx, await issuer.sign({ exp: undefined }))
})

t.test('a token from another issuer is refused', async (t) => {
  const ctx = await guardedApp(t)
  const { issuer } = ctx
  await expectRefused(t, ctx, await issuer.sign({ iss: 'https://other.example.com' }))
  await expectRefused(t, ctx, await issuer.sign({ iss: `${issuer.issuer}/` }), INVALID)
})

t.test('a token for another audience is refused; any listed audience is accepted', async (t) => {
  const ctx = await guardedApp(t)
  const { issuer } = ctx
  await expectRefused(t, ctx, await issuer.sign({ aud: 'https://other-api.example.com' }))
  await expectRefused(t, ctx, await issuer.sign({ aud: undefined }))
  const { app, issuer: issuer2 } = await guardedApp(t, { audience: ['a', 'b'] })
  const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer2.sign({ aud: ['x', 'b'] })}` } })
  t.equal(res.statusCode, 200)
})

t.test('an ID token offered as an access token is refused (its audience is the client)', async (t) => {
  const ctx = await guardedApp(t)
  const { issuer } = ctx
  const idToken = await issuer.sign({ aud: 'swagger-ui', nonce: 'n', auth_time: now(), at_hash: 'x' }, { header: { typ: 'JWT' } })
  await expectRefused(t, ctx, idToken)
})

t.test('typ: at+jwt, JWT or none are accepted by default; others never', async (t) => {
  const { app, issuer } = await guardedApp(t)
  for (const typ of ['at+jwt', 'application/at+JWT', 'JWT', undefined]) {
    const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign({}, { header: { typ } })}` } })
    t.equal(res.statusCode, 200, String(typ))
  }
  for (const typ of ['logout+jwt', 'dpop+jwt', 'JOSE']) {
    const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign({}, { header: { typ } })}` } })
    t.equal(res.statusCode, 401, typ)
  }
})

t.test('requireAccessTokenType accepts only at+jwt (RFC 9068)', async (t) => {
  const { app, issuer } = await guardedApp(t, { requireAccessTokenType: true })
  const ok = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign()}` } })
  t.equal(ok.statusCode, 200)
  for (const typ of ['JWT', undefined]) {
    const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign({}, { header: { typ } })}` } })
    t.equal(res.statusCode, 401, String(typ))
  }
})

t.test('an algorithm outside the allow-list is refused', async (t) => {
  const { app, issuer } = await guardedApp(t, { algorithms: ['ES256'] })
  const rs = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign({}, { alg: 'RS256' })}` } })
  t.equal(rs.statusCode, 401)
  const es = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign({}, { alg: 'ES256' })}` } })
  t.equal(es.statusCode, 200)
})

t.test('sub missing or not a string is refused', async (t) => {
  const ctx = await guardedApp(t)
  const { issuer } = ctx
  await expectRefused(t, ctx, await issuer.sign({ sub: undefined }))
  await expectRefused(t, ctx, await issuer.sign({ sub: 42 }))
})

t.test('a JWE (five parts) is refused', async (t) => {
  await expectRefused(t, await guardedApp(t), 'eyJhbGciOiJSU0EtT0FFUCIsImVuYyI6IkEyNTZHQ00ifQ.a.b.c.d')
})
