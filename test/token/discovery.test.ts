import type { ServerResponse } from 'node:http'
import t from 'tap'
import { discoveryURLs, IssuerMismatchError, MetadataResolver, UnsafeEndpointError } from '../../lib/token/discovery.js'
import { ProviderRequestError } from '../../lib/token/http.js'
import { scriptedProvider } from '../fixtures/scripted-provider.js'

const provider = scriptedProvider

const json = (res: ServerResponse, status: number, body: unknown) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
}

t.test('well-known URLs: OIDC appends, RFC 8414 inserts, for issuers with and without a path', async (t) => {
  t.same(discoveryURLs('https://id.example.com'), ['https://id.example.com/.well-known/openid-configuration', 'https://id.example.com/.well-known/oauth-authorization-server'])
  t.same(discoveryURLs('https://id.example.com/'), ['https://id.example.com/.well-known/openid-configuration', 'https://id.example.com/.well-known/oauth-authorization-server'])
  t.same(discoveryURLs('https://id.example.com/realms/demo'), ['https://id.example.com/realms/demo/.well-known/openid-configuration', 'https://id.example.com/.well-known/oauth-authorization-server/realms/demo'])
})

t.test('OpenID Connect discovery, cached after success, concurrent callers share one request', async (t) => {
  const { origin, hits } = await provider(t, (req, res, origin) => json(res, 200, { issuer: `${origin}/tenant`, jwks_uri: `${origin}/tenant/jwks` }))
  const resolver = new MetadataResolver(`${origin}/tenant`, {}, 1000)
  const [a, b] = await Promise.all([resolver.get('jwks_uri'), resolver.get('jwks_uri')])
  t.equal(a, `${origin}/tenant/jwks`)
  t.equal(b, a)
  await resolver.discover()
  t.same(hits, ['/tenant/.well-known/openid-configuration'])
  t.equal(resolver.current?.jwks_uri, a)
})

t.test('falls back to RFC 8414 when the OIDC document is not found', async (t) => {
  const { origin, hits } = await provider(t, (req, res, origin) => {
    if (req.url === '/.well-known/oauth-authorization-server/tenant') return json(res, 200, { issuer: `${origin}/tenant`, jwks_uri: `${origin}/jwks` })
    json(res, 404, {})
  })
  const resolver = new MetadataResolver(`${origin}/tenant`, {}, 1000)
  t.equal(await resolver.get('jwks_uri'), `${origin}/jwks`)
  t.same(hits, ['/tenant/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/tenant'])
})

t.test('the metadata issuer must equal the configured issuer exactly', async (t) => {
  const { origin } = await provider(t, (req, res, origin) => json(res, 200, { issuer: `${origin}/`, jwks_uri: 'x' }))
  const resolver = new MetadataResolver(origin, {}, 1000)
  await t.rejects(resolver.discover(), IssuerMismatchError)
})

t.test('given metadata skips discovery for the fields it has, and wins over discovered ones', async (t) => {
  const { origin, hits } = await provider(t, (req, res, origin) => json(res, 200, { issuer: origin, jwks_uri: `${origin}/discovered`, token_endpoint: `${origin}/discovered-token` }))
  const resolver = new MetadataResolver(origin, { jwks_uri: 'given' }, 1000)
  t.equal(await resolver.get('jwks_uri'), 'given')
  t.same(hits, [], 'no request for a given field')
  t.equal(await resolver.get('token_endpoint'), `${origin}/discovered-token`)
  t.equal((await resolver.discover()).jwks_uri, 'given')
})

t.test('a failure is not cached: the next call tries again', async (t) => {
  let fail = true
  const { origin, hits } = await provider(t, (req, res, origin) => fail ? json(res, 503, {}) : json(res, 200, { issuer: origin, jwks_uri: `${origin}/ok` }))
  const resolver = new MetadataResolver(origin, {}, 1000)
  await t.rejects(resolver.discover(), ProviderRequestError)
  t.equal(hits.length, 1, 'a 5xx does not fall back to a second URL')
  fail = false
  t.equal(await resolver.get('jwks_uri'), `${origin}/ok`)
})

