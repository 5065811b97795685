// Rare routes of a token among several trusted issuers, on the wire and in the log: only one issuer
// introspects (a real oidc-provider, its endpoint discovered), one issuer's metadata cannot be
// fetched, a template token whose `tid` names another tenant, a tenant function that does not
// answer `true`, and tokens naming an issuer that is not configured.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import oauthGuard, { logSerializers, type OAuthGuardOptions } from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'

const RESOURCE = 'urn:example:router-edges'
const TEMPLATE = 'https://login.example.test/{tenantid}/v2.0'
const INVALID = `Bearer error="invalid_token", error_description="The access token is invalid"${DPOP_OFFER}`

const logs = createLogCapture()
const idp = await startIdentityProvider({ resource: RESOURCE, apiScopes: { 'items:read': 'Read items' } })
const local = await createLocalIssuer({ algorithms: ['RS256'], audience: RESOURCE })
t.teardown(async () => { await Promise.all([idp.close(), local.close()]) })
logs.secret(idp.clients.resourceServer.clientSecret)

interface Entry { level: number, msg: string, reason?: string, err?: { code?: string, detail?: string } }
const entries = (from: number): Entry[] => logs.lines.slice(from).map((line) => JSON.parse(line) as Entry)

/** An API trusting `issuer`, ready; `startup`: what it logged at warn and above while starting. */
async function api (t: Test, issuer: OAuthGuardOptions['issuer'], extra: Partial<OAuthGuardOptions> = {}): Promise<{ app: FastifyInstance, startup: Entry[] }> {
  const app = Fastify({ logger: { ...logs.logger, serializers: logSerializers } })
  t.teardown(async () => await app.close())
  await app.register(oauthGuard, { issuer, audience: RESOURCE, ...extra })
  app.get('/items', { schema: { security: [{ oauth2: [] }] } }, async (request) => ({ iss: request.auth?.claims.iss, method: request.auth?.method }))
  const before = logs.lines.length
  await app.ready()
  return { app, startup: entries(before).filter((entry) => entry.level >= 40) }
}

/** GET /items with `token`: the wire, and the refusal Fastify logged for it, if any. */
async function get (app: FastifyInstance, token: string) {
  logs.secret(token)
  const before = logs.lines.length
  const res = await app.inject({ url: '/items', headers: { authorization: `Bearer ${token}` } })
  const refusal = entries(before).find((entry) => entry.err !== undefined)
  return {
    status: res.statusCode,
    challenge: res.headers['www-authenticate'],
    retryAfter: res.headers['retry-after'],
    body: res.json() as Record<string, unknown>,
    code: refusal?.err?.code,
    detail: refusal?.err?.detail
  }
}

const jwks = (issuer: { hits: Record<string, number> }): number => issuer.hits['/jwks'] ?? 0
const introspections = (): number => idp.hits['/token/introspection'] ?? 0

t.test('only the second issuer introspects: opaque tokens go to its discovered endpoint, the first issuer\'s JWTs never do', async (t) => {
  const { app, startup } = await api(t, [
    { issuer: local.issuer, metadata: { jwks_uri: local.jwksUri } },
    { issuer: idp.issuer, validation: 'introspection', introspection: { ...idp.clients.resourceServer } }
  ])
  t.same(startup, [])
  const before = introspections()
  t.same(await get(app, await idp.clientCredentialsToken('machineOpaque', 'items:read')), { status: 200, challenge: undefined, retryAfter: undefined, body: { iss: idp.issuer, method: 'introspection' }, code: undefined, detail: undefined })
  t.equal(introspections(), before + 1, 'introspected once, at the endpoint its discovery document names')
  t.same(await get(app, await local.sign()), { status: 200, challenge: undefined, retryAfter: undefined, body: { iss: local.issuer, method: 'jwt' }, code: undefined, detail: undefined })
  t.equal(introspections(), before + 1, 'a JWT of the first issuer is not introspected')
})

