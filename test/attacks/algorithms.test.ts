/**
 * Algorithm attacks: `none`, HMAC keyed with the provider's public key, algorithm mix-ups between
 * key types, and a genuine signature from another key that borrows the provider's `kid`.
 */
import { createSign, createPrivateKey, generateKeyPairSync } from 'node:crypto'
import t from 'tap'
import { exportPKCS8, exportSPKI, importPKCS8, SignJWT, type CryptoKey } from 'jose'
import { encodeJWT } from '../../lib/testing/index.js'
import { assertRefused, attackApp, fileLogs, invalidToken } from '../fixtures/attack-app.js'
import { checkNoSecretsLogged } from '../fixtures/log-capture.js'

const target = await attackApp(t)
const { issuer } = target
const rsa = issuer.keyPair()
const ec = issuer.keyPair(issuer.jwks().keys.find((k) => k.kty === 'EC')!.kid)
const now = Math.floor(Date.now() / 1000)
const claims = { iss: issuer.issuer, aud: issuer.audience, sub: 'user-1', exp: now + 300, iat: now }

t.test('control: a token signed by the provider is accepted', async (t) => {
  const response = await target.send(await issuer.sign())
  t.equal(response.statusCode, 200)
  t.equal(target.handled.count, 1)
})

for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
  t.test(`alg "${alg}" without a signature is refused`, async (t) => {
    assertRefused(t, target, await target.send(encodeJWT({ alg, typ: 'at+jwt', kid: rsa.kid }, claims)), invalidToken)
  })
}

t.test('alg "none" with a copied valid signature is refused', async (t) => {
  const signature = (await issuer.sign()).split('.')[2]
  assertRefused(t, target, await target.send(encodeJWT({ alg: 'none', kid: rsa.kid }, claims, signature)), invalidToken)
})

t.test('alg missing from the header is refused', async (t) => {
  const signature = (await issuer.sign()).split('.')[2]
  assertRefused(t, target, await target.send(encodeJWT({ kid: rsa.kid }, claims, signature)), invalidToken)
})

const publicKeyForms: Record<string, () => Promise<Uint8Array>> = {
  'its PEM': async () => new TextEncoder().encode(await exportSPKI(rsa.publicKey)),
  'its PEM without the trailing newline': async () => new TextEncoder().encode((await exportSPKI(rsa.publicKey)).trim()),
  'its JWK': async () => new TextEncoder().encode(JSON.stringify(rsa.publicJwk)),
  'its raw modulus': async () => Buffer.from(rsa.publicJwk.n!, 'base64url'),
  'the EC key\'s raw point': async () => Buffer.concat([Buffer.from([4]), Buffer.from(ec.publicJwk.x!, 'base64url'), Buffer.from(ec.publicJwk.y!, 'base64url')])
}
for (const alg of ['HS256', 'HS384', 'HS512']) {
  for (const [form, key] of Object.entries(publicKeyForms)) {
    t.test(`${alg} keyed with the provider's public key as ${form} is refused`, async (t) => {
      const token = await issuer.sign({}, { alg, key: await key() })
      assertRefused(t, target, await target.send(token), invalidToken)
    })
  }
}

/** Signs `claims` under `header` with a private key imported for `alg`, whatever key it came from. */
async function signAs (alg: string, privateKey: CryptoKey, header: Record<string, unknown>): Promise<string> {
  const key = await importPKCS8(await exportPKCS8(privateKey), alg)
  return await new SignJWT(claims).setProtectedHeader({ alg, typ: 'at+jwt', ...header }).sign(key)
}

t.test('PS256 signed with the provider\'s RS256 key is refused (the key is published for RS256 only)', async (t) => {
  assertRefused(t, target, await target.send(await signAs('PS256', rsa.privateKey, { kid: rsa.kid })), invalidToken)
})

t.test('RS512 signed with the provider\'s RS256 key is refused', async (t) => {
  assertRefused(t, target, await target.send(await signAs('RS512', rsa.privateKey, { kid: rsa.kid })), invalidToken)
})

t.test('ES256 header over an RSA signature, naming the EC kid, is refused', async (t) => {
  const rs = (await signAs('RS256', rsa.privateKey, { kid: ec.kid })).split('.')
  const forged = encodeJWT({ alg: 'ES256', typ: 'at+jwt', kid: ec.kid }, claims, rs[2])
  assertRefused(t, target, await target.send(forged), invalidToken)
})

t.test('RS256 header naming the EC kid is refused', async (t) => {
  assertRefused(t, target, await target.send(await signAs('RS256', rsa.privateKey, { kid: ec.kid })), invalidToken)
})

t.test('ES384 header over the provider\'s P-256 key is refused', async (t) => {
  const signature = (await issuer.sign({}, { alg: 'ES256' })).split('.')[2]
  const forged = encodeJWT({ alg: 'ES384', typ: 'at+jwt', kid: ec.kid }, claims, signature)
  assertRefused(t, target, await target.send(forged), invalidToken)
})

t.test('an ES256 signature in DER form instead of r||s is refused', async (t) => {
  const pkcs8 = createPrivateKey(await exportPKCS8(ec.privateKey))
  const header = Buffer.from(JSON.stringify({ alg: 'ES256', typ: 'at+jwt', kid: ec.kid })).toString('base64url')
  const payload = Buffer.from(JSON.stringify(claims)).toString('base64url')
  const der = createSign('SHA256').update(`${header}.${payload}`).sign(pkcs8).toString('base64url')
  assertRefused(t, target, await target.send(`${header}.${payload}.${der}`), invalidToken)
})

t.test('a genuine RS256 signature from another key that borrows the provider\'s kid is refused', async (t) => {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const key = await importPKCS8(other.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'RS256')
  assertRefused(t, target, await target.send(await issuer.sign({}, { alg: 'RS256', key })), invalidToken)
})

t.test('a genuine ES256 signature from another key that borrows the provider\'s kid is refused', async (t) => {
  const other = generateKeyPairSync('ec', { namedCurve: 'P-256' })
  const key = await importPKCS8(other.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'ES256')
  assertRefused(t, target, await target.send(await issuer.sign({}, { alg: 'ES256', key })), invalidToken)
})

t.test('a token from another issuer\'s key (unknown kid, same claims) is refused', async (t) => {
  const other = generateKeyPairSync('rsa', { modulusLength: 2048 })
  const key = await importPKCS8(other.privateKey.export({ type: 'pkcs8', format: 'pem' }) as string, 'RS256')
  assertRefused(t, target, await target.send(await issuer.sign({}, { alg: 'RS256', key, kid: 'another-kid' })), invalidToken)
})

t.test('a signature over a changed payload is refused', async (t) => {
  const [header, , signature] = (await issuer.sign()).split('.')
  const payload = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url')
  assertRefused(t, target, await target.send(`${header}.${payload}.${signature}`), invalidToken)
})

checkNoSecretsLogged(t, fileLogs)
