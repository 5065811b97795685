// DPoP proofs (RFC 9449) on the wire: hand-made proofs and bound tokens with own keys, for the
// attacks a real client will not make. The real client (oauth4webapi) is in test/e2e/dpop.test.ts.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { issuerApp } from '../fixtures/guarded-app.js'
import { ALGS, ath, proofKey, type ProofKey } from '../fixtures/dpop.js'
import type { OAuthGuardOptions } from '../../lib/types.js'

const key = await proofKey()
const other = await proofKey()
const URL_USER = 'http://localhost/user'

async function setup (t: Test, options: Partial<OAuthGuardOptions> = {}) {
  const { app, issuer } = await issuerApp(t, options)
  app.get('/user', { onRequest: app.authenticate }, async (request) => ({ id: request.auth?.id, jkt: request.auth?.jkt ?? null }))
  app.post('/user', { onRequest: app.authenticate }, async () => 'posted')
  app.get('/admin', { onRequest: app.authenticate({ scopes: ['admin'] }) }, async () => 'admin')
  const bound = async (k: ProofKey = key, claims: Record<string, unknown> = {}) => await issuer.sign({ cnf: { jkt: k.jkt }, ...claims })
  return { app, issuer, bound }
}

const dpopError = (error: string, text: string, bearer = 'Bearer, '): string => `${bearer}DPoP error="${error}", error_description="${text}", algs="${ALGS}"`

t.test('a bound token with the DPoP scheme and a valid proof is accepted; request.auth carries its jkt', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  const res = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }) } })
  t.equal(res.statusCode, 200)
  t.same(res.json(), { id: 'user-1', jkt: key.jkt })
  t.equal(res.headers['dpop-nonce'], undefined, 'no nonce unless nonces are on')
})

t.test('a replayed proof is 401 invalid_dpop_proof', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  const headers = { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }) }
  t.equal((await app.inject({ url: '/user', headers })).statusCode, 200)
  const res = await app.inject({ url: '/user', headers })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], dpopError('invalid_dpop_proof', 'The DPoP proof was already used'))
  t.same(res.json(), { statusCode: 401, code: 'OAUTH_GUARD_INVALID_DPOP_PROOF', error: 'Unauthorized', message: 'The DPoP proof was already used' })
})

t.test('a proof for another method is 401 invalid_dpop_proof', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  const res = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'POST', htu: URL_USER, ath: ath(token) }) } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], dpopError('invalid_dpop_proof', 'The DPoP proof is for another HTTP method'))
})

t.test('a proof for another URL is 401 invalid_dpop_proof', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  for (const htu of ['http://localhost/admin', 'https://localhost/user', 'http://localhost:8080/user', 'http://127.0.0.1/user', 'not a url']) {
    const res = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu, ath: ath(token) }) } })
    t.equal(res.statusCode, 401, htu)
    t.equal(res.headers['www-authenticate'], dpopError('invalid_dpop_proof', 'The DPoP proof is for another URL'), htu)
  }
})

t.test('htu is compared normalised, without query and fragment', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  for (const htu of ['HTTP://LOCALHOST:80/user', 'http://localhost/user?page=2#top', 'http://localhost/./user', 'http://localhost/%75ser']) {
    const res = await app.inject({ url: '/user?x=1', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu, ath: ath(token) }) } })
    t.equal(res.statusCode, 200, htu)
  }
})

t.test('behind a trusted proxy, htu is the URL the client addressed (X-Forwarded-Proto and -Host)', async (t) => {
  const issuer = await createLocalIssuer()
  const app = Fastify({ trustProxy: true })
  t.teardown(async () => { await app.close(); await issuer.close() })
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience })
  app.get('/user', { onRequest: app.authenticate }, async () => 'ok')
  const token = await issuer.sign({ cnf: { jkt: key.jkt } })
  const forwarded = { 'x-forwarded-proto': 'https', 'x-forwarded-host': 'api.example.com' }
  const send = async (htu: string) => await app.inject({ url: '/user?q=1', headers: { ...forwarded, authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu, ath: ath(token) }) } })
  t.equal((await send('https://api.example.com/user')).statusCode, 200)
  t.equal((await send('http://localhost/user')).statusCode, 401, 'the address behind the proxy is not the one the client used')

  const { app: direct, bound } = await setup(t)
  const directToken = await bound()
  const untrusted = await direct.inject({ url: '/user', headers: { ...forwarded, authorization: `DPoP ${directToken}`, dpop: await key.proof({ htm: 'GET', htu: 'https://api.example.com/user', ath: ath(directToken) }) } })
  t.equal(untrusted.statusCode, 401, 'without trustProxy the forwarded headers are not believed')
})

