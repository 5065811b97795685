// DPoP proofs (RFC 9449 §4.3) on the wire, the rare refusals: hand-made proofs a real client will
// not send (bad shapes, bad headers, unparsable claims), the order in which a proof with several
// defects is refused, htu normalisation edges, the iat window's bounds and nonce expiry on a fake clock.
import { CompactSign, exportJWK, generateKeyPair, calculateJwkThumbprint } from 'jose'
import { connect } from 'node:net'
import t, { type Test } from 'tap'
import { DPoPNonces } from '../../lib/token/dpop-nonce.js'
import { MAX_DPOP_PROOF_LENGTH } from '../../lib/token/dpop-proof.js'
import { issuerApp } from '../fixtures/guarded-app.js'
import { ALGS, ath, proofKey } from '../fixtures/dpop.js'

const URL_USER = 'http://localhost/user'
const key = await proofKey()
const other = await proofKey()
const SECRET = 'n'.repeat(32)

// One app per configuration for the whole file (each test uses fresh tokens and jtis): fast.
const plain = await issuerApp(t)
const nonced = await issuerApp(t, { dpop: { nonce: { secret: SECRET, lifetime: 1000 } } })
for (const { app } of [plain, nonced]) {
  app.get('/user', { onRequest: app.authenticate }, async (request) => ({ jkt: request.auth?.jkt ?? null }))
  app.get('/files/:name', { onRequest: app.authenticate }, async (request) => (request.params as { name: string }).name)
}

/** A key of the test's own, for proofs whose payload is not what the fixture would make. */
const raw = await generateKeyPair('ES256', { extractable: true })
const rawJWK = await exportJWK(raw.publicKey)
const rawJKT = await calculateJwkThumbprint(rawJWK, 'sha256')

const b64 = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
/** A JWS-shaped proof with any header and payload, and a signature that verifies nothing. */
const unsigned = (header: unknown, payload: unknown = {}): string => `${b64(header)}.${b64(payload)}.${b64('not a signature')}`
/** A proof correctly signed by the test's own key, over any payload text. */
const signedText = async (text: string): Promise<string> =>
  await new CompactSign(new TextEncoder().encode(text)).setProtectedHeader({ alg: 'ES256', typ: 'dpop+jwt', jwk: rawJWK }).sign(raw.privateKey)

const challenge = (error: string, text: string): string => `Bearer, DPoP error="${error}", error_description="${text}", algs="${ALGS}"`
const TEXT = {
  missing: 'A DPoP proof is required with the DPoP scheme',
  multiple: 'More than one DPoP header',
  malformed: 'The DPoP proof is not a well-formed JWT',
  header: 'The DPoP proof header is not acceptable (typ, alg or jwk)',
  signature: 'The DPoP proof signature is invalid',
  claims: 'The DPoP proof lacks a required claim or has one of the wrong type',
  htm: 'The DPoP proof is for another HTTP method',
  htu: 'The DPoP proof is for another URL',
  iat: 'The DPoP proof was not issued recently enough',
  ath: 'The DPoP proof is for another access token',
  replayed: 'The DPoP proof was already used'
}
const NONCE_TEXT = 'The DPoP proof must carry the nonce this server provides'

type App = typeof plain
const bound = async (on: App = plain, jkt = key.jkt): Promise<string> => await on.issuer.sign({ cnf: { jkt } })
const send = async (token: string, dpop: string | undefined, { on = plain, url = '/user', method = 'GET' as const } = {}) =>
  await on.app.inject({ method, url, headers: { authorization: `DPoP ${token}`, ...(dpop === undefined ? {} : { dpop }) } })

/** Asserts a 401 invalid_dpop_proof of `reason` on the wire: status, exact challenge, body. */
function refused (t: Test, res: Awaited<ReturnType<typeof send>>, reason: keyof typeof TEXT, label: string = reason): void {
  t.equal(res.statusCode, 401, label)
  t.equal(res.headers['www-authenticate'], challenge('invalid_dpop_proof', TEXT[reason]), label)
  t.same(res.json(), { statusCode: 401, code: 'OAUTH_GUARD_INVALID_DPOP_PROOF', error: 'Unauthorized', message: TEXT[reason] }, label)
}

t.test('an empty DPoP header is refused as a missing proof', async (t) => {
  refused(t, await send(await bound(), ''), 'missing')
})