t.test('a JWT of an issuer configured for introspection only goes to its introspection endpoint, never to its keys', async (t) => {
  const { app } = await api(t, [
    { issuer: local.issuer, metadata: { jwks_uri: local.jwksUri } },
    { issuer: idp.issuer, validation: 'introspection', introspection: { ...idp.clients.resourceServer } }
  ])
  const before = { introspections: introspections(), jwks: jwks(idp) }
  const res = await get(app, await idp.clientCredentialsToken('machine', 'items:read'))
  // oidc-provider does not introspect its JWTs (400 unsupported_token_type): a refusal, not an outage.
  t.same({ status: res.status, challenge: res.challenge, code: res.code }, { status: 401, challenge: INVALID, code: 'OAUTH_GUARD_INVALID_TOKEN' })
  t.same({ introspections: introspections(), jwks: jwks(idp) }, { introspections: before.introspections + 1, jwks: before.jwks })
})

t.test("one issuer's metadata cannot be fetched: one startup warning naming it, 503 for its tokens, the other issuer's accepted", async (t) => {
  const dead = createServer()
  await new Promise<void>((resolve) => dead.listen(0, '127.0.0.1', resolve))
  const deadIssuer = `http://127.0.0.1:${(dead.address() as AddressInfo).port}/down`
  await new Promise<void>((resolve) => dead.close(() => resolve()))
  const { app, startup } = await api(t, [{ issuer: local.issuer }, { issuer: deadIssuer }])
  const reason = `connection refused (ECONNREFUSED) from ${deadIssuer}/.well-known/openid-configuration`
  t.match(startup, [{ level: 40, reason }])
  t.equal(startup.length, 1, 'the reachable issuer is not warned about')

  t.same((await get(app, await local.sign())).body, { iss: local.issuer, method: 'jwt' })
  const localKeys = jwks(local)
  const res = await get(app, await local.sign({ iss: deadIssuer }))
  t.same(res, {
    status: 503,
    challenge: undefined,
    retryAfter: '5',
    body: { statusCode: 503, code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', error: 'Service Unavailable', message: 'The identity provider is unavailable, retry later' },
    code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE',
    detail: `JWKS: ${reason}`
  })
  t.equal(jwks(local), localKeys, 'the keys of the issuer that signed it are not looked at for a token claiming another')
})

t.test("an issuer whose provider answers only after startup: 503 for its tokens until then, 200 after, the other issuer's unaffected", async (t) => {
  let up = false
  const late = createServer((req, res) => {
    if (!up) return res.writeHead(503).end()
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ issuer: lateIssuer, jwks_uri: local.jwksUri }))
  })
  await new Promise<void>((resolve) => late.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { late.closeAllConnections(); late.close() })
  const lateIssuer = `http://127.0.0.1:${(late.address() as AddressInfo).port}/late`
  // cooldown 0: no back-off after the failed key fetch, so the test needs no clock.
  const { app, startup } = await api(t, [{ issuer: local.issuer, metadata: { jwks_uri: local.jwksUri } }, { issuer: lateIssuer }], { jwks: { cooldown: 0 } })
  t.match(startup, [{ level: 40, reason: `HTTP status 503 from ${lateIssuer}/.well-known/openid-configuration` }])
  const down = await get(app, await local.sign({ iss: lateIssuer }))
  t.same({ status: down.status, code: down.code, detail: down.detail }, { status: 503, code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', detail: `JWKS: HTTP status 503 from ${lateIssuer}/.well-known/openid-configuration` })
  t.equal((await get(app, await local.sign())).status, 200, 'the other issuer is not held up')
  up = true
  t.same((await get(app, await local.sign({ iss: lateIssuer }))).body, { iss: lateIssuer, method: 'jwt' }, 'the failure was not kept')
})

t.test('a template token whose tid names another allowed tenant is refused, and the log names iss and tid', async (t) => {
  const { app } = await api(t, [{ issuer: TEMPLATE, tenants: ['t1', 't2'], metadata: { jwks_uri: local.jwksUri } }])
  const iss = 'https://login.example.test/t1/v2.0'
  t.equal((await get(app, await local.sign({ iss, tid: 't1' }))).status, 200)
  const crossed = await get(app, await local.sign({ iss, tid: 't2' }))
  t.same({ status: crossed.status, challenge: crossed.challenge, code: crossed.code }, { status: 401, challenge: INVALID, code: 'OAUTH_GUARD_INVALID_TOKEN' })
  t.equal(crossed.detail, `iss: expected "${TEMPLATE}" with an allowed tenant, and tid naming it, received iss "${iss}", tid "t2"`)
  const untagged = await get(app, await local.sign({ iss, tid: undefined }))
  t.equal(untagged.status, 401)
  t.equal(untagged.detail, `iss: expected "${TEMPLATE}" with an allowed tenant, and tid naming it, received iss "${iss}", tid undefined`)
})

