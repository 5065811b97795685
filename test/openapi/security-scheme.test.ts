import t from 'tap'
import { buildSecurityScheme, schemeScopes } from '../../lib/openapi/security-scheme.js'
import type { RouteSecurity } from '../../lib/fastify/route-security.js'

const route = (method: string, url: string, scopes: string[] | null): RouteSecurity => ({
  method,
  url,
  requirement: scopes === null ? null : { alternatives: [{ scopes, external: false }], tokenOptional: false },
  source: 'schema'
})
const metadata = { issuer: 'https://id.example.com', authorization_endpoint: 'https://id.example.com/authorize', token_endpoint: 'https://id.example.com/token' }
const base = { metadata, routes: [], descriptions: {}, openidScopes: [], clientCredentials: false }

t.test('scopes: OpenID first, then route and described scopes sorted; undescribed ones name their routes', async (t) => {
  const routes = [
    route('GET', '/a', ['b:read']), route('HEAD', '/a', ['b:read']), route('GET', '/public', null),
    ...['/1', '/2', '/3', '/4', '/5'].map((url) => route('POST', url, ['a:write']))
  ]
  t.same(schemeScopes({ routes, descriptions: { admin: 'Administer', openid: 'Log in' }, openidScopes: ['openid', 'offline_access', 'custom'] }), {
    openid: 'Log in',
    offline_access: 'Stay signed in (refresh token)',
    custom: 'custom',
    'a:write': 'Required by POST /1, POST /2, POST /3 and 2 more',
    admin: 'Administer',
    'b:read': 'Required by GET /a'
  })
})

t.test('refreshUrl only when the provider supports the refresh_token grant', async (t) => {
  t.notOk('refreshUrl' in (buildSecurityScheme(base).flows.authorizationCode ?? {}))
  const refreshing = buildSecurityScheme({ ...base, metadata: { ...metadata, grant_types_supported: ['authorization_code', 'refresh_token'] } })
  t.equal(refreshing.flows.authorizationCode?.refreshUrl, metadata.token_endpoint)
})

t.test('a flow whose endpoints the metadata lacks is left out', async (t) => {
  const scheme = buildSecurityScheme({ ...base, clientCredentials: true, metadata: { token_endpoint: metadata.token_endpoint } })
  t.same(scheme.flows, { clientCredentials: { tokenUrl: metadata.token_endpoint, scopes: {} } })
  t.equal(scheme.description, 'OAuth 2.0 Bearer access tokens. Swagger UI signs in with the authorization code flow and PKCE.')
  t.same(buildSecurityScheme({ ...base, clientCredentials: true, metadata: {} }).flows, {})
})

t.test('the client credentials flow offers the API scopes, not the OpenID ones', async (t) => {
  const scheme = buildSecurityScheme({ ...base, clientCredentials: true, openidScopes: ['openid'], routes: [route('GET', '/x', ['x:read'])] })
  t.same(scheme.flows.clientCredentials?.scopes, { 'x:read': 'Required by GET /x' })
  t.same(Object.keys(scheme.flows.authorizationCode?.scopes ?? {}), ['openid', 'x:read'])
})
