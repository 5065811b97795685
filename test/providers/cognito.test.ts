// Amazon Cognito user pool access tokens: RS256, no `typ`, issuer
// "https://cognito-idp.<region>.amazonaws.com/<userPoolId>", NO `aud`, `client_id`,
// `token_use` "access", `scope` string, `cognito:groups`, `username`. ID tokens carry
// `aud` = client ID and `token_use` "id". Settings from docs/providers/cognito.md.
import t from 'tap'
import type { AccessTokenClaims } from '../../lib/index.js'
import { providerApp } from '../fixtures/provider-app.js'

const ISSUER = 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEfGhI'
const CLIENT_IDS = ['1example23456789', '7swaggerui0000000000000000']

/** The documented check: an access token of one of our app clients. */
const cognitoAccessToken = (claims: Readonly<AccessTokenClaims>): boolean =>
  claims.token_use === 'access' && typeof claims.client_id === 'string' && CLIENT_IDS.includes(claims.client_id)

const { app, token, get } = await providerApp(t, { issuer: ISSUER, dangerouslyAllowAnyAudience: true, claims: { permissions: 'cognito:groups' } })
app.get('/items', { onRequest: app.authenticate({ scopes: ['https://api.example.com/items.read'], claims: cognitoAccessToken }) }, async () => ({ items: [] }))
app.get('/admin', { onRequest: app.authenticate({ permissions: ['admins'], claims: cognitoAccessToken }) }, async () => ({ admin: true }))

const accessToken = (claims: Record<string, unknown> = {}) => ({
  iss: ISSUER,
  sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee',
  client_id: CLIENT_IDS[0],
  token_use: 'access',
  scope: 'openid https://api.example.com/items.read',
  auth_time: Math.floor(Date.now() / 1000) - 10,
  username: 'ada',
  'cognito:groups': ['admins'],
  origin_jti: 'c2a1-origin',
  event_id: 'e-1',
  version: 2,
  jti: 'j-1',
  ...claims
})

t.test('a Cognito access token (no aud) is accepted with scopes and groups as permissions', async (t) => {
  const res = await get('/whoami', await token(accessToken()))
  t.equal(res.status, 200)
  t.match(res.body, { id: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', scopes: ['openid', 'https://api.example.com/items.read'], permissions: ['admins'] })
  t.equal((await get('/items', await token(accessToken()))).status, 200)
  t.equal((await get('/admin', await token(accessToken()))).status, 200)
})

t.test('a Cognito token of another app client is 403 OAUTH_GUARD_CLAIMS_REJECTED', async (t) => {
  const res = await get('/items', await token(accessToken({ client_id: 'someone-elses-client' })))
  t.equal(res.status, 403)
  t.equal(res.body.code, 'OAUTH_GUARD_CLAIMS_REJECTED')
})

t.test('a Cognito ID token sent as an access token is refused', async (t) => {
  const idToken = await token({ iss: ISSUER, sub: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', aud: CLIENT_IDS[0], token_use: 'id', 'cognito:username': 'ada', email: 'ada@example.com', 'cognito:groups': ['admins'] })
  const admin = await get('/admin', idToken)
  t.equal(admin.status, 403)
  t.equal(admin.body.code, 'OAUTH_GUARD_CLAIMS_REJECTED')
  t.equal((await get('/items', idToken)).status, 403)
})

t.test('a token from another user pool is 401 invalid_token', async (t) => {
  const res = await get('/items', await token(accessToken({ iss: 'https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Other' })))
  t.equal(res.status, 401)
})

t.test('a missing Cognito group is 403 OAUTH_GUARD_INSUFFICIENT_PERMISSIONS', async (t) => {
  const res = await get('/admin', await token(accessToken({ 'cognito:groups': ['readers'] })))
  t.equal(res.status, 403)
  t.equal(res.body.code, 'OAUTH_GUARD_INSUFFICIENT_PERMISSIONS')
})