t.test('one DPoP header holding two proofs joined by a comma is refused as more than one', async (t) => {
  const token = await bound()
  const proof = await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) })
  refused(t, await send(token, `${proof}, ${proof}`), 'multiple')
})

t.test('two DPoP header lines on a real connection are refused as more than one', async (t) => {
  const token = await bound()
  const proof = await key.proof({ htm: 'GET', htu: 'http://localhost/user', ath: ath(token) })
  const address = await plain.app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = new URL(address)
  const socket = connect(Number(port), '127.0.0.1')
  t.teardown(() => socket.destroy())
  socket.end(`GET /user HTTP/1.1\r\nHost: localhost\r\nAuthorization: DPoP ${token}\r\nDPoP: ${proof}\r\nDPoP: ${proof}\r\nConnection: close\r\n\r\n`)
  let response = ''
  for await (const chunk of socket) response += String(chunk)
  t.match(response, /^HTTP\/1\.1 401 /)
  t.match(response, `\r\nwww-authenticate: ${challenge('invalid_dpop_proof', TEXT.multiple)}\r\n`)
})

t.test('a valid proof longer than the limit is refused as malformed; one just within it is accepted', async (t) => {
  const token = await bound()
  const padded = async (pad: number) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), pad: 'x'.repeat(pad) })
  // The signed length grows by 4/3 of the padding: find the padding that lands exactly on the limit.
  let pad = Math.floor((MAX_DPOP_PROOF_LENGTH - (await padded(0)).length) * 3 / 4) - 8
  while ((await padded(pad + 1)).length <= MAX_DPOP_PROOF_LENGTH) pad++
  const within = await padded(pad)
  const beyond = await padded(pad + 3)
  t.ok(within.length <= MAX_DPOP_PROOF_LENGTH && beyond.length > MAX_DPOP_PROOF_LENGTH, `${within.length} and ${beyond.length}`)
  t.equal((await send(token, within)).statusCode, 200)
  refused(t, await send(token, beyond), 'malformed')
})

t.test('a JWS-shaped proof whose header is not JSON is refused as malformed', async (t) => {
  refused(t, await send(await bound(), `${b64('not json')}.${b64({})}.${b64('s')}`), 'malformed')
})

const BAD_HEADERS: Array<[string, Record<string, unknown>]> = [
  ['no typ', { alg: 'ES256', jwk: key.jwk }],
  ['an alg that is not a string', { typ: 'dpop+jwt', alg: 256, jwk: key.jwk }],
  ['alg none', { typ: 'dpop+jwt', alg: 'none', jwk: key.jwk }],
  ['a jwk that is a list', { typ: 'dpop+jwt', alg: 'ES256', jwk: [key.jwk] }],
  ['a jwk without kty', { typ: 'dpop+jwt', alg: 'ES256', jwk: { crv: 'P-256', x: key.jwk.x, y: key.jwk.y } }],
  ['a jwk carrying an RSA private member', { typ: 'dpop+jwt', alg: 'ES256', jwk: { ...key.jwk, p: 'AQAB' } }]
]
for (const [name, header] of BAD_HEADERS) {
  t.test(`a proof header with ${name} is refused before its signature is checked`, async (t) => {
    refused(t, await send(await bound(), unsigned(header)), 'header')
  })
}

t.test('a proof whose jwk cannot verify its alg (an RSA key for ES256) is refused as a bad signature', async (t) => {
  const rsa = await proofKey('RS256')
  const token = await bound()
  refused(t, await send(token, await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }, { jwk: rsa.jwk })), 'signature')
})

const BAD_PAYLOADS: Array<[string, string]> = [
  ['a payload that is not JSON', 'jti=1'],
  ['a null payload', 'null'],
  ['a list payload', '["jti"]'],
  ['an iat that overflows to Infinity', JSON.stringify({ jti: 'j', htm: 'GET', htu: URL_USER, ath: 'a' }).replace('}', ',"iat":1e400}')],
  ['an iat as a string', JSON.stringify({ jti: 'j', htm: 'GET', htu: URL_USER, ath: 'a', iat: '1700000000' })],
  ['an empty jti', JSON.stringify({ jti: '', htm: 'GET', htu: URL_USER, ath: 'a', iat: 1 })],
  ['a jti of 257 characters', JSON.stringify({ jti: 'j'.repeat(257), htm: 'GET', htu: URL_USER, ath: 'a', iat: 1 })],
  ['no htm', JSON.stringify({ jti: 'j', htu: URL_USER, ath: 'a', iat: 1 })],
  ['an htu that is not a string', JSON.stringify({ jti: 'j', htm: 'GET', htu: 1, ath: 'a', iat: 1 })]
]
for (const [name, text] of BAD_PAYLOADS) {
  t.test(`a signed proof with ${name} is refused for its claims`, async (t) => {
    refused(t, await send(await bound(plain, rawJKT), await signedText(text)), 'claims')
  })
}

