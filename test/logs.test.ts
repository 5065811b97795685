/**
 * No secrets in logs: every app here logs at trace into one capture, through accepted and refused
 * JWTs, opaque tokens introspected at a real oidc-provider, broken introspection answers that
 * carry secrets, provider outages, and the resolved options logged whole. None of the tokens, client
 * secrets or introspection answers may appear in the capture or in an error body.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { startIdentityProvider } from '../demo/identity-provider.js'
import oauthGuard, { logSerializers, type OAuthGuardOptions } from '../lib/index.js'
import { createLocalIssuer } from '../lib/testing/index.js'
import { checkNoSecretsLogged, createLogCapture } from './fixtures/log-capture.js'
import { activeAnswer, AUDIENCE, CREDENTIALS, startEndpoints } from './fixtures/oauth-endpoints.js'

const logs = createLogCapture()
const RESOURCE = 'urn:example:logs-api'
const MARKER = 'introspection-answer-marker-7f3a9c'
const idp = await startIdentityProvider({
  resource: RESOURCE,
  apiScopes: { 'items:read': 'Read items' },
  extraAccessTokenClaims: () => ({ marker: MARKER })
})
t.teardown(() => idp.close())
logs.secret(MARKER, idp.clients.resourceServer.clientSecret, idp.clients.machine.clientSecret, idp.clients.machineOpaque.clientSecret, CREDENTIALS.clientSecret)

async function app (t: Test, options: OAuthGuardOptions, serializers = true): Promise<FastifyInstance> {
  const server = Fastify({ logger: serializers ? { ...logs.logger, serializers: logSerializers } : logs.logger })
  t.teardown(() => server.close())
  await server.register(oauthGuard, options)
  server.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (request) => ({ id: request.auth?.id }))
  return server
}

/** GET /items with `token`, remembered as a secret; asserts the body does not carry it either. */
async function send (t: Test, server: FastifyInstance, token: string, url = '/items') {
  logs.secret(token)
  const response = await server.inject({ url, headers: { authorization: `Bearer ${token}` } })
  t.notOk(response.body.includes(token), 'the body does not echo the token')
  return response
}

t.test('JWTs from a real provider, accepted, refused and out of scope', async (t) => {
  const server = await app(t, { issuer: idp.issuer, audience: RESOURCE })
  const token = await idp.clientCredentialsToken('machine', 'items:read')
  t.equal((await send(t, server, token)).statusCode, 200)
  t.equal((await send(t, server, `${token.slice(0, -6)}AAAAAA`)).statusCode, 401)
  t.equal((await send(t, server, await idp.clientCredentialsToken('machine', ''))).statusCode, 403)
})

t.test('opaque tokens introspected at a real provider, active and revoked', async (t) => {
  const server = await app(t, { issuer: idp.issuer, audience: RESOURCE, validation: 'auto', introspection: { ...idp.clients.resourceServer, cacheMaxTTL: 0 } })
  const token = await idp.clientCredentialsToken('machineOpaque', 'items:read')
  t.equal((await send(t, server, token)).statusCode, 200)
  await idp.revoke(token, 'machineOpaque')
  t.equal((await send(t, server, token)).statusCode, 401)
})

t.test('broken introspection answers that carry secrets are never logged', async (t) => {
  const endpoints = await startEndpoints(t)
  const server = await app(t, {
    issuer: endpoints.origin,
    audience: AUDIENCE,
    validation: 'introspection',
    introspection: { ...CREDENTIALS },
    metadata: { introspection_endpoint: `${endpoints.origin}/introspect`, jwks_uri: `${endpoints.origin}/jwks` }
  })
  const answers = [
    { raw: `<html>${MARKER}</html>` },
    { raw: `{"active":true,"sub":"${MARKER}",` },
    { status: 500, body: { error: 'server_error', error_description: MARKER } },
    { body: { ...activeAnswer(endpoints), active: 'yes', sub: MARKER } },
    { body: { ...activeAnswer(endpoints), aud: 'someone-else', sub: MARKER } }
  ]
  for (const [i, answer] of answers.entries()) {
    endpoints.answer('/introspect', answer)
    const response = await send(t, server, `opaque-token-${i}-${'x'.repeat(20)}`)
    t.ok(response.statusCode === 503 || response.statusCode === 401, `answer ${i}: ${response.statusCode}`)
    t.notOk(response.body.includes(MARKER))
  }
})

