// Several trusted issuers: two real oidc-provider instances (A issues JWTs; B issues JWTs and
// introspects its opaque tokens) and a local issuer L (lib/testing) whose keys sign the forgeries.
// Each test sends one kind of token and checks the wire and which servers were asked.
import Fastify from 'fastify'
import t from 'tap'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const RESOURCE = 'urn:example:api'
const API_SCOPES = { 'items:read': 'Read items' }
const INVALID = `Bearer error="invalid_token", error_description="The access token is invalid"${DPOP_OFFER}`

const idpA = await startIdentityProvider({ resource: RESOURCE, apiScopes: API_SCOPES })
const idpB = await startIdentityProvider({ resource: RESOURCE, apiScopes: API_SCOPES })
const local = await createLocalIssuer({ algorithms: ['RS256'], audience: RESOURCE })
const stranger = await createLocalIssuer({ algorithms: ['RS256'], audience: RESOURCE })
const app = Fastify()
t.teardown(async () => {
  await app.close()
  await Promise.all([idpA.close(), idpB.close(), local.close(), stranger.close()])
})
await app.register(oauthGuard, {
  issuer: [
    { issuer: idpA.issuer, audience: RESOURCE },
    { issuer: idpB.issuer, audience: RESOURCE, validation: 'auto', introspection: { ...idpB.clients.resourceServer } },
    { issuer: local.issuer, audience: RESOURCE, metadata: { jwks_uri: local.jwksUri } }
  ]
})
app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (request) => ({ iss: request.auth?.claims.iss, method: request.auth?.method }))

async function get (token: string) {
  const res = await app.inject({ url: '/items', headers: { authorization: `Bearer ${token}` } })
  return { status: res.statusCode, challenge: res.headers['www-authenticate'], body: res.json() }
}

/** Requests to the JWKS of an oidc-provider instance (its `jwks_uri` is /jwks). */
const jwksHits = (idp: { hits: Record<string, number> }): number => idp.hits['/jwks'] ?? 0

t.test('JWTs of each configured issuer are accepted, each verified with its own keys', async (t) => {
  const fromA = await get(await idpA.clientCredentialsToken('machine', 'items:read'))
  t.same(fromA, { status: 200, challenge: undefined, body: { iss: idpA.issuer, method: 'jwt' } })
  const fromB = await get(await idpB.clientCredentialsToken('machine', 'items:read'))
  t.same(fromB, { status: 200, challenge: undefined, body: { iss: idpB.issuer, method: 'jwt' } })
  const fromLocal = await get(await local.sign({ scope: 'items:read' }))
  t.same(fromLocal, { status: 200, challenge: undefined, body: { iss: local.issuer, method: 'jwt' } })
  t.equal(jwksHits(idpA), 1, "A's keys fetched once")
  t.equal(jwksHits(idpB), 1, "B's keys fetched once")
})

t.test("a token signed with another trusted issuer's key and claiming A's iss is refused", async (t) => {
  await get(await idpA.clientCredentialsToken('machine', 'items:read'))
  const localJWKS = local.hits['/jwks'] ?? 0
  const forged = await local.sign({ iss: idpA.issuer, scope: 'items:read' })
  t.same(await get(forged), { status: 401, challenge: INVALID, body: { statusCode: 401, code: 'OAUTH_GUARD_INVALID_TOKEN', error: 'Unauthorized', message: 'The access token is invalid' } })
  t.equal(local.hits['/jwks'] ?? 0, localJWKS, "L's keys are not looked at for a token claiming A")
})

t.test("a token signed with another issuer's key under A's kid is refused by the signature", async (t) => {
  const token = await idpA.clientCredentialsToken('machine', 'items:read')
  const kid = (JSON.parse(Buffer.from(token.split('.')[0]!, 'base64url').toString('utf8')) as { kid: string }).kid
  const forged = await local.sign({ iss: idpA.issuer, scope: 'items:read' }, { header: { kid, typ: 'at+jwt' } })
  const res = await get(forged)
  t.equal(res.status, 401)
  t.equal(res.challenge, INVALID)
})

t.test('a token of an unconfigured issuer is refused without any request to that issuer', async (t) => {
  const res = await get(await stranger.sign({ scope: 'items:read' }))
  t.equal(res.status, 401)
  t.equal(res.challenge, INVALID)
  t.same(stranger.hits, {}, 'no discovery, no JWKS request')
})

t.test('a JWT without iss is refused without a key lookup', async (t) => {
  const before = { a: jwksHits(idpA), b: jwksHits(idpB), l: local.hits['/jwks'] ?? 0 }
  const res = await get(await local.sign({ iss: undefined, scope: 'items:read' }))
  t.equal(res.status, 401)
  t.equal(res.challenge, INVALID)
  t.same({ a: jwksHits(idpA), b: jwksHits(idpB), l: local.hits['/jwks'] ?? 0 }, before)
})

t.test('an opaque token goes to the one issuer that introspects', async (t) => {
  const opaque = await idpB.clientCredentialsToken('machineOpaque', 'items:read')
  t.same(await get(opaque), { status: 200, challenge: undefined, body: { iss: idpB.issuer, method: 'introspection' } })
  t.equal(idpA.hits['/token/introspection'] ?? 0, 0)
})

t.test("an opaque token of an issuer that does not introspect is refused by the introspecting issuer's answer", async (t) => {
  const opaqueOfA = await idpA.clientCredentialsToken('machineOpaque', 'items:read')
  const res = await get(opaqueOfA)
  t.equal(res.status, 401)
  t.equal(res.challenge, INVALID)
  t.equal(idpA.hits['/token/introspection'] ?? 0, 0, 'A is never asked to introspect')
})

t.test('the primary issuer (the first entry) is the one the plugin reports for the OpenAPI document', async (t) => {
  t.equal(app.oauthGuard.options.issuer, idpA.issuer)
  t.same(app.oauthGuard.options.issuers.map((entry) => entry.issuer), [idpA.issuer, idpB.issuer, local.issuer])
  t.equal((await app.oauthGuard.metadata()).issuer, idpA.issuer)
})