t.test('an htu of another scheme than http or https is refused', async (t) => {
  const token = await bound()
  for (const htu of ['ftp://localhost/user', 'urn:example:user', 'file:///user']) {
    refused(t, await send(token, await key.proof({ htm: 'GET', htu, ath: ath(token) })), 'htu', htu)
  }
})

t.test('htu: percent-encoded reserved characters are compared case-insensitively but never decoded; unreserved ones are', async (t) => {
  const token = await bound()
  for (const htu of ['http://localhost/files/a%2Fb', 'http://localhost/files/a%2fb', 'http://localhost/files/%61%2fb']) {
    const res = await send(token, await key.proof({ htm: 'GET', htu, ath: ath(token) }), { url: '/files/a%2fb' })
    t.equal(res.statusCode, 200, htu)
    t.equal(res.body, 'a/b', htu)
  }
  refused(t, await send(token, await key.proof({ htm: 'GET', htu: 'http://localhost/files/a/b', ath: ath(token) }), { url: '/files/a%2fb' }), 'htu', 'an encoded slash is not a path separator')
  const tilde = await send(token, await key.proof({ htm: 'GET', htu: 'http://localhost/files/%7Ex', ath: ath(token) }), { url: '/files/~x' })
  t.equal(tilde.statusCode, 200, 'an encoded unreserved character equals the character')
})

t.test('a proof failing several checks is refused for the first of them, in RFC 9449 §4.3 order', async (t) => {
  const token = await bound()
  const good = (claims: Record<string, unknown> = {}) => ({ htm: 'GET', htu: URL_USER, ath: ath(token), ...claims })
  const old = Math.floor(Date.now() / 1000) - 600
  const cases: Array<[string, () => Promise<string>, keyof typeof TEXT]> = [
    ['typ and htm', async () => await key.proof(good({ htm: 'POST' }), { typ: 'JWT' }), 'header'],
    ['signature and claims', async () => unsigned({ typ: 'dpop+jwt', alg: 'ES256', jwk: key.jwk }, { htm: 'POST' }), 'signature'],
    ['claims and htm', async () => await key.proof(good({ htm: 'POST', ath: null })), 'claims'],
    ['htm and htu', async () => await key.proof(good({ htm: 'POST', htu: 'http://localhost/other' })), 'htm'],
    ['htu and iat', async () => await key.proof(good({ htu: 'http://localhost/other', iat: old })), 'htu'],
    ['iat and ath', async () => await key.proof(good({ iat: old, ath: ath('another token') })), 'iat'],
    ['ath and key', async () => await other.proof(good({ ath: ath('another token') })), 'ath']
  ]
  for (const [defects, make, first] of cases) {
    refused(t, await send(token, await make()), first, defects)
  }
})

t.test('a proof from another key reusing a used jti is refused for its key, not as a replay', async (t) => {
  const token = await bound()
  const jti = 'jti-used-once'
  t.equal((await send(token, await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), jti }))).statusCode, 200)
  const res = await send(token, await other.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), jti }))
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], challenge('invalid_token', 'Invalid DPoP key binding'))
  t.equal(res.json().code, 'OAUTH_GUARD_TOKEN_BINDING')
})

t.test('with nonces on, a missing nonce is refused before an iat out of the window', async (t) => {
  const token = await bound(nonced)
  const res = await send(token, await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), iat: Math.floor(Date.now() / 1000) - 600 }), { on: nonced })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], challenge('use_dpop_nonce', NONCE_TEXT))
  t.type(res.headers['dpop-nonce'], 'string')
})

t.test('with nonces on, an htu of another URL is refused before the missing nonce', async (t) => {
  const token = await bound(nonced)
  const res = await send(token, await key.proof({ htm: 'GET', htu: 'http://localhost/other', ath: ath(token) }), { on: nonced })
  refused(t, res, 'htu')
  t.equal(res.headers['dpop-nonce'], undefined, 'a nonce is handed out with use_dpop_nonce and with accepted DPoP requests only')
})

