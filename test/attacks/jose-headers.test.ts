/**
 * JOSE header attacks: keys offered by the token itself (`jwk`, `jku`, `x5u`, `x5c`), `crit`
 * extensions, hostile `kid` values, `b64: false`, foreign `typ`s and malformed or duplicated headers.
 */
import t from 'tap'
import { encodeJWT } from '../../lib/testing/index.js'
import { assertRefused, attackApp, fileLogs, invalidToken } from '../fixtures/attack-app.js'
import { ATTACKER_CERT_DER } from '../fixtures/attacker-cert.js'
import { checkNoSecretsLogged } from '../fixtures/log-capture.js'
import { attackerKey, signInput, signRaw, startAttackerServer } from '../fixtures/raw-jws.js'

const target = await attackApp(t)
const strict = await attackApp(t, { requireAccessTokenType: true })
const { issuer } = target
const rsa = issuer.keyPair()
const now = Math.floor(Date.now() / 1000)
const claims = { iss: issuer.issuer, aud: issuer.audience, sub: 'user-1', exp: now + 300, iat: now }
const payloadText = JSON.stringify(claims)
const attacker = await attackerKey()
const attackerServer = await startAttackerServer({ keys: [attacker.jwk] })
t.teardown(() => attackerServer.close())

const forge = async (header: Record<string, unknown>): Promise<string> =>
  await issuer.sign({}, { alg: 'ES256', key: attacker.privateKey, kid: 'attacker', ...{ header } })

t.test('control: a token signed by the provider is accepted', async (t) => {
  t.equal((await target.send(await issuer.sign())).statusCode, 200)
  t.equal(target.handled.count, 1)
})

t.test('an embedded jwk with its own kid is ignored and the token refused', async (t) => {
  assertRefused(t, target, await target.send(await forge({ jwk: attacker.jwk })), invalidToken)
})

t.test('an embedded jwk under the provider\'s kid is ignored and the token refused', async (t) => {
  assertRefused(t, target, await target.send(await forge({ jwk: attacker.jwk, kid: rsa.kid })), invalidToken)
})

for (const name of ['jku', 'x5u']) {
  t.test(`a ${name} header pointing at the attacker's keys is never fetched`, async (t) => {
    assertRefused(t, target, await target.send(await forge({ [name]: `${attackerServer.url}/keys.json` })), invalidToken)
    t.equal(attackerServer.hits.count, 0, 'the attacker\'s server saw no request')
  })
}

t.test('an x5c chain carrying the attacker\'s certificate is ignored and the token refused', async (t) => {
  assertRefused(t, target, await target.send(await forge({ x5c: [ATTACKER_CERT_DER], kid: undefined })), invalidToken)
})

t.test('an x5c chain under the provider\'s EC kid is ignored and the token refused', async (t) => {
  const ecKid = issuer.jwks().keys.find((k) => k.kty === 'EC')!.kid
  assertRefused(t, target, await target.send(await forge({ x5c: [ATTACKER_CERT_DER], kid: ecKid })), invalidToken)
})

const critCases: Record<string, Record<string, unknown>> = {
  'an unknown extension': { crit: ['urn:example:must-understand'], 'urn:example:must-understand': true },
  'an extension absent from the header': { crit: ['exp'] },
  'a standard parameter': { crit: ['alg'] },
  'an empty list': { crit: [] },
  'a string instead of a list': { crit: 'urn:example:must-understand' }
}
for (const [name, header] of Object.entries(critCases)) {
  t.test(`crit with ${name}, signed by the provider, is refused`, async (t) => {
    const token = signRaw(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: rsa.kid, ...header }), payloadText, rsa)
    assertRefused(t, target, await target.send(token), invalidToken)
  })
}

const hostileKids: Record<string, unknown> = {
  'a path traversal': '../../../../../../etc/passwd',
  'a file URL': 'file:///dev/random',
  SQL: "' OR '1'='1' --",
  'a NUL byte': `${rsa.kid}\u0000`,
  'the provider\'s kid with a suffix': `${rsa.kid} `,
  '4000 characters': 'k'.repeat(4000),
  'a number': 1,
  'an object': { $ne: null },
  'a list': [rsa.kid]
}
for (const [name, kid] of Object.entries(hostileKids)) {
  t.test(`kid as ${name} is refused`, async (t) => {
    const signature = (await issuer.sign()).split('.')[2]
    assertRefused(t, target, await target.send(encodeJWT({ alg: 'RS256', typ: 'at+jwt', kid }, claims, signature)), invalidToken)
  })
}

