// Microsoft Entra ID access tokens for your own API: RS256, header `typ` "JWT". v2.0 tokens
// (accessTokenAcceptedVersion: 2): issuer "https://login.microsoftonline.com/<tenant>/v2.0",
// `aud` = the API's application (client) ID, `azp`. v1.0 tokens: issuer
// "https://sts.windows.net/<tenant>/", `aud` = the Application ID URI, `appid`. Both: `scp` as a
// space-separated string (delegated), `roles` (app roles; app-only tokens have no `scp`), `oid`,
// `tid`. Settings from docs/providers/entra-id.md.
import t from 'tap'
import { providerApp } from '../fixtures/provider-app.js'

const TENANT = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const API_CLIENT_ID = '6e74172b-be56-4843-9ff4-e66a39bb12e3'
const APP_ID_URI = 'api://items-api'
const SWAGGER_CLIENT_ID = '1950a258-227b-4e31-a9cf-717495945fc2'
const USER_OID = '690222be-ff1a-4d56-abd1-7e4f7d38e474'
const V2 = `https://login.microsoftonline.com/${TENANT}/v2.0`
const V1 = `https://sts.windows.net/${TENANT}/`
const SETTINGS = { audience: [API_CLIENT_ID, APP_ID_URI], claims: { id: 'oid', permissions: 'roles' } }

const v2 = await providerApp(t, { issuer: V2, ...SETTINGS })
const v1 = await providerApp(t, { issuer: V1, ...SETTINGS })
for (const { app } of [v1, v2]) {
  app.get('/items', { schema: { security: [{ oauth2: ['Items.Read'] }] } }, async () => ({ items: [] }))
  app.get('/items/all', { onRequest: app.authenticate({ permissions: ['Items.Read.All'] }) }, async () => ({ items: [] }))
}

const common = (claims: Record<string, unknown>) => ({ tid: TENANT, oid: USER_OID, sub: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ', ...claims })
const v2User = (claims: Record<string, unknown> = {}) => common({ iss: V2, aud: API_CLIENT_ID, azp: SWAGGER_CLIENT_ID, azpacr: '0', ver: '2.0', scp: 'Items.Read User.Read', name: 'Ada', ...claims })
const v1User = (claims: Record<string, unknown> = {}) => common({ iss: V1, aud: APP_ID_URI, appid: SWAGGER_CLIENT_ID, appidacr: '0', ver: '1.0', scp: 'Items.Read', unique_name: 'ada@contoso.com', ...claims })

t.test('a v2.0 delegated token: scp string, oid as ID', async (t) => {
  const res = await v2.get('/whoami', await v2.token(v2User(), { typ: 'JWT' }))
  t.equal(res.status, 200)
  t.match(res.body, { id: USER_OID, scopes: ['Items.Read', 'User.Read'], permissions: [] })
  t.equal((await v2.get('/items', await v2.token(v2User(), { typ: 'JWT' }))).status, 200)
})

t.test('a v1.0 delegated token: issuer sts.windows.net, aud the Application ID URI', async (t) => {
  const res = await v1.get('/items', await v1.token(v1User(), { typ: 'JWT' }))
  t.equal(res.status, 200)
})

t.test('an app-only token (roles, no scp) passes a permissions route and is 403 on a scope route', async (t) => {
  const appOnly = await v2.token(common({ iss: V2, aud: API_CLIENT_ID, azp: 'daemon-app', idtyp: 'app', roles: ['Items.Read.All'], ver: '2.0' }), { typ: 'JWT' })
  t.equal((await v2.get('/items/all', appOnly)).status, 200)
  const scoped = await v2.get('/items', appOnly)
  t.equal(scoped.status, 403)
  t.equal(scoped.body.code, 'OAUTH_GUARD_INSUFFICIENT_SCOPE')
})

t.test('a v1 token is refused by the v2 configuration and the other way round', async (t) => {
  t.equal((await v2.get('/items', await v2.token(v1User(), { typ: 'JWT' }))).status, 401)
  t.equal((await v1.get('/items', await v1.token(v2User(), { typ: 'JWT' }))).status, 401)
})

t.test('a token for Microsoft Graph (aud 00000003-...) is 401 invalid_token', async (t) => {
  const graph = await v2.token(v2User({ aud: '00000003-0000-0000-c000-000000000000', scp: 'User.Read' }), { typ: 'JWT' })
  const res = await v2.get('/whoami', graph)
  t.equal(res.status, 401)
  t.equal(res.body.code, 'OAUTH_GUARD_INVALID_TOKEN')
})

t.test('a token from another tenant is 401 invalid_token', async (t) => {
  const other = await v2.token(v2User({ iss: 'https://login.microsoftonline.com/00000000-0000-0000-0000-000000000001/v2.0' }), { typ: 'JWT' })
  t.equal((await v2.get('/whoami', other)).status, 401)
})