t.test('a proof for another token (ath) is 401 invalid_dpop_proof', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  const res = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(await bound()) }) } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], dpopError('invalid_dpop_proof', 'The DPoP proof is for another access token'))
})

t.test('a proof signed by another key than the token is bound to is 401 invalid_token', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  const res = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await other.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }) } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], dpopError('invalid_token', 'Invalid DPoP key binding'))
  t.equal(res.json().code, 'OAUTH_GUARD_TOKEN_BINDING')
})

t.test('a bound token sent as Bearer is 401 invalid_token, also once it is cached', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  const challenge = `Bearer error="invalid_token", error_description="The access token is bound to a key: send it with the DPoP scheme and a proof", DPoP algs="${ALGS}"`
  for (const round of ['first', 'cached']) {
    const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }) } })
    t.equal(res.statusCode, 401, round)
    t.equal(res.headers['www-authenticate'], challenge, round)
    t.equal(res.json().code, 'OAUTH_GUARD_TOKEN_BINDING')
  }
})

t.test('a bound token sent as Bearer is refused with dpop off too', async (t) => {
  const { app, bound } = await setup(t, { dpop: 'off' })
  const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await bound()}` } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="The access token is bound to a key: send it with the DPoP scheme and a proof"')
})

t.test('with dpop off, the DPoP scheme is not accepted and challenges name Bearer only', async (t) => {
  const { app, bound } = await setup(t, { dpop: 'off' })
  const token = await bound()
  const res = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }) } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], 'Bearer')
})

t.test('an unbound token with the DPoP scheme is 401 invalid_token', async (t) => {
  const { app, issuer } = await setup(t)
  const token = await issuer.sign()
  const res = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }) } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], dpopError('invalid_token', 'The access token is not bound to a key: send it with the Bearer scheme'))
})

t.test('allowed mode: no credentials get both challenges; a plain Bearer token is accepted', async (t) => {
  const { app, issuer } = await setup(t)
  const none = await app.inject({ url: '/user' })
  t.equal(none.statusCode, 401)
  t.equal(none.headers['www-authenticate'], `Bearer, DPoP algs="${ALGS}"`)
  t.equal((await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign()}` } })).statusCode, 200)
})

t.test('required mode: a plain Bearer token is 401 invalid_token; no credentials get the DPoP challenge only', async (t) => {
  const { app, issuer, bound } = await setup(t, { dpop: { mode: 'required', algorithms: ['ES256'] } })
  const plain = await app.inject({ url: '/user', headers: { authorization: `Bearer ${await issuer.sign()}` } })
  t.equal(plain.statusCode, 401)
  t.equal(plain.headers['www-authenticate'], 'Bearer error="invalid_token", error_description="This resource requires a DPoP-bound access token", DPoP algs="ES256"')
  const none = await app.inject({ url: '/user' })
  t.equal(none.headers['www-authenticate'], 'DPoP algs="ES256"')
  const token = await bound()
  const ok = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }) } })
  t.equal(ok.statusCode, 200)
})

t.test('insufficient scope of a DPoP-bound token is on the DPoP challenge', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  const res = await app.inject({ url: '/admin', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: 'http://localhost/admin', ath: ath(token) }) } })
  t.equal(res.statusCode, 403)
  t.equal(res.headers['www-authenticate'], `Bearer, DPoP error="insufficient_scope", error_description="The access token does not grant the required scope", scope="admin", algs="${ALGS}"`)
})

