// RFC 9728 metadata with several issuers: every exact issuer is an authorization server, the
// primary first; templates name none. Every challenge, an unknown issuer's included, names the metadata.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import type { OAuthGuardOptions } from '../../lib/types.js'

const RESOURCE = 'https://api.example.test/mcp'
const METADATA_URL = 'https://api.example.test/.well-known/oauth-protected-resource/mcp'
const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0'

const a = await createLocalIssuer({ audience: RESOURCE })
const b = await createLocalIssuer({ audience: RESOURCE })
const stranger = await createLocalIssuer({ audience: RESOURCE })
t.teardown(async () => { await a.close(); await b.close(); await stranger.close() })

async function app (t: Test, issuer: OAuthGuardOptions['issuer']) {
  const app = Fastify()
  t.teardown(async () => await app.close())
  await app.register(oauthGuard, { issuer, audience: RESOURCE, resource: RESOURCE })
  app.get('/mcp', { onRequest: app.authenticate }, async () => 'ok')
  await app.ready()
  return app
}

const template = { issuer: TEMPLATE, tenants: ['t1'], metadata: { jwks_uri: a.jwksUri } }

t.test('authorization_servers lists every exact issuer, the primary first, and no template', async (t) => {
  const api = await app(t, [{ issuer: b.issuer, metadata: { jwks_uri: b.jwksUri } }, template, { issuer: a.issuer, metadata: { jwks_uri: a.jwksUri } }])
  const res = await api.inject({ url: '/.well-known/oauth-protected-resource/mcp' })
  t.equal(res.statusCode, 200)
  t.same(res.json().authorization_servers, [b.issuer, a.issuer])
})

t.test('with only a template, authorization_servers is left out', async (t) => {
  const api = await app(t, [template])
  const res = await api.inject({ url: '/.well-known/oauth-protected-resource/mcp' })
  t.same(Object.keys(res.json()), ['resource', 'bearer_methods_supported', 'dpop_signing_alg_values_supported'])
})

t.test('a token of an unconfigured issuer gets the challenge that names the metadata, and its issuer hears nothing', async (t) => {
  const api = await app(t, [{ issuer: a.issuer, metadata: { jwks_uri: a.jwksUri } }, { issuer: b.issuer, metadata: { jwks_uri: b.jwksUri } }])
  const res = await api.inject({ url: '/mcp', headers: { authorization: `Bearer ${await stranger.sign()}` } })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], `Bearer error="invalid_token", error_description="The access token is invalid", resource_metadata="${METADATA_URL}", DPoP algs="ES256 RS256 PS256 EdDSA", resource_metadata="${METADATA_URL}"`)
  t.same(stranger.hits, {})
})
