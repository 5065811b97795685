// Fief access tokens: RS256, no `typ`, `aud` = [client ID], `azp`, `scope`, `permissions`, `acr` ("0"/"1"), `auth_time`.
// Settings from docs/providers/fief.md.
import t from 'tap'
import { providerApp } from '../fixtures/provider-app.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const ISSUER = 'https://example.fief.dev'
const CLIENT_ID = 'x2Xg5sYbBvzDgAnmyPVbq9J4JfG3Rk4a'
const USER_ID = '9c1a3b2e-3f3e-4a5b-8c7d-6e5f4a3b2c1d'

const { app, token, get } = await providerApp(t, { issuer: ISSUER, audience: CLIENT_ID })
app.get('/castles', { schema: { security: [{ oauth2: ['openid'] }] } }, async () => ({ castles: [] }))
app.get('/castles/delete', { onRequest: app.authenticate({ scopes: ['openid'], permissions: ['castles:delete'] }) }, async () => ({ deleted: true }))
app.get('/billing', { onRequest: app.authenticate({ scopes: ['openid'], acr: '1', maxAge: 600 }) }, async () => ({ billing: true }))

const now = () => Math.floor(Date.now() / 1000)
const accessToken = (claims: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: USER_ID,
  aud: [CLIENT_ID],
  azp: CLIENT_ID,
  auth_time: now() - 30,
  acr: '1',
  scope: 'openid offline_access',
  permissions: ['castles:read', 'castles:delete'],
  ...claims
})

t.test('a Fief access token is accepted: ID from sub, scopes, permissions', async (t) => {
  const res = await get('/whoami', await token(accessToken()))
  t.equal(res.status, 200)
  t.match(res.body, { id: USER_ID, scopes: ['openid', 'offline_access'], permissions: ['castles:read', 'castles:delete'], method: 'jwt' })
  t.equal((await get('/castles/delete', await token(accessToken()))).status, 200)
})

t.test('a missing Fief permission is 403 OAUTH_GUARD_INSUFFICIENT_PERMISSIONS', async (t) => {
  const res = await get('/castles/delete', await token(accessToken({ permissions: ['castles:read'] })))
  t.equal(res.status, 403)
  t.equal(res.body.code, 'OAUTH_GUARD_INSUFFICIENT_PERMISSIONS')
})

t.test('ACR "0" (a reused session) on a route asking "1" is 401 with acr_values="1" and max_age', async (t) => {
  t.equal((await get('/billing', await token(accessToken()))).status, 200)
  const res = await get('/billing', await token(accessToken({ acr: '0' })))
  t.equal(res.status, 401)
  t.equal(res.challenge, 'Bearer error="insufficient_user_authentication", error_description="A stronger authentication level is required", acr_values="1", max_age="600"' + DPOP_OFFER)
  t.equal((await get('/billing', await token(accessToken({ auth_time: now() - 3600 })))).status, 401, 'password entered too long ago')
})

t.test('a token for another Fief client is 401 invalid_token', async (t) => {
  const res = await get('/castles', await token(accessToken({ aud: ['another-client'], azp: 'another-client' })))
  t.equal(res.status, 401)
  t.equal(res.body.code, 'OAUTH_GUARD_INVALID_TOKEN')
})

t.test('a Fief ID token (same aud, no scope) is refused by routes that require the openid scope', async (t) => {
  const idToken = await token({ iss: ISSUER, sub: USER_ID, aud: [CLIENT_ID], azp: CLIENT_ID, email: 'ada@example.com', at_hash: 'x', tenant_id: 't1' })
  const res = await get('/castles', idToken)
  t.equal(res.status, 403)
  t.equal(res.body.code, 'OAUTH_GUARD_INSUFFICIENT_SCOPE')
})
