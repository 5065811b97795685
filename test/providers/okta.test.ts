// Okta custom authorization server access tokens: RS256, no `typ`, `ver`, `jti` "AT....", `aud`
// (default "api://default"), `cid` (client), `uid` (user ID), `sub` (login, or the client ID for
// client credentials), `scp` as an array, optional `groups`. Settings from docs/providers/okta.md.
import t from 'tap'
import { activeAnswer, endpointsApp, startEndpoints } from '../fixtures/oauth-endpoints.js'
import { providerApp } from '../fixtures/provider-app.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const ISSUER = 'https://dev-123456.okta.com/oauth2/default'
const AUDIENCE = 'api://default'

const { app, token, get } = await providerApp(t, { issuer: ISSUER, audience: AUDIENCE, claims: { permissions: 'groups' } })
app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => ({ items: [] }))
app.get('/admin', { onRequest: app.authenticate({ permissions: ['Admins'] }) }, async () => ({ admin: true }))

const now = () => Math.floor(Date.now() / 1000)
const userToken = (claims: Record<string, unknown> = {}) => ({
  ver: 1,
  jti: 'AT.x3PpyQ8Ntx6ONlm7V9s3QMtZq0fhmCEhyEqp1ylJmKE',
  iss: ISSUER,
  aud: AUDIENCE,
  cid: '0oa1b2c3d4e5f6g7h8i9',
  uid: '00u1a2b3c4d5e6f7g8h9',
  sub: 'ada@example.com',
  scp: ['openid', 'profile', 'items:read'],
  auth_time: now() - 60,
  groups: ['Everyone', 'Admins'],
  ...claims
})

t.test('an Okta user token: scp array read as scopes, sub as ID, uid and cid kept in claims', async (t) => {
  const res = await get('/whoami', await token(userToken()))
  t.equal(res.status, 200)
  t.match(res.body, { id: 'ada@example.com', scopes: ['openid', 'profile', 'items:read'], claims: { uid: '00u1a2b3c4d5e6f7g8h9', cid: '0oa1b2c3d4e5f6g7h8i9' } })
  t.equal((await get('/items', await token(userToken()))).status, 200)
})

t.test('an Okta client-credentials token (sub = cid, no uid) is accepted', async (t) => {
  const machine = await token({ ...userToken({ sub: '0oa1b2c3d4e5f6g7h8i9', scp: ['items:read'] }), uid: undefined, auth_time: undefined, groups: undefined })
  const res = await get('/items', machine)
  t.equal(res.status, 200)
})

t.test('an Okta token\'s cid is request.auth.clientId', async (t) => {
  t.match((await get('/whoami', await token(userToken()))).body, { clientId: '0oa1b2c3d4e5f6g7h8i9' })
})

t.test('the recipe\'s local validation: claims.id uid and clients [cid] accept both token kinds, refuse other clients', async (t) => {
  const recipe = await providerApp(t, { issuer: ISSUER, audience: AUDIENCE, claims: { id: 'uid' }, clients: ['0oa1b2c3d4e5f6g7h8i9'] })
  const user = await recipe.get('/whoami', await recipe.token(userToken()))
  t.match(user, { status: 200, body: { id: '00u1a2b3c4d5e6f7g8h9', clientId: '0oa1b2c3d4e5f6g7h8i9' } })
  const machine = await recipe.get('/whoami', await recipe.token({ ...userToken({ sub: '0oa1b2c3d4e5f6g7h8i9' }), uid: undefined }))
  t.match(machine, { status: 200, body: { id: '0oa1b2c3d4e5f6g7h8i9', clientId: '0oa1b2c3d4e5f6g7h8i9' } }, 'no uid: id falls back to cid')
  const other = await recipe.get('/whoami', await recipe.token(userToken({ cid: '0oaOTHERCLIENT000000' })))
  t.equal(other.status, 401)
  t.equal(other.challenge, 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER)
})

t.test('Okta groups as permissions with claims.permissions: "groups"', async (t) => {
  t.equal((await get('/admin', await token(userToken()))).status, 200)
  const res = await get('/admin', await token(userToken({ groups: ['Everyone'] })))
  t.equal(res.status, 403)
  t.equal(res.body.code, 'OAUTH_GUARD_INSUFFICIENT_PERMISSIONS')
})

t.test('an Okta token without the scope is 403 naming it; one from the org server (another iss) is 401', async (t) => {
  const res = await get('/items', await token(userToken({ scp: ['openid'] })))
  t.equal(res.status, 403)
  t.match(res.challenge, /scope="items:read"$/)
  t.equal((await get('/items', await token(userToken({ iss: 'https://dev-123456.okta.com' })))).status, 401)
})

t.test('an Okta introspection answer (validation: introspection) is accepted with its scope string', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', {
    body: {
      ...activeAnswer(endpoints),
      iss: ISSUER,
      aud: AUDIENCE,
      scope: 'openid items:read',
      username: 'ada@example.com',
      sub: 'ada@example.com',
      uid: '00u1a2b3c4d5e6f7g8h9',
      client_id: '0oa1b2c3d4e5f6g7h8i9',
      token_type: 'Bearer'
    }
  })
  const api = await endpointsApp(t, endpoints, { issuer: ISSUER, audience: AUDIENCE })
  const res = await api.inject({ url: '/items', headers: { authorization: 'Bearer opaque-okta-reference-token-0123456789' } })
  t.equal(res.statusCode, 200)
  t.equal(res.json().id, 'ada@example.com')
})