t.test('a proof refused for an earlier check does not use up its jti', async (t) => {
  const token = await bound()
  const jti = 'jti-refused-first'
  refused(t, await send(token, await key.proof({ htm: 'POST', htu: URL_USER, ath: ath(token), jti })), 'htm')
  refused(t, await send(token, await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), jti, iat: Math.floor(Date.now() / 1000) - 600 })), 'iat')
  t.equal((await send(token, await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), jti }))).statusCode, 200, 'the jti is still free')
  refused(t, await send(token, await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), jti })), 'replayed')
})

t.test('a jti is single-use per key: the same jti from two keys, each with its own token, is accepted twice', async (t) => {
  const jti = 'jti-per-key'
  const mine = await bound()
  const theirs = await bound(plain, other.jkt)
  t.equal((await send(mine, await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(mine), jti }))).statusCode, 200)
  t.equal((await send(theirs, await other.proof({ htm: 'GET', htu: URL_USER, ath: ath(theirs), jti }))).statusCode, 200)
})

t.test('iat window: accepted from iatWindow plus clockTolerance ago to clockTolerance ahead, refused a second beyond either', async (t) => {
  // Defaults: iatWindow 60 s, clockTolerance 5 s. A whole second, so proofs' iat lands on the bounds.
  const now = Math.floor(Date.now() / 1000) * 1000
  t.capture(Date, 'now', () => now)
  const token = await bound()
  const at = async (offset: number) => await send(token, await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), iat: (now + offset) / 1000 }))
  t.equal((await at(5000)).statusCode, 200, 'clockTolerance ahead')
  refused(t, await at(6000), 'iat', 'a second more ahead')
  t.equal((await at(-65_000)).statusCode, 200, 'iatWindow + clockTolerance ago')
  refused(t, await at(-66_000), 'iat', 'a second older')
})

t.test('a nonce is accepted for its slot and the next, then refused with a fresh one (fake clock)', async (t) => {
  let now = Math.floor(Date.now() / 1000) * 1000
  t.capture(Date, 'now', () => now)
  const token = await bound(nonced)
  const proof = async (nonce: unknown) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), nonce: nonce ?? null })
  const first = await send(token, await proof(undefined), { on: nonced })
  const nonce = first.headers['dpop-nonce'] as string
  t.equal(first.statusCode, 401)
  const same = await send(token, await proof(nonce), { on: nonced })
  t.equal(same.statusCode, 200)
  t.equal(same.headers['dpop-nonce'], nonce, 'the same nonce within its slot')
  now += 1000
  const next = await send(token, await proof(nonce), { on: nonced })
  t.equal(next.statusCode, 200, 'still accepted in the next slot')
  t.not(next.headers['dpop-nonce'], nonce, 'while a new one is handed out')
  now += 1000
  const expired = await send(token, await proof(nonce), { on: nonced })
  t.equal(expired.statusCode, 401)
  t.equal(expired.headers['www-authenticate'], challenge('use_dpop_nonce', NONCE_TEXT))
  t.same(expired.json(), { statusCode: 401, code: 'OAUTH_GUARD_USE_DPOP_NONCE', error: 'Unauthorized', message: NONCE_TEXT })
  t.equal(expired.headers['dpop-nonce'], new DPoPNonces({ secret: SECRET, lifetime: 1000 }).current(), 'the current nonce')
})

t.test('a nonce made with the configured secret by another instance is accepted; a forged one is refused', async (t) => {
  const now = Math.floor(Date.now() / 1000) * 1000
  t.capture(Date, 'now', () => now)
  const token = await bound(nonced)
  const proof = async (nonce: string) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), nonce })
  const sibling = new DPoPNonces({ secret: SECRET, lifetime: 1000 }).current()
  t.equal((await send(token, await proof(sibling), { on: nonced })).statusCode, 200, 'same secret, another instance')
  const [slot, mac] = sibling.split('.')
  const forged = [
    new DPoPNonces({ secret: 'f'.repeat(32), lifetime: 1000 }).current(),
    `${slot}.${Buffer.from(mac, 'base64url').subarray(0, 16).toString('base64url')}`,
    `0${slot}.${mac}`,
    `${(parseInt(slot, 36) + 1).toString(36)}.${mac}`
  ]
  for (const nonce of forged) {
    const res = await send(token, await proof(nonce), { on: nonced })
    t.equal(res.statusCode, 401, nonce)
    t.equal(res.headers['www-authenticate'], challenge('use_dpop_nonce', NONCE_TEXT), nonce)
  }
})
