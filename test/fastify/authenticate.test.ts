import Fastify from 'fastify'
import { connect, type AddressInfo } from 'node:net'
import t from 'tap'
import oauthGuard from '../../lib/index.js'
import { guardedApp } from '../fixtures/guarded-app.js'
import { DPOP_OFFER, NO_CREDENTIALS } from '../fixtures/challenges.js'

const INVALID_REQUEST = 'Bearer error="invalid_request", error_description="Malformed Bearer credentials"'
const INVALID_TOKEN = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER

t.test('no credentials: 401, bare Bearer challenge, no error attribute', async (t) => {
  const { app, handled } = await guardedApp(t)
  for (const url of ['/items', '/user', '/admin']) {
    const res = await app.inject({ url })
    t.equal(res.statusCode, 401, url)
    t.equal(res.headers['www-authenticate'], NO_CREDENTIALS)
    t.same(res.json(), { statusCode: 401, code: 'OAUTH_GUARD_MISSING_TOKEN', error: 'Unauthorized', message: 'Bearer access token required' })
  }
  t.equal(handled.count, 0)
})

t.test('another scheme (Basic) is no credentials: 401 bare Bearer', async (t) => {
  const { app, handled } = await guardedApp(t)
  const res = await app.inject({ url: '/user', headers: { authorization: 'Basic dXNlcjpwYXNz' } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], NO_CREDENTIALS)
  t.equal(handled.count, 0)
})

t.test('malformed Bearer credentials: 400 invalid_request', async (t) => {
  const { app, handled } = await guardedApp(t)
  for (const authorization of ['Bearer', 'Bearer a b', 'Bearer a,b', 'Bearer "x"']) {
    const res = await app.inject({ url: '/user', headers: { authorization } })
    t.equal(res.statusCode, 400, authorization)
    t.equal(res.headers['www-authenticate'], INVALID_REQUEST)
    t.same(res.json(), { statusCode: 400, code: 'OAUTH_GUARD_INVALID_REQUEST', error: 'Bad Request', message: 'Malformed Bearer credentials' })
  }
  t.equal(handled.count, 0)
})

