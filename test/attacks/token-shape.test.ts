/**
 * Tokens of the wrong shape: JWE, nested JWTs, duplicated claims, payloads that are not a JSON
 * object, wrong part counts and non-canonical encodings.
 */
import t from 'tap'
import { CompactEncrypt, exportSPKI, importSPKI } from 'jose'
import { encodeJWT } from '../../lib/testing/index.js'
import { assertRefused, attackApp, fileLogs, invalidToken, malformed } from '../fixtures/attack-app.js'
import { checkNoSecretsLogged } from '../fixtures/log-capture.js'
import { signRaw } from '../fixtures/raw-jws.js'

const target = await attackApp(t)
const { issuer } = target
const rsa = issuer.keyPair()
const now = Math.floor(Date.now() / 1000)
const claims = { iss: issuer.issuer, aud: issuer.audience, sub: 'user-1', exp: now + 300, iat: now }
const header = JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: rsa.kid })
const valid = await issuer.sign()

t.test('control: a token signed by the provider is accepted', async (t) => {
  t.equal((await target.send(valid)).statusCode, 200)
})

t.test('a JWE (five parts) wrapping a valid token, encrypted to the provider\'s own key, is refused', async (t) => {
  const key = await importSPKI(await exportSPKI(rsa.publicKey), 'RSA-OAEP-256')
  const jwe = await new CompactEncrypt(new TextEncoder().encode(valid))
    .setProtectedHeader({ alg: 'RSA-OAEP-256', enc: 'A256GCM', cty: 'JWT', kid: rsa.kid })
    .encrypt(key)
  t.equal(jwe.split('.').length, 5)
  assertRefused(t, target, await target.send(jwe), invalidToken)
})

t.test('a "dir" JWE with a guessable key is refused', async (t) => {
  const jwe = await new CompactEncrypt(new TextEncoder().encode(JSON.stringify(claims)))
    .setProtectedHeader({ alg: 'dir', enc: 'A128GCM' })
    .encrypt(new Uint8Array(16))
  assertRefused(t, target, await target.send(jwe), invalidToken)
})

t.test('a nested JWT (cty JWT, payload a signed token) is refused even when both are signed by the provider', async (t) => {
  const nested = signRaw(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', cty: 'JWT', kid: rsa.kid }), valid, rsa)
  assertRefused(t, target, await target.send(nested), invalidToken)
})

const duplicatedClaims: Record<string, string> = {
  sub: `{"sub":"admin","iss":"${claims.iss}","aud":"${claims.aud}","exp":${claims.exp},"sub":"user-1"}`,
  iss: `{"iss":"https://evil.example","sub":"user-1","aud":"${claims.aud}","exp":${claims.exp},"iss":"${claims.iss}"}`,
  aud: `{"aud":"https://other-api.example","iss":"${claims.iss}","sub":"user-1","exp":${claims.exp},"aud":"${claims.aud}"}`,
  exp: `{"exp":${now + 10 * 365 * 86400},"iss":"${claims.iss}","aud":"${claims.aud}","sub":"user-1","exp":${claims.exp}}`,
  'scope (escaped name)': `{"scope":"admin","iss":"${claims.iss}","aud":"${claims.aud}","sub":"user-1","exp":${claims.exp},"sc\\u006fpe":"items:read"}`
}
for (const [name, payload] of Object.entries(duplicatedClaims)) {
  t.test(`a payload naming ${name} twice, signed by the provider, is refused`, async (t) => {
    assertRefused(t, target, await target.send(signRaw(header, payload, rsa), '/items'), invalidToken)
  })
}

t.test('a claim duplicated inside a nested object is not a duplicate claim name', async (t) => {
  const payload = `{"iss":"${claims.iss}","aud":"${claims.aud}","sub":"user-1","exp":${claims.exp},"ctx":[{"a":1},{"a":2}]}`
  t.equal((await target.send(signRaw(header, payload, rsa))).statusCode, 200)
})

const oddPayloads: Record<string, string> = {
  'a JSON array': JSON.stringify([claims]),
  'JSON null': 'null',
  'a JSON number': '42',
  'a JSON string holding the claims': JSON.stringify(JSON.stringify(claims)),
  empty: '',
  'truncated JSON': JSON.stringify(claims).slice(0, -1)
}
for (const [name, payload] of Object.entries(oddPayloads)) {
  t.test(`a payload that is ${name}, signed by the provider, is refused`, async (t) => {
    assertRefused(t, target, await target.send(signRaw(header, payload, rsa)), invalidToken)
  })
}

const [h, p, s] = valid.split('.')
const reshaped: Record<string, string> = {
  'two parts': `${h}.${p}`,
  'four parts': `${h}.${p}.${s}.${s}`,
  'three empty parts': '..',
  'an empty payload part': `${h}..${s}`,
  'padding on the signature': `${h}.${p}.${s}==`,
  'base64 (not base64url) characters': `${h}.${p}.${s.replace(/-/g, '+').replace(/_/g, '/')}${s.includes('-') || s.includes('_') ? '' : '+'}`,
  'a truncated signature': `${h}.${p}.${s.slice(0, -4)}`,
  'no signature': `${h}.${p}.`,
  'random text': 'this-is-not-a-token',
  'one character': 'x',
  'dots only': '.....'
}
for (const [name, token] of Object.entries(reshaped)) {
  t.test(`a token with ${name} is refused`, async (t) => {
    assertRefused(t, target, await target.send(token), invalidToken)
  })
}

t.test('padding inside the token breaks the b64token grammar: 400', async (t) => {
  assertRefused(t, target, await target.send(`${h}.${p}=.${s}`), malformed)
})

t.test('an unsecured token built from the valid claims is refused', async (t) => {
  assertRefused(t, target, await target.send(encodeJWT({ alg: 'none' }, claims)), invalidToken)
})

checkNoSecretsLogged(t, fileLogs)