t.test('the DPoP scheme without a DPoP header, or with two, is 401 invalid_dpop_proof', async (t) => {
  const { app, bound } = await setup(t)
  const token = await bound()
  const missing = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}` } })
  t.equal(missing.headers['www-authenticate'], dpopError('invalid_dpop_proof', 'A DPoP proof is required with the DPoP scheme'))
  const proof = await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) })
  const twice = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: [proof, proof] } })
  t.equal(twice.statusCode, 401)
  t.equal(twice.headers['www-authenticate'], dpopError('invalid_dpop_proof', 'More than one DPoP header'))
})

t.test('a malformed DPoP credential is 400 invalid_request on the DPoP challenge', async (t) => {
  const { app } = await setup(t)
  const res = await app.inject({ url: '/user', headers: { authorization: 'DPoP a b' } })
  t.equal(res.statusCode, 400)
  t.equal(res.headers['www-authenticate'], dpopError('invalid_request', 'Malformed DPoP credentials'))
})

const BAD_PROOFS: Array<[string, (token: string) => Promise<string>, string]> = [
  ['a proof that is not a JWT', async () => 'not-a-jwt', 'The DPoP proof is not a well-formed JWT'],
  ['typ JWT', async (token) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }, { typ: 'JWT' }), 'The DPoP proof header is not acceptable (typ, alg or jwk)'],
  ['no jwk', async (token) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }, { jwk: null }), 'The DPoP proof header is not acceptable (typ, alg or jwk)'],
  ['a private jwk', async (token) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }, { jwk: { ...key.jwk, d: 'AAAA' } }), 'The DPoP proof header is not acceptable (typ, alg or jwk)'],
  ['a symmetric jwk', async (token) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }, { jwk: { kty: 'oct', k: 'AAAA' } }), 'The DPoP proof header is not acceptable (typ, alg or jwk)'],
  ['an algorithm outside the allow-list', async (token) => await (await proofKey('ES384')).proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }), 'The DPoP proof header is not acceptable (typ, alg or jwk)'],
  ['a jwk that did not sign it', async (token) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }, { jwk: other.jwk }), 'The DPoP proof signature is invalid'],
  ['no jti', async (token) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), jti: null }), 'The DPoP proof lacks a required claim or has one of the wrong type'],
  ['no ath', async () => await key.proof({ htm: 'GET', htu: URL_USER }), 'The DPoP proof lacks a required claim or has one of the wrong type'],
  ['an iat of two minutes ago', async (token) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), iat: Math.floor(Date.now() / 1000) - 120 }), 'The DPoP proof was not issued recently enough'],
  ['an iat a minute ahead', async (token) => await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), iat: Math.floor(Date.now() / 1000) + 60 }), 'The DPoP proof was not issued recently enough']
]
for (const [name, make, text] of BAD_PROOFS) {
  t.test(`a proof with ${name} is 401 invalid_dpop_proof`, async (t) => {
    const { app, bound } = await setup(t)
    const token = await bound()
    const res = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await make(token) } })
    t.equal(res.statusCode, 401)
    t.equal(res.headers['www-authenticate'], dpopError('invalid_dpop_proof', text))
  })
}

t.test('nonces: a proof without the server nonce gets use_dpop_nonce and a DPoP-Nonce; with it, 200 and a fresh nonce', async (t) => {
  const { app, bound } = await setup(t, { dpop: { nonce: true } })
  const token = await bound()
  const first = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token) }) } })
  t.equal(first.statusCode, 401)
  t.equal(first.headers['www-authenticate'], dpopError('use_dpop_nonce', 'The DPoP proof must carry the nonce this server provides'))
  const nonce = first.headers['dpop-nonce']
  t.type(nonce, 'string')
  const wrong = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), nonce: `${String(nonce)}x` }) } })
  t.equal(wrong.statusCode, 401)
  t.equal(wrong.json().code, 'OAUTH_GUARD_USE_DPOP_NONCE')
  const res = await app.inject({ url: '/user', headers: { authorization: `DPoP ${token}`, dpop: await key.proof({ htm: 'GET', htu: URL_USER, ath: ath(token), nonce }) } })
  t.equal(res.statusCode, 200)
  t.equal(res.headers['dpop-nonce'], nonce, 'the nonce of the current slot')
})
