/**
 * Claims attacks, every token signed by the provider's real key: other issuers and audiences, an
 * ID token offered as an access token, time claims of the wrong type or range, and `sub` and scope
 * claims of the wrong type.
 */
import t from 'tap'
import { assertRefused, attackApp, expiredToken, fileLogs, invalidToken, type Refusal } from '../fixtures/attack-app.js'
import { checkNoSecretsLogged } from '../fixtures/log-capture.js'
import { signRaw } from '../fixtures/raw-jws.js'

const target = await attackApp(t)
const strict = await attackApp(t, { requireAccessTokenType: true })
const { issuer } = target
const rsa = issuer.keyPair()
const now = Math.floor(Date.now() / 1000)
const header = JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: rsa.kid })
/** The valid claims as JSON text, with `extra` text (raw members) appended. */
const rawClaims = (extra: string): string => `{"iss":"${issuer.issuer}","aud":"${issuer.audience}","sub":"user-1"${extra}}`

t.test('control: a token signed by the provider is accepted', async (t) => {
  t.equal((await target.send(await issuer.sign({ scope: 'items:read' }), '/items')).statusCode, 200)
})

const refusedClaims: Array<[string, Record<string, unknown>, Refusal?]> = [
  ['another issuer', { iss: 'https://evil.example' }],
  ['the issuer with a trailing slash', { iss: `${issuer.issuer}/` }],
  ['the issuer in another case', { iss: issuer.issuer.toUpperCase() }],
  ['no issuer', { iss: undefined }],
  ['another audience', { aud: 'https://other-api.example' }],
  ['audiences that do not include ours', { aud: ['https://a.example', 'https://b.example'] }],
  ['an empty audience list', { aud: [] }],
  ['the audience as a number', { aud: 1 }],
  ['no audience', { aud: undefined }],
  ['no exp', { exp: undefined }],
  ['exp as a numeric string', { exp: String(now + 300) }],
  ['exp as null', { exp: null }],
  ['exp as a boolean', { exp: true }],
  ['exp as a list', { exp: [now + 300] }],
  ['exp beyond year 9999', { exp: 1e20 }],
  ['exp in the past', { exp: now - 3600 }, expiredToken],
  ['exp as a float in the past', { exp: now - 3600.5 }, expiredToken],
  ['exp negative', { exp: -1 }, expiredToken],
  ['exp zero', { exp: 0 }, expiredToken],
  ['nbf as a string', { nbf: String(now) }],
  ['nbf in the future', { nbf: now + 3600 }, expiredToken],
  ['nbf as a float in the future', { nbf: now + 3600.5 }, expiredToken],
  ['nbf negative', { nbf: -1 }],
  ['nbf beyond year 9999', { nbf: 1e20 }, expiredToken],
  ['iat as a string', { iat: String(now) }],
  ['iat negative', { iat: -1 }],
  ['iat beyond year 9999', { iat: 1e20 }],
  ['iat a day in the future', { iat: now + 86_400 }],
  ['iat beyond the 5 s clock tolerance', { iat: now + 60 }],
  ['no sub', { sub: undefined }],
  ['sub as a number', { sub: 42 }],
  ['sub as an empty string', { sub: '' }],
  ['sub as null', { sub: null }],
  ['sub as a list', { sub: ['user-1'] }],
  ['sub as an object', { sub: { id: 'user-1' } }],
  ['scope as a number', { scope: 42 }],
  ['scope as a boolean', { scope: true }],
  ['scope as an object', { scope: { 'items:read': true } }],
  ['scope as a list holding a number', { scope: ['items:read', 1] }],
  ['scp as an object', { scp: { 0: 'items:read' } }],
  ['scp as a list holding null', { scp: ['items:read', null] }],
  ['permissions as an object', { permissions: { admin: true } }]
]
for (const [name, claims, expected = invalidToken] of refusedClaims) {
  t.test(`a token with ${name} is refused`, async (t) => {
    assertRefused(t, target, await target.send(await issuer.sign({ scope: 'items:read', ...claims }), '/items'), expected)
  })
}

// Numbers JSON can spell but JavaScript cannot hold, or holds as odd values.
const rawTimes: Array<[string, string, Refusal]> = [
  ['exp overflowing to Infinity', ',"exp":1e999', invalidToken],
  ['exp as -Infinity', ',"exp":-1e999', expiredToken],
  ['exp as a huge integer literal', `,"exp":${'9'.repeat(400)}`, invalidToken],
  ['nbf as -Infinity', `,"exp":${now + 300},"nbf":-1e999`, invalidToken],
  ['iat overflowing to Infinity', `,"exp":${now + 300},"iat":1e999`, invalidToken],
  ['exp as -0 with nbf', ',"exp":-0,"nbf":0', expiredToken]
]
for (const [name, extra, expected] of rawTimes) {
  t.test(`a token with ${name} is refused`, async (t) => {
    assertRefused(t, target, await target.send(signRaw(header, rawClaims(extra), rsa)), expected)
  })
}

t.test('an ID token (aud: the client, typ JWT, nonce) offered as an access token is refused', async (t) => {
  const idToken = await issuer.sign({ aud: 'swagger-ui', nonce: 'n-0S6_WzA2Mj', at_hash: 'HK6E_P6Dh8Y93mRNtsDB1Q', azp: 'swagger-ui', auth_time: now }, { header: { typ: 'JWT' } })
  assertRefused(t, target, await target.send(idToken), invalidToken)
})

t.test('an ID token whose aud is the API itself is refused when requireAccessTokenType is set', async (t) => {
  const idToken = await strict.issuer.sign({ nonce: 'n-0S6_WzA2Mj', auth_time: now }, { header: { typ: 'JWT' } })
  assertRefused(t, strict, await strict.send(idToken), invalidToken)
})

t.test('an ID token without typ is refused when requireAccessTokenType is set', async (t) => {
  const idToken = await strict.issuer.sign({ nonce: 'n-0S6_WzA2Mj' }, { header: { typ: undefined } })
  assertRefused(t, strict, await strict.send(idToken), invalidToken)
})

t.test('a token with an iat in the future but within the clock tolerance is accepted', async (t) => {
  t.equal((await target.send(await issuer.sign({ iat: now + 3 }))).statusCode, 200)
})

t.test('a token with a fractional exp in the future is accepted: NumericDate allows fractions (RFC 7519 §2)', async (t) => {
  t.equal((await target.send(await issuer.sign({ exp: now + 300.25 }))).statusCode, 200)
})

checkNoSecretsLogged(t, fileLogs)
