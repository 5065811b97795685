// Auth0 access tokens for an API: RS256, `typ` "JWT" (or "at+jwt" with the RFC 9068 profile),
// issuer with a trailing slash, `aud` = [API identifier, userinfo URL], `azp`, `scope`,
// `permissions` (RBAC with "Add Permissions in the Access Token"), M2M: `sub` "<client>@clients",
// `gty`. Settings from docs/providers/auth0.md.
import t from 'tap'
import { providerApp } from '../fixtures/provider-app.js'

const ISSUER = 'https://example.eu.auth0.com/'
const AUDIENCE = 'https://api.example.com'

const { app, token, get } = await providerApp(t, { issuer: ISSUER, audience: AUDIENCE })
app.get('/items', { schema: { security: [{ oauth2: ['read:items'] }] } }, async () => ({ items: [] }))
app.get('/items/delete', { onRequest: app.authenticate({ permissions: ['delete:items'] }) }, async () => ({ deleted: true }))

const userToken = (claims: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: 'auth0|64f1c2d3e4b5a6978899aabb',
  aud: [AUDIENCE, `${ISSUER}userinfo`],
  azp: 'Sw4gg3rUiCl1entId0000000000000',
  scope: 'openid profile read:items',
  permissions: ['read:items', 'delete:items'],
  ...claims
})

t.test('an Auth0 user token: aud array, scope string, RBAC permissions', async (t) => {
  const res = await get('/whoami', await token(userToken(), { typ: 'JWT' }))
  t.equal(res.status, 200)
  t.match(res.body, { id: 'auth0|64f1c2d3e4b5a6978899aabb', scopes: ['openid', 'profile', 'read:items'], permissions: ['read:items', 'delete:items'] })
  t.equal((await get('/items/delete', await token(userToken(), { typ: 'at+jwt' }))).status, 200, 'RFC 9068 profile')
})

t.test('an Auth0 M2M token (sub "<client>@clients", gty) is accepted', async (t) => {
  const m2m = await token({ iss: ISSUER, sub: 'M2mClientId0000000000000000000@clients', aud: AUDIENCE, azp: 'M2mClientId0000000000000000000', gty: 'client-credentials', scope: 'read:items', permissions: ['read:items'] }, { typ: 'JWT' })
  const res = await get('/items', m2m)
  t.equal(res.status, 200)
})

t.test('an Auth0 token without the RBAC permission is 403 OAUTH_GUARD_INSUFFICIENT_PERMISSIONS', async (t) => {
  const res = await get('/items/delete', await token(userToken({ permissions: ['read:items'] }), { typ: 'JWT' }))
  t.equal(res.status, 403)
  t.equal(res.body.code, 'OAUTH_GUARD_INSUFFICIENT_PERMISSIONS')
})

t.test('the issuer without its trailing slash, or a token only for /userinfo, is 401 invalid_token', async (t) => {
  for (const claims of [userToken({ iss: 'https://example.eu.auth0.com' }), userToken({ aud: `${ISSUER}userinfo` })]) {
    const res = await get('/items', await token(claims, { typ: 'JWT' }))
    t.equal(res.status, 401)
    t.equal(res.body.code, 'OAUTH_GUARD_INVALID_TOKEN')
  }
})

t.test('an Auth0 ID token (aud = client ID) is 401: it is not for this API', async (t) => {
  const idToken = await token({ iss: ISSUER, sub: 'auth0|64f1c2d3e4b5a6978899aabb', aud: 'Sw4gg3rUiCl1entId0000000000000', nonce: 'n', name: 'Ada' }, { typ: 'JWT' })
  t.equal((await get('/whoami', idToken)).status, 401)
})