t.test('unreachable, slow, redirecting or garbage providers fail with ProviderRequestError', async (t) => {
  const { origin } = await provider(t, (req, res) => {
    if (req.url?.startsWith('/slow')) {
      setTimeout(() => json(res, 200, {}), 500)
      return
    }
    if (req.url?.startsWith('/redirect')) {
      res.writeHead(302, { location: 'http://127.0.0.2/' }).end()
      return
    }
    if (req.url?.startsWith('/array')) return json(res, 200, [1])
    res.writeHead(200, { 'content-type': 'application/json' }).end('{not json')
  })
  const cases: Array<[string, string]> = [['http://127.0.0.1:9', 'network'], [`${origin}/slow`, 'timeout'], [`${origin}/redirect`, 'redirect'], [`${origin}/garbage`, 'invalid-json'], [`${origin}/array`, 'invalid-json']]
  for (const [issuer, failure] of cases) {
    const resolver = new MetadataResolver(issuer, {}, 100)
    await t.rejects(resolver.discover(), { name: 'ProviderRequestError', failure }, failure)
  }
})

const UNSAFE_URLS = ['data:application/json,{"keys":[]}', 'file:///etc/passwd', 'javascript:alert(1)', 'ftp://127.0.0.1/jwks', 'http://keys.example.com/jwks', 'not a URL']
for (const field of ['jwks_uri', 'introspection_endpoint', 'userinfo_endpoint', 'authorization_endpoint', 'token_endpoint']) {
  t.test(`a discovered ${field} that is not https (or http on a loopback host) makes the document refused`, async (t) => {
    for (const value of UNSAFE_URLS) {
      const { origin } = await provider(t, (req, res, origin) => json(res, 200, { issuer: origin, jwks_uri: `${origin}/jwks`, [field]: value }))
      const resolver = new MetadataResolver(origin, {}, 1000)
      await t.rejects(resolver.discover(), UnsafeEndpointError, value)
      await t.rejects(resolver.get('jwks_uri'), { message: `discovered ${field} refused: ${value === 'not a URL' ? 'expected an absolute URL' : 'expected an https URL (http is allowed on a loopback host only)'}, received ${JSON.stringify(value)}` })
    }
  })
}

t.test('an unsafe discovered endpoint is not refused when options give that field (the discovered one is never used)', async (t) => {
  const { origin } = await provider(t, (req, res, origin) => json(res, 200, { issuer: origin, jwks_uri: 'data:,x' }))
  const resolver = new MetadataResolver(origin, { jwks_uri: `${origin}/pinned` }, 1000)
  t.equal((await resolver.discover()).jwks_uri, `${origin}/pinned`)
})

t.test('a discovered introspection endpoint on another origin is used with one warning; a jwks_uri elsewhere is normal', async (t) => {
  const warnings: string[] = []
  const { origin } = await provider(t, (req, res, origin) => json(res, 200, { issuer: origin, jwks_uri: 'https://keys.example.net/jwks', introspection_endpoint: 'https://other.example.net/introspect' }))
  const resolver = new MetadataResolver(origin, {}, 1000, { credentialEndpoints: ['introspection_endpoint'], warn: (message) => warnings.push(message) })
  t.equal(await resolver.get('introspection_endpoint'), 'https://other.example.net/introspect')
  await resolver.discover()
  t.same(warnings, [`discovered introspection_endpoint "https://other.example.net" is on another origin than the issuer ${JSON.stringify(origin)}; the API's client credentials are sent there (set metadata.introspection_endpoint to pin it)`])
  const quiet: string[] = []
  const pinned = new MetadataResolver(origin, { introspection_endpoint: 'https://other.example.net/introspect' }, 1000, { credentialEndpoints: ['introspection_endpoint'], warn: (message) => quiet.push(message) })
  await pinned.get('jwks_uri')
  t.same(quiet, [], 'a value pinned in options is not warned about')
})
