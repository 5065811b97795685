import t from 'tap'
import { resolveOptions } from '../lib/options.js'
import { issuerOf, trustedIssuer } from '../lib/trusted-issuers.js'

const options = resolveOptions({
  issuer: [
    { issuer: 'https://a.example.com', metadata: { userinfo_endpoint: 'https://a.example.com/me' } },
    { issuer: 'https://b.example.com', validation: 'introspection', introspection: { clientId: 'api', clientSecret: 's' }, metadata: { userinfo_endpoint: 'https://b.example.com/me' } },
    { issuer: 'https://login.example.com/{tenantid}/v2.0', tenants: ['t1'], metadata: { jwks_uri: 'https://login.example.com/keys', userinfo_endpoint: 'https://graph.example.com/me' } }
  ],
  audience: 'api'
})
const issuers = options.issuers.map((issuer) => trustedIssuer(issuer, options, { shared: null, warn: () => {}, onMisconfiguration: () => {} }))

t.test("a validated token's own issuer is found by its iss, a template's by an allowed tenant", async (t) => {
  t.equal(await issuerOf(issuers, 'https://a.example.com').metadata.get('userinfo_endpoint'), 'https://a.example.com/me')
  t.equal(await issuerOf(issuers, 'https://b.example.com').metadata.get('userinfo_endpoint'), 'https://b.example.com/me')
  t.equal(await issuerOf(issuers, 'https://login.example.com/t1/v2.0').metadata.get('userinfo_endpoint'), 'https://graph.example.com/me')
})

t.test('an answer without iss belongs to the issuer that introspects', async (t) => {
  t.equal(issuerOf(issuers, undefined), issuers[1])
})

t.test('each issuer has its own key set, and an introspecting-only issuer none', async (t) => {
  t.not(issuers[0]!.keys, null)
  t.equal(issuers[1]!.keys, null)
  t.not(issuers[0]!.keys, issuers[2]!.keys)
  t.equal(issuers[1]!.route.jwt, null)
})

t.test('with no issuer that introspects, an answer without iss or with an unknown one belongs to the primary', async (t) => {
  const jwtOnly = resolveOptions({
    issuer: [{ issuer: 'https://a.example.com' }, { issuer: 'https://c.example.com' }],
    audience: 'api'
  })
  const built = jwtOnly.issuers.map((issuer) => trustedIssuer(issuer, jwtOnly, { shared: null, warn: () => {}, onMisconfiguration: () => {} }))
  t.equal(issuerOf(built, 'https://c.example.com'), built[1])
  t.equal(issuerOf(built, undefined), built[0])
  t.equal(issuerOf(built, 'https://unknown.example.com'), built[0])
  t.equal(issuerOf(issuers, 'https://login.example.com/t2/v2.0'), issuers[1], 'a tenant the template does not allow is not the template\'s')
})
