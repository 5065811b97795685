// Keycloak access tokens: RS256, header `typ` "JWT", payload `typ` "Bearer", issuer
// ".../realms/<realm>", `aud` (your API's client ID once an audience mapper adds it, often with
// "account"), `azp`, `scope` string, `realm_access.roles`, `resource_access.<client>.roles`,
// `preferred_username`, `acr`. Settings from docs/providers/keycloak.md.
import t from 'tap'
import { providerApp } from '../fixtures/provider-app.js'

const ISSUER = 'https://sso.example.com/realms/demo'
const AUDIENCE = 'items-api'

const { app, token, get } = await providerApp(t, { issuer: ISSUER, audience: AUDIENCE, claims: { permissions: 'realm_access.roles' } })
app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => ({ items: [] }))
app.get('/items/delete', { onRequest: app.authenticate({ permissions: ['items-admin'] }) }, async () => ({ deleted: true }))
app.get('/items/client-role', {
  onRequest: app.authenticate({ claims: (claims) => ((claims.resource_access as Record<string, { roles?: string[] }> | undefined)?.[AUDIENCE]?.roles ?? []).includes('writer') })
}, async () => ({ ok: true }))
app.get('/strong', { onRequest: app.authenticate({ acr: ['gold'] }) }, async () => ({ ok: true }))

const accessToken = (claims: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: 'f1e2d3c4-b5a6-4789-8abc-def012345678',
  aud: [AUDIENCE, 'account'],
  typ: 'Bearer',
  azp: 'swagger-ui',
  sid: 'b1c2d3e4',
  acr: '1',
  scope: 'openid profile email items:read',
  realm_access: { roles: ['offline_access', 'uma_authorization', 'items-admin'] },
  resource_access: { [AUDIENCE]: { roles: ['writer'] }, account: { roles: ['manage-account'] } },
  preferred_username: 'ada',
  ...claims
})

t.test('a Keycloak access token: scope string, realm roles as permissions', async (t) => {
  const res = await get('/whoami', await token(accessToken(), { typ: 'JWT' }))
  t.equal(res.status, 200)
  t.match(res.body, { scopes: ['openid', 'profile', 'email', 'items:read'], permissions: ['offline_access', 'uma_authorization', 'items-admin'] })
  t.equal((await get('/items/delete', await token(accessToken(), { typ: 'JWT' }))).status, 200)
})

t.test('a missing realm role is 403 OAUTH_GUARD_INSUFFICIENT_PERMISSIONS', async (t) => {
  const res = await get('/items/delete', await token(accessToken({ realm_access: { roles: ['offline_access'] } }), { typ: 'JWT' }))
  t.equal(res.status, 403)
  t.equal(res.body.code, 'OAUTH_GUARD_INSUFFICIENT_PERMISSIONS')
})

t.test('client roles (resource_access) through a claims check', async (t) => {
  t.equal((await get('/items/client-role', await token(accessToken(), { typ: 'JWT' }))).status, 200)
  const res = await get('/items/client-role', await token(accessToken({ resource_access: {} }), { typ: 'JWT' }))
  t.equal(res.status, 403)
  t.equal(res.body.code, 'OAUTH_GUARD_CLAIMS_REJECTED')
})

t.test('Keycloak acr levels: "1" on a route asking "gold" is 401 with acr_values', async (t) => {
  const res = await get('/strong', await token(accessToken(), { typ: 'JWT' }))
  t.equal(res.status, 401)
  t.match(res.challenge, /error="insufficient_user_authentication".*acr_values="gold", DPoP algs="[^"]+"$/)
  t.equal((await get('/strong', await token(accessToken({ acr: 'gold' }), { typ: 'JWT' }))).status, 200)
})

t.test('a token without the audience mapper (aud "account" only) is 401 invalid_token', async (t) => {
  const res = await get('/items', await token(accessToken({ aud: 'account' }), { typ: 'JWT' }))
  t.equal(res.status, 401)
  t.equal(res.body.code, 'OAUTH_GUARD_INVALID_TOKEN')
})