t.test('provider outages and JWT attacks are logged without the tokens', async (t) => {
  const issuer = await createLocalIssuer()
  const server = await app(t, { issuer: issuer.issuer, audience: issuer.audience, timeout: 100 })
  t.equal((await send(t, server, await issuer.sign({ scope: 'items:read' }))).statusCode, 200)
  t.equal((await send(t, server, await issuer.sign({ aud: 'other' }))).statusCode, 401)
  t.equal((await send(t, server, await issuer.sign({ exp: 1 }))).statusCode, 401)
  await issuer.close()
  const late = await app(t, { issuer: issuer.issuer, audience: issuer.audience, timeout: 100 })
  t.equal((await send(t, late, await issuer.sign({ scope: 'items:read' }))).statusCode, 503)
})

t.test('the resolved options, logged whole, do not show the client secret', async (t) => {
  const server = await app(t, { issuer: idp.issuer, audience: RESOURCE, validation: 'introspection', introspection: { ...idp.clients.resourceServer } })
  server.log.info({ options: server.oauthGuard.options }, 'options')
  t.notOk(JSON.stringify(server.oauthGuard.options).includes(idp.clients.resourceServer.clientSecret))
})

t.test('a token in the query string: refused, and kept out of the request log by logSerializers', async (t) => {
  const issuer = await createLocalIssuer()
  t.teardown(() => issuer.close())
  const server = await app(t, { issuer: issuer.issuer, audience: issuer.audience })
  const token = await issuer.sign()
  logs.secret(token)
  const response = await server.inject({ url: `/items?access_token=${token}&x=1` })
  t.equal(response.statusCode, 400)
  t.ok(logs.lines.some((line) => line.includes('"url":"/items?access_token=[redacted]&x=1"')))
})

t.test('without logSerializers, Fastify\'s own request log would print it (why docs/security.md advises them)', async (t) => {
  const issuer = await createLocalIssuer()
  t.teardown(() => issuer.close())
  const plain = createLogCapture()
  const server = Fastify({ logger: plain.logger })
  t.teardown(() => server.close())
  await server.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience })
  server.get('/items', { schema: { security: [] } }, async () => 'ok')
  const token = await issuer.sign()
  await server.inject({ url: `/items?access_token=${token}` })
  t.ok(plain.lines.some((line) => line.includes(token)))
})

t.test('every refused token explains itself in one log line: the check, with expected and received values, never the token', async (t) => {
  const issuer = await createLocalIssuer()
  t.teardown(() => issuer.close())
  const server = await app(t, { issuer: issuer.issuer, audience: issuer.audience, requireAccessTokenType: true })
  const expectedIssuer = JSON.stringify(issuer.issuer)
  const cases: Array<[string, Promise<string>, string | RegExp]> = [
    ['aud', issuer.sign({ aud: 'https://other-api.example' }), `aud: expected one of ${JSON.stringify([issuer.audience])}, received "https://other-api.example"`],
    ['iss', issuer.sign({ iss: 'https://evil.example' }), `iss: expected ${expectedIssuer}, received "https://evil.example"`],
    ['exp', issuer.sign({ exp: 1000 }), 'exp: expired (exp 1000, clock tolerance 5 s)'],
    ['iat', issuer.sign({ iat: Math.floor(Date.now() / 1000) + 86_400 }), /^iat: issued in the future \(iat \d+, clock tolerance 5 s\)$/],
    ['kid', issuer.sign({}, { header: { kid: 'no-such-kid' } }), /^kid: no single key of the JWKS matches, received kid "no-such-kid" with alg "[A-Z0-9]+"$/],
    ['alg', issuer.sign({}, { alg: 'HS256', key: new Uint8Array(32) }), /^alg: expected one of \[.*"ES256".*\], received "HS256"$/],
    ['typ', issuer.sign({}, { header: { typ: 'JWT' } }), 'typ: expected "at+jwt", received "JWT"'],
    ['a value cut and escaped', issuer.sign({ aud: `evil\n${'x'.repeat(300)}` }), /^aud: expected one of \[.+\], received "evil\\nx{92}…$/]
  ]
  for (const [name, signing, detail] of cases) {
    const token = await signing
    const before = logs.lines.length
    const response = await send(t, server, token)
    t.equal(response.statusCode, 401, name)
    const refusals = logs.lines.slice(before).map((line) => JSON.parse(line)).filter((entry) => entry.err !== undefined)
    t.equal(refusals.length, 1, `${name}: one line`)
    t.match(refusals[0], { level: 30, err: { code: /^OAUTH_GUARD_(INVALID_TOKEN|TOKEN_EXPIRED)$/, detail } }, name)
    t.notOk(response.body.includes(String(refusals[0].err.detail)), `${name}: the detail stays out of the body`)
  }
})

checkNoSecretsLogged(t, logs)