t.test('a tenant function is asked with the tenant of iss, and an answer other than true refuses before any key lookup', async (t) => {
  const asked: string[] = []
  const answers: Record<string, unknown> = { yes: true, truthy: 'yes', one: 1 }
  const { app } = await api(t, [{ issuer: TEMPLATE, tenants: (tenant) => { asked.push(tenant); return answers[tenant] as boolean }, metadata: { jwks_uri: local.jwksUri } }])
  const token = async (tenant: string) => await local.sign({ iss: `https://login.example.test/${tenant}/v2.0`, tid: tenant })
  t.same((await get(app, await token('yes'))).status, 200)
  const keys = jwks(local)
  for (const tenant of ['truthy', 'one', 'unknown']) {
    const res = await get(app, await token(tenant))
    t.same({ status: res.status, challenge: res.challenge, detail: res.detail }, { status: 401, challenge: INVALID, detail: `iss: expected one of the configured issuers, received "https://login.example.test/${tenant}/v2.0"` }, tenant)
  }
  t.same([...new Set(asked)], ['yes', 'truthy', 'one', 'unknown'])
  t.equal(jwks(local), keys, 'no key lookup for a refused tenant')
})

t.test('a list policy and a function policy side by side: each template takes only its own tenants', async (t) => {
  const other = 'https://sts.example.test/{tenantid}/'
  const { app } = await api(t, [
    { issuer: TEMPLATE, tenants: ['t1'], metadata: { jwks_uri: local.jwksUri } },
    { issuer: other, tenants: (tenant) => tenant.startsWith('f-'), metadata: { jwks_uri: local.jwksUri } }
  ])
  const cases: Array<[string, string, number]> = [
    ['https://login.example.test/t1/v2.0', 't1', 200],
    ['https://sts.example.test/f-1/', 'f-1', 200],
    ['https://sts.example.test/t1/', 't1', 401],
    ['https://login.example.test/f-1/v2.0', 'f-1', 401]
  ]
  for (const [iss, tid, status] of cases) t.equal((await get(app, await local.sign({ iss, tid }))).status, status, iss)
})

t.test('a JWT naming no configured issuer, or none at all, is refused without a request, and the log says what it named', async (t) => {
  const { app } = await api(t, [{ issuer: local.issuer, metadata: { jwks_uri: local.jwksUri } }, { issuer: TEMPLATE, tenants: ['t1'], metadata: { jwks_uri: local.jwksUri } }])
  const keys = jwks(local)
  const cases: Array<[unknown, string]> = [
    ['https://unknown.example.test', '"https://unknown.example.test"'],
    [`${local.issuer}/`, JSON.stringify(`${local.issuer}/`)],
    [undefined, 'none'],
    [42, '42']
  ]
  for (const [iss, named] of cases) {
    const res = await get(app, await local.sign({ iss }))
    t.same({ status: res.status, challenge: res.challenge, code: res.code, detail: res.detail }, { status: 401, challenge: INVALID, code: 'OAUTH_GUARD_INVALID_TOKEN', detail: `iss: expected one of the configured issuers, received ${named}` }, named)
  }
  t.equal(jwks(local), keys)
})

t.test('an opaque token when no issuer introspects is refused without any request', async (t) => {
  const { app } = await api(t, [{ issuer: local.issuer, metadata: { jwks_uri: local.jwksUri } }, { issuer: idp.issuer }])
  const before = { introspections: introspections(), jwks: jwks(idp) + jwks(local) }
  const res = await get(app, await idp.clientCredentialsToken('machineOpaque', 'items:read'))
  t.same({ status: res.status, challenge: res.challenge, code: res.code }, { status: 401, challenge: INVALID, code: 'OAUTH_GUARD_INVALID_TOKEN' })
  t.same({ introspections: introspections(), jwks: jwks(idp) + jwks(local) }, before)
})

checkNoSecretsLogged(t, logs)
