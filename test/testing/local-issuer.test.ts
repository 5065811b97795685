import t from 'tap'
import type { Test } from 'tap'
import { createRemoteJWKSet, decodeJwt, decodeProtectedHeader, jwtVerify } from 'jose'
import { createLocalIssuer, DEFAULT_AUDIENCE, encodeJWT, SIGNING_ALGORITHMS } from '../../lib/testing/index.js'
import type { LocalIssuer, LocalIssuerOptions } from '../../lib/testing/index.js'

async function startIssuer (t: Test, options?: LocalIssuerOptions): Promise<LocalIssuer> {
  const issuer = await createLocalIssuer(options)
  t.teardown(() => issuer.close())
  return issuer
}

async function getJSON (url: string): Promise<{ status: number, body: any }> {
  const response = await fetch(url)
  return { status: response.status, body: await response.json() }
}

async function verify (issuer: LocalIssuer, token: string) {
  return await jwtVerify(token, createRemoteJWKSet(new URL(issuer.jwksUri)), {
    issuer: issuer.issuer,
    audience: issuer.audience,
    typ: 'at+jwt'
  })
}

t.test('serves both discovery forms without a path', async (t) => {
  const issuer = await startIssuer(t)
  t.match(issuer.issuer, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.equal(issuer.jwksUri, `${issuer.issuer}/jwks`)
  t.equal(issuer.audience, DEFAULT_AUDIENCE)
  const oidc = await getJSON(`${issuer.issuer}/.well-known/openid-configuration`)
  const rfc8414 = await getJSON(`${issuer.issuer}/.well-known/oauth-authorization-server`)
  t.equal(oidc.status, 200)
  t.equal(rfc8414.status, 200)
  t.same(rfc8414.body, oidc.body)
  t.match(oidc.body, {
    issuer: issuer.issuer,
    jwks_uri: issuer.jwksUri,
    authorization_endpoint: `${issuer.issuer}/authorize`,
    token_endpoint: `${issuer.issuer}/token`,
    id_token_signing_alg_values_supported: ['RS256', 'ES256']
  })
})

t.test('appends the issuer path for OIDC and inserts it for RFC 8414', async (t) => {
  const issuer = await startIssuer(t, { path: '/realms/demo' })
  const origin = new URL(issuer.issuer).origin
  t.equal(issuer.issuer, `${origin}/realms/demo`)
  const oidc = await getJSON(`${issuer.issuer}/.well-known/openid-configuration`)
  const rfc8414 = await getJSON(`${origin}/.well-known/oauth-authorization-server/realms/demo`)
  t.match(oidc.body, { issuer: issuer.issuer, jwks_uri: `${origin}/realms/demo/jwks` })
  t.same(rfc8414.body, oidc.body)
  t.equal((await getJSON(`${origin}/.well-known/openid-configuration`)).status, 404)
  t.equal((await getJSON(`${origin}/.well-known/oauth-authorization-server`)).status, 404)
  t.same((await getJSON(oidc.body.jwks_uri)).body, issuer.jwks())
})

t.test('publishes public keys only, with kid, alg and use', async (t) => {
  const issuer = await startIssuer(t)
  const { status, body } = await getJSON(issuer.jwksUri)
  t.equal(status, 200)
  t.same(body, issuer.jwks())
  t.same(body.keys.map((key: any) => [key.alg, key.use, key.kty]), [['RS256', 'sig', 'RSA'], ['ES256', 'sig', 'EC']])
  for (const key of body.keys) {
    t.type(key.kid, 'string')
    t.notOk('d' in key, `${key.alg} key has no private member`)
  }
  t.equal(body.keys[0].kid, issuer.keyPair().kid)
})

t.test('signs an access token that jose verifies against the served JWKS', async (t) => {
  const issuer = await startIssuer(t)
  const { payload, protectedHeader } = await verify(issuer, await issuer.sign())
  t.same(protectedHeader, { alg: 'RS256', typ: 'at+jwt', kid: issuer.keyPair().kid })
  t.match(payload, { iss: issuer.issuer, aud: DEFAULT_AUDIENCE, sub: 'user-1', jti: String })
  t.equal(payload.exp! - payload.iat!, 300)
  t.ok(Math.abs(payload.iat! - Date.now() / 1000) < 5)
})

t.test('signs with every supported algorithm', async (t) => {
  const issuer = await startIssuer(t, { algorithms: [...SIGNING_ALGORITHMS] })
  for (const alg of SIGNING_ALGORITHMS) {
    const { protectedHeader } = await verify(issuer, await issuer.sign({}, { alg }))
    t.equal(protectedHeader.alg, alg)
    t.equal(protectedHeader.kid, issuer.jwks().keys.find((key) => key.alg === alg)?.kid)
  }
})

t.test('claims override the defaults and undefined removes them', async (t) => {
  const issuer = await startIssuer(t)
  const token = await issuer.sign({ sub: 'admin', scope: 'read write', aud: ['a', 'b'], jti: undefined, iat: undefined })
  const payload = decodeJwt(token)
  t.match(payload, { sub: 'admin', scope: 'read write', aud: ['a', 'b'] })
  t.notOk('jti' in payload)
  t.notOk('iat' in payload)
  t.equal(decodeJwt(await issuer.sign({ exp: 42 }, { expiresIn: 9999 })).exp, 42)
  t.notOk('exp' in decodeJwt(await issuer.sign({ exp: undefined })))
  const short = decodeJwt(await issuer.sign({}, { expiresIn: 10 }))
  t.equal(short.exp! - short.iat!, 10)
  t.equal(decodeJwt(await issuer.sign({ exp: 'soon' })).exp, 'soon', 'invalid claims are sent as given')
})

t.test('kid and header options shape the protected header', async (t) => {
  const issuer = await startIssuer(t)
  t.equal(decodeProtectedHeader(await issuer.sign({}, { kid: 'other' })).kid, 'other')
  const header = decodeProtectedHeader(await issuer.sign({}, {
    header: { typ: 'JWT', jku: 'https://attacker.test/jwks', kid: undefined, crit: ['exp'], exp: 1 }
  }))
  t.same(header, { alg: 'RS256', typ: 'JWT', jku: 'https://attacker.test/jwks', crit: ['exp'], exp: 1 })
})

t.test('key option forges tokens that still name a real kid', async (t) => {
  const issuer = await startIssuer(t)
  const { kid, publicJwk } = issuer.keyPair()
  const secret = new TextEncoder().encode(JSON.stringify(publicJwk))
  const token = await issuer.sign({}, { alg: 'HS256', key: secret })
  t.same(decodeProtectedHeader(token), { alg: 'HS256', typ: 'at+jwt', kid })
  t.equal((await jwtVerify(token, secret)).payload.iss, issuer.issuer)
  await t.rejects(verify(issuer, token))
  const other = await createLocalIssuer({ algorithms: ['ES256'] })
  t.teardown(() => other.close())
  const forged = await issuer.sign({}, { alg: 'ES256', key: other.keyPair().privateKey })
  t.equal(decodeProtectedHeader(forged).kid, issuer.jwks().keys.find((key) => key.alg === 'ES256')?.kid)
  await t.rejects(verify(issuer, forged), { code: 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED' })
})

t.test('sign refuses an algorithm without a key', async (t) => {
  const issuer = await startIssuer(t)
  await t.rejects(issuer.sign({}, { alg: 'EdDSA' }), /No signing key for alg "EdDSA"/)
})

t.test('rotateKey adds a key and signs with it', async (t) => {
  const issuer = await startIssuer(t)
  const oldKid = issuer.keyPair().kid
  const ecKid = issuer.jwks().keys.find((key) => key.alg === 'ES256')?.kid
  const oldToken = await issuer.sign()
  const newKid = await issuer.rotateKey()
  t.not(newKid, oldKid)
  t.equal(issuer.keyPair().kid, newKid)
  t.same(issuer.jwks().keys.map((key) => key.kid), [oldKid, ecKid, newKid])
  t.equal((await verify(issuer, await issuer.sign())).protectedHeader.kid, newKid)
  t.ok(await verify(issuer, oldToken), 'tokens of the previous key still verify')
  const edKid = await issuer.rotateKey('EdDSA')
  t.equal((await verify(issuer, await issuer.sign({}, { alg: 'EdDSA' }))).protectedHeader.kid, edKid)
  await t.rejects(issuer.rotateKey('HS256'), TypeError)
})

t.test('removeKey unpublishes a key but keeps its pair', async (t) => {
  const issuer = await startIssuer(t)
  const oldKid = issuer.keyPair().kid
  const oldToken = await issuer.sign()
  await issuer.rotateKey()
  issuer.removeKey(oldKid)
  t.notOk(issuer.jwks().keys.some((key) => key.kid === oldKid))
  t.notOk((await getJSON(issuer.jwksUri)).body.keys.some((key: any) => key.kid === oldKid))
  await t.rejects(verify(issuer, oldToken), { code: 'ERR_JWKS_NO_MATCHING_KEY' })
  t.equal(issuer.keyPair(oldKid).kid, oldKid)
  t.throws(() => issuer.removeKey(oldKid), /already removed/)
  t.throws(() => issuer.removeKey('nope'), /Unknown kid "nope"/)
  t.throws(() => issuer.keyPair('nope'), /Unknown kid "nope"/)
})

t.test('counts hits per path and answers unknown paths and methods', async (t) => {
  const issuer = await startIssuer(t)
  await fetch(`${issuer.jwksUri}?x=1`)
  await fetch(issuer.jwksUri)
  t.equal((await fetch(`${issuer.issuer}/token`, { method: 'POST' })).status, 404)
  const post = await fetch(issuer.jwksUri, { method: 'POST' })
  t.equal(post.status, 405)
  t.equal(post.headers.get('allow'), 'GET, HEAD')
  const head = await fetch(issuer.jwksUri, { method: 'HEAD' })
  t.equal(head.status, 200)
  t.equal(await head.text(), '')
  t.same({ ...issuer.hits }, { '/jwks': 4, '/token': 1 })
})

t.test('rejects invalid options, naming each problem', async (t) => {
  await t.rejects(createLocalIssuer({ algorithms: ['HS256' as 'RS256'], audience: '', port: -1, path: '/trailing/' }), {
    name: 'TypeError',
    message: /options\.algorithms: .*\noptions\.audience: .*\noptions\.port: .*\noptions\.path: /
  })
  await t.rejects(createLocalIssuer({ algorithms: ['ES256', 'ES256'] }), /options\.algorithms: expected no duplicates/)
})

t.test('close is idempotent and frees the port', async (t) => {
  const issuer = await createLocalIssuer()
  await issuer.close()
  await issuer.close()
  await t.rejects(fetch(issuer.jwksUri))
})

t.test('encodeJWT base64url-encodes without signing', async (t) => {
  const token = encodeJWT({ alg: 'none' }, { sub: 'admin' })
  t.equal(token, 'eyJhbGciOiJub25lIn0.eyJzdWIiOiJhZG1pbiJ9.')
  t.same(decodeProtectedHeader(token), { alg: 'none' })
  const raw = encodeJWT({ alg: 'RS256' }, '{"sub":"a","sub":"b"}', 'c2ln')
  const [, payload, signature] = raw.split('.')
  t.equal(Buffer.from(payload, 'base64url').toString(), '{"sub":"a","sub":"b"}')
  t.equal(signature, 'c2ln')
  t.notMatch(raw, /[+/=]/)
})
