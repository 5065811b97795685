import t from 'tap'
import type { AuthContext } from '../../lib/token/auth-context.js'
import { DEFAULT_USERINFO_MAX_ENTRIES, UserinfoClient } from '../../lib/token/userinfo.js'
import { startEndpoints, type EndpointServer } from '../fixtures/oauth-endpoints.js'

function client (endpoints: EndpointServer, ttl = 60_000): UserinfoClient {
  return new UserinfoClient({ endpoint: async () => `${endpoints.origin}/userinfo`, ttl, maxEntries: DEFAULT_USERINFO_MAX_ENTRIES, timeout: 1000, retryAfter: 5000, realm: 'api' })
}

function auth (claims: Record<string, unknown>, scopes: string[], token = 'token-abcdefghijklmnop'): AuthContext {
  return { id: String(claims.sub), clientId: null, scopes, permissions: [], token, claims: { iss: 'https://idp.example', ...claims }, expiresAt: new Date(Date.now() + 60_000), method: 'jwt' }
}

t.test('concurrent calls for one subject and scopes share one request', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/userinfo', { body: { sub: 'u1', name: 'Ada' } })
  const userinfo = client(endpoints, 0)
  const results = await Promise.all(Array.from({ length: 20 }, async () => await userinfo.get(auth({ sub: 'u1' }, ['openid']))))
  t.ok(results.every((r) => r.name === 'Ada'))
  t.equal(endpoints.calls('/userinfo'), 1)
})

t.test('the key is issuer, subject and the set of scopes (their order does not matter)', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/userinfo', (request) => ({ body: { sub: request.headers.authorization === 'Bearer token-u2-xxxxxxxxxxxx' ? 'u2' : 'u1' } }))
  const userinfo = client(endpoints)
  await userinfo.get(auth({ sub: 'u1' }, ['openid', 'email']))
  await userinfo.get(auth({ sub: 'u1' }, ['email', 'openid']))
  t.equal(endpoints.calls('/userinfo'), 1)
  await userinfo.get(auth({ sub: 'u1', iss: 'https://other.example' }, ['openid', 'email']))
  t.equal(endpoints.calls('/userinfo'), 2, 'another issuer')
  await userinfo.get(auth({ sub: 'u2' }, ['openid', 'email'], 'token-u2-xxxxxxxxxxxx'))
  t.equal(endpoints.calls('/userinfo'), 3, 'another subject')
})

t.test('the sub check uses the token\'s sub claim, not a remapped ID', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/userinfo', { body: { sub: 'okta-login@example.com' } })
  const userinfo = client(endpoints)
  const info = await userinfo.get({ ...auth({ sub: 'okta-login@example.com', uid: '00u1' }, ['openid']), id: '00u1' })
  t.equal(info.sub, 'okta-login@example.com')
  await t.rejects(userinfo.get(auth({ sub: 'other' }, ['profile'])), { code: 'OAUTH_GUARD_USERINFO_FAILED', statusCode: 502 })
})

t.test('without sub or iss claims, the key and the check use the ID (e.g. an Okta uid) alone', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/userinfo', { body: { sub: 'whatever-the-provider-says' } })
  const userinfo = client(endpoints)
  const bare = { ...auth({}, ['openid']), id: '00u1', claims: {} }
  t.equal((await userinfo.get(bare)).sub, 'whatever-the-provider-says')
  await userinfo.get(bare)
  t.equal(endpoints.calls('/userinfo'), 1)
})

t.test('errors carry the realm', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/userinfo', { status: 401 })
  await t.rejects(client(endpoints).get(auth({ sub: 'u1' }, [])), {
    code: 'OAUTH_GUARD_INVALID_TOKEN',
    statusCode: 401,
    headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_token", error_description="The access token is invalid"' }
  })
})