t.test('a valid JWT with one character outside b64token is still 400 invalid_request, whatever the key state', async (t) => {
  // The b64token check is left to after the JWT fast path, which must refuse such a token first.
  const { app, issuer, handled } = await guardedApp(t)
  const token = await issuer.sign({})
  // Once with the key not yet fetched, once with it known (the synchronous fast path).
  for (const round of [1, 2]) {
    for (const broken of [`${token}!`, token.replace('.', '.!'), `${token.slice(0, 10)}\u00e9${token.slice(10)}`, `${token.slice(0, 10)}%${token.slice(11)}`]) {
      const res = await app.inject({ url: '/user', headers: { authorization: `Bearer ${broken}` } })
      t.equal(res.statusCode, 400, `round ${round}`)
      t.equal(res.headers['www-authenticate'], INVALID_REQUEST)
    }
    t.equal((await app.inject({ url: '/user', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
  }
  t.equal(handled.count, 2)
})

t.test('several Authorization headers on the wire: 400 invalid_request', async (t) => {
  const { app, bearer, handled } = await guardedApp(t)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { authorization } = await bearer({ scope: 'items:read' })
  // fetch would fold both into one line; a raw socket sends two header lines as an attacker would.
  const response = await rawRequest((app.server.address() as AddressInfo).port, `GET /user HTTP/1.1\r\nHost: x\r\nAuthorization: ${authorization}\r\nAuthorization: ${authorization}\r\nConnection: close\r\n\r\n`)
  t.match(response, /^HTTP\/1.1 400 /)
  t.match(response, /\r\nwww-authenticate: Bearer error="invalid_request", error_description="More than one Authorization header"\r\n/)
  t.equal(handled.count, 0)
})

t.test('a token in the query string: 400 invalid_request, even with a valid header', async (t) => {
  const { app, bearer, handled } = await guardedApp(t)
  const headers = await bearer()
  const res = await app.inject({ url: '/user?access_token=abc', headers })
  t.equal(res.statusCode, 400)
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_request", error_description="Access tokens are not accepted in the query string"')
  t.equal(handled.count, 0)
})

t.test('a token in a form body is never read: 401 as without credentials', async (t) => {
  const { app, issuer, handled } = await guardedApp(t)
  app.post('/form', { onRequest: app.authenticate }, async () => 'reached')
  const res = await app.inject({ method: 'POST', url: '/form', payload: `access_token=${await issuer.sign()}`, headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], NO_CREDENTIALS)
  t.equal(handled.count, 0)
})

t.test('an invalid token: 401 invalid_token, and the body never echoes it', async (t) => {
  const { app, handled } = await guardedApp(t)
  const res = await app.inject({ url: '/user', headers: { authorization: 'Bearer not.a.jwt' } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
  t.same(res.json(), { statusCode: 401, code: 'OAUTH_GUARD_INVALID_TOKEN', error: 'Unauthorized', message: 'The access token is invalid' })
  t.notMatch(res.body, 'not.a.jwt')
  t.equal(handled.count, 0)
})

t.test('a valid token: request.auth has id, scopes, token, claims, expiresAt', async (t) => {
  const { app, issuer } = await guardedApp(t)
  const token = await issuer.sign({ sub: 'alice', scope: 'items:read extra', client_id: 'c1' })
  const res = await app.inject({ url: '/items', headers: { authorization: `Bearer ${token}` } })
  t.equal(res.statusCode, 200)
  const { auth } = res.json()
  t.equal(auth.id, 'alice')
  t.same(auth.scopes, ['items:read', 'extra'])
  t.equal(auth.token, token)
  t.equal(auth.claims.client_id, 'c1')
  t.equal(auth.method, 'jwt')
  t.equal(new Date(auth.expiresAt).getTime(), auth.claims.exp * 1000)
})

t.test('the scheme name is matched case-insensitively', async (t) => {
  const { app, issuer } = await guardedApp(t)
  const res = await app.inject({ url: '/user', headers: { authorization: `bEaReR ${await issuer.sign()}` } })
  t.equal(res.statusCode, 200)
})

t.test('a missing scope: 403 insufficient_scope with the scope attribute', async (t) => {
  const { app, bearer, handled } = await guardedApp(t)
  const headers = await bearer({ scope: 'items:read' })
  const res = await app.inject({ url: '/admin', headers })
  t.equal(res.statusCode, 403)
  t.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="admin"')
  t.same(res.json(), { statusCode: 403, code: 'OAUTH_GUARD_INSUFFICIENT_SCOPE', error: 'Forbidden', message: 'The access token does not grant the required scope' })
  t.equal(handled.count, 0)
  const items = await app.inject({ url: '/items', headers: await bearer({ scope: 'other' }) })
  t.equal(items.statusCode, 403)
  t.match(items.headers['www-authenticate'], /scope="items:read"$/)
})

t.test('optional: anonymous gets auth null, a valid token gets auth, an invalid token gets 401', async (t) => {
  const { app, bearer } = await guardedApp(t)
  t.same((await app.inject({ url: '/maybe' })).json(), { auth: null })
  t.equal((await app.inject({ url: '/maybe', headers: await bearer() })).json().auth.id, 'user-1')
  const bad = await app.inject({ url: '/maybe', headers: { authorization: 'Bearer abc' } })
  t.equal(bad.statusCode, 401)
  t.equal(bad.headers['www-authenticate'], INVALID_TOKEN)
})

t.test('public routes stay public, tokens or not', async (t) => {
  const { app } = await guardedApp(t)
  for (const url of ['/public', '/open']) {
    t.equal((await app.inject({ url })).statusCode, 200)
    t.equal((await app.inject({ url, headers: { authorization: 'Bearer garbage' } })).statusCode, 200)
  }
})

t.test('HEAD routes are protected like their GET', async (t) => {
  const { app, bearer } = await guardedApp(t)
  for (const url of ['/items', '/user', '/admin']) {
    const res = await app.inject({ method: 'HEAD', url })
    t.equal(res.statusCode, 401, url)
    t.equal(res.headers['www-authenticate'], NO_CREDENTIALS)
  }
  t.equal((await app.inject({ method: 'HEAD', url: '/items', headers: await bearer({ scope: 'items:read' }) })).statusCode, 200)
})

t.test('runs before body parsing: a refused POST never has its body parsed', async (t) => {
  const { app } = await guardedApp(t)
  let parsed = 0
  app.addContentTypeParser('application/x-test', (_req, _payload, done) => { parsed++; done(null, {}) })
  app.post('/upload', { schema: { security: [{ oauth2: [] }] } }, async () => 'ok')
  const res = await app.inject({ method: 'POST', url: '/upload', payload: 'x', headers: { 'content-type': 'application/x-test' } })
  t.equal(res.statusCode, 401)
  t.equal(parsed, 0)
})

t.test('schema.security and a hook together: both apply, the token is verified once', async (t) => {
  const { app, bearer, issuer } = await guardedApp(t)
  app.get('/both', { schema: { security: [{ oauth2: ['a'] }] }, onRequest: app.authenticate({ scopes: ['b'] }) }, async (req) => req.auth?.scopes)
  t.equal((await app.inject({ url: '/both', headers: await bearer({ scope: 'a' }) })).statusCode, 403)
  t.equal((await app.inject({ url: '/both', headers: await bearer({ scope: 'b' }) })).statusCode, 403)
  const res = await app.inject({ url: '/both', headers: await bearer({ scope: 'a b' }) })
  t.equal(res.statusCode, 200)
  t.equal(issuer.hits['/jwks'], 1)
})

t.test("works with the user's own error handler, which keeps the challenge header", async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'http://127.0.0.1:9', audience: 'x' })
  app.setErrorHandler((error: Error & { statusCode?: number, code?: string }, _request, reply) => {
    reply.status(error.statusCode ?? 500).send({ failed: error.code })
  })
  app.get('/user', { onRequest: app.authenticate }, async () => 'ok')
  const res = await app.inject({ url: '/user' })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], NO_CREDENTIALS)
  t.same(res.json(), { failed: 'OAUTH_GUARD_MISSING_TOKEN' })
})

t.test('realm is added to every challenge when configured', async (t) => {
  const { app } = await guardedApp(t, { realm: 'example' })
  t.equal((await app.inject({ url: '/user' })).headers['www-authenticate'], 'Bearer realm="example", DPoP realm="example", algs="ES256 RS256 PS256 EdDSA"')
  t.equal((await app.inject({ url: '/user', headers: { authorization: 'Bearer x' } })).headers['www-authenticate'], 'Bearer realm="example", error="invalid_token", error_description="The access token is invalid", DPoP realm="example", algs="ES256 RS256 PS256 EdDSA"')
})

t.test('authenticate options are checked when the route is added', async (t) => {
  const { app } = await guardedApp(t)
  t.throws(() => app.authenticate({ scopes: 'admin' } as never), { code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY' })
  t.throws(() => app.authenticate({ scope: ['admin'] } as never), /unknown option/)
  t.throws(() => app.authenticate({ optional: 1 } as never), /optional: expected a boolean/)
  t.throws(() => app.authenticate({ claims: true } as never), /claims: expected a function/)
  t.throws(() => app.authenticate(null as never), /expected an options object/)
  t.type(app.authenticate(), 'function', 'no options is a plain required-token hook')
})

async function rawRequest (port: number, request: string): Promise<string> {
  return await new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(request))
    let response = ''
    socket.setEncoding('utf8')
    socket.on('data', (chunk: string) => { response += chunk })
    socket.on('end', () => resolve(response))
    socket.on('error', reject)
  })
}