t.test('b64: false with a signature valid over the unencoded form is refused', async (t) => {
  const [header, payload] = (await issuer.sign()).split('.')
  // Signed over base64url(header).payload-as-is, so the signature holds under either reading.
  const unencoded = Buffer.from(JSON.stringify({ alg: 'RS256', typ: 'at+jwt', kid: rsa.kid, b64: false, crit: ['b64'] })).toString('base64url')
  const token = `${unencoded}.${payload}.${signInput(`${unencoded}.${payload}`, rsa)}`
  t.not(unencoded, header)
  assertRefused(t, target, await target.send(token), invalidToken)
})

for (const typ of ['dpop+jwt', 'secevent+jwt', 'logout+jwt', 'application/jwk+json', 'at+jwt; charset=utf-8']) {
  t.test(`typ "${typ}", signed by the provider, is refused`, async (t) => {
    assertRefused(t, target, await target.send(await issuer.sign({}, { header: { typ } })), invalidToken)
  })
}

t.test('typ as a number is refused', async (t) => {
  assertRefused(t, target, await target.send(signRaw(JSON.stringify({ alg: 'RS256', kid: rsa.kid, typ: 1 }), payloadText, rsa)), invalidToken)
})

t.test('typ JWT is refused when requireAccessTokenType is set', async (t) => {
  assertRefused(t, strict, await strict.send(await strict.issuer.sign({}, { header: { typ: 'JWT' } })), invalidToken)
})

t.test('a header naming alg twice ("none" first), signed by the provider, is refused', async (t) => {
  const token = signRaw(`{"alg":"none","typ":"at+jwt","kid":"${rsa.kid}","alg":"RS256"}`, payloadText, rsa)
  assertRefused(t, target, await target.send(token), invalidToken)
})

t.test('a header naming kid twice, signed by the provider, is refused', async (t) => {
  const token = signRaw(`{"alg":"RS256","kid":"someone-else","typ":"at+jwt","k\\u0069d":"${rsa.kid}"}`, payloadText, rsa)
  assertRefused(t, target, await target.send(token), invalidToken)
})

t.test('a __proto__ member in the header is refused and pollutes nothing', async (t) => {
  const token = signRaw(`{"__proto__":{"alg":"RS256","polluted":true},"alg":"none","kid":"${rsa.kid}"}`, payloadText, rsa)
  assertRefused(t, target, await target.send(token), invalidToken)
  t.equal(({} as Record<string, unknown>).polluted, undefined)
})

t.test('a deeply nested header is refused', async (t) => {
  const header = `{"alg":"RS256","kid":"${rsa.kid}","x":${'['.repeat(2500)}${']'.repeat(2500)}}`
  const input = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payloadText).toString('base64url')}`
  assertRefused(t, target, await target.send(`${input}.${signInput(input, { alg: 'RS256', privateKey: attacker.privateKey })}`), invalidToken)
})

const brokenHeaders: Record<string, string> = {
  'a JSON array': '["RS256"]',
  'a JSON string': '"RS256"',
  'not JSON': '{alg:RS256}',
  'invalid UTF-8': '\udc80'
}
for (const [name, header] of Object.entries(brokenHeaders)) {
  t.test(`a header that is ${name} is refused`, async (t) => {
    const signature = (await issuer.sign()).split('.')[2]
    const token = `${Buffer.from(header).toString('base64url')}.${Buffer.from(payloadText).toString('base64url')}.${signature}`
    assertRefused(t, target, await target.send(token), invalidToken)
  })
}

t.test('hostile kids cost at most one extra JWKS request', async (t) => {
  t.ok((issuer.hits['/jwks'] ?? 0) <= 2, `JWKS fetched ${issuer.hits['/jwks']} times`)
})

checkNoSecretsLogged(t, fileLogs)
