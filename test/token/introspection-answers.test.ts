// How the Introspector reads what the endpoint says: error answers about the token, about the
// API's own credentials, answers as strict as a JWT's claims, and tokens without a user.
import t, { type Test } from 'tap'
import { DPOP_OFFER } from '../fixtures/challenges.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { activeAnswer, type Answer, bearer, CREDENTIALS, endpointsApp, type EndpointServer, opaqueToken, startEndpoints } from '../fixtures/oauth-endpoints.js'

const INVALID_TOKEN = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER
const logs = createLogCapture()
logs.secret(CREDENTIALS.clientSecret)

const opaque = (): string => opaqueToken(logs)

async function setup (t: Test, answer: Answer | ((e: EndpointServer) => Answer), options = {}) {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', typeof answer === 'function' ? answer(endpoints) : answer)
  const app = await endpointsApp(t, endpoints, options, logs)
  return { endpoints, app }
}

for (const error of ['unsupported_token_type', 'invalid_token', 'invalid_request']) {
  t.test(`400 ${error} refuses the token with 401 invalid_token, remembered like active: false`, async (t) => {
    const { app, endpoints } = await setup(t, { status: 400, body: { error, error_description: 'about the token' } })
    const token = opaque()
    for (let i = 0; i < 2; i++) {
      const res = await app.inject({ url: '/auth', headers: bearer(token) })
      t.equal(res.statusCode, 401)
      t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
      t.equal(res.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
    }
    t.equal(endpoints.calls('/introspect'), 1, 'the second request was answered from the negative cache')
  })
}

t.test('refused credentials (401 invalid_client) are 503 with one error log line, not one per request', async (t) => {
  const { app } = await setup(t, { status: 401, body: { error: 'invalid_client' } })
  const before = logs.lines.length
  for (let i = 0; i < 3; i++) {
    const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
    t.equal(res.statusCode, 503)
    t.equal(res.headers['retry-after'], '5')
  }
  // Fastify's own per-request line for a 5xx is another concern (issue 10); this one names the cause.
  const errors = logs.lines.slice(before).map((line) => JSON.parse(line)).filter((line) => line.level === 50 && line.code !== undefined)
  t.equal(errors.length, 1)
  t.match(errors[0], { code: 'OAUTH_GUARD_INTROSPECTION_CREDENTIALS', option: 'options.introspection', status: 401, error: 'invalid_client', clientId: CREDENTIALS.clientId, authMethod: 'client_secret_basic', msg: /refused the API's own credentials \(options\.introspection clientId/ })
})

t.test('with several issuers, the refused-credentials line names the list entry whose credentials to fix', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { status: 401, body: { error: 'invalid_client' } })
  const app = await endpointsApp(t, endpoints, {
    issuer: [
      { issuer: 'https://jwt-only.example', audience: 'urn:example:api', metadata: { jwks_uri: 'https://jwt-only.example/jwks' } },
      { issuer: endpoints.origin, audience: 'urn:example:api', validation: 'introspection', introspection: { ...CREDENTIALS }, metadata: { introspection_endpoint: `${endpoints.origin}/introspect`, jwks_uri: `${endpoints.origin}/jwks` } }
    ],
    audience: undefined,
    validation: undefined,
    introspection: undefined,
    metadata: undefined
  }, logs)
  const before = logs.lines.length
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 503)
  const errors = logs.lines.slice(before).map((line) => JSON.parse(line)).filter((line) => line.code === 'OAUTH_GUARD_INTROSPECTION_CREDENTIALS')
  t.equal(errors.length, 1)
  t.match(errors[0], { option: 'options.issuer.1.introspection', msg: /\(options\.issuer\.1\.introspection clientId, clientSecret or authMethod\)/ })
})

t.test('the misconfiguration is logged again after the endpoint accepted the credentials in between', async (t) => {
  let status = 401
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', () => status === 200 ? { body: activeAnswer(endpoints) } : { status, body: { error: 'invalid_client' } })
  const app = await endpointsApp(t, endpoints, {}, logs)
  const before = logs.lines.length
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 503)
  status = 200
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 200)
  status = 401
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 503)
  t.equal(logs.lines.slice(before).filter((line) => line.includes('OAUTH_GUARD_INTROSPECTION_CREDENTIALS')).length, 2)
})

t.test('an answer that repeats a member is 401 invalid_token, whichever value comes last', async (t) => {
  for (const raw of ['{"active":false,"active":true}', '{"active":true,"active":false}']) {
    const { app } = await setup(t, (e) => ({ raw: `${raw.slice(0, -1)},"iss":"${e.origin}","aud":"urn:example:api","sub":"u","exp":${Math.floor(Date.now() / 1000) + 60}}` }))
    const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
    t.equal(res.statusCode, 401, raw)
    t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
  }
  const { app } = await setup(t, (e) => ({ raw: JSON.stringify(activeAnswer(e)).replace('"sub":"user-1"', '"sub":"user-1","s\\u0075b":"admin"') }))
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 401, 'names are compared unescaped')
})

const MALFORMED: Array<[string, Record<string, unknown>]> = [
  ['scope: null', { scope: null }],
  ['a numeric iss', { iss: 1 }],
  ['a numeric sub', { sub: 42 }],
  ['an array client_id', { client_id: ['app'] }],
  ['a numeric username', { username: 7 }],
  ['an object token_type', { token_type: { bearer: true } }],
  ['permissions: null', { permissions: null }]
]
for (const [name, claims] of MALFORMED) {
  t.test(`an active answer with ${name} is 401 invalid_token, not read as absent`, async (t) => {
    const { app } = await setup(t, (e) => ({ body: activeAnswer(e, claims) }))
    const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
    t.equal(res.statusCode, 401)
    t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
  })
}

t.test('an answer without sub (client credentials) is accepted, with id and clientId the client', async (t) => {
  const { app } = await setup(t, (e) => ({ body: activeAnswer(e, { sub: undefined, client_id: 'm2m-client' }) }))
  const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
  t.equal(res.statusCode, 200)
  t.match(res.json(), { id: 'm2m-client', clientId: 'm2m-client', scopes: ['items:read'], method: 'introspection' })
})

t.test('the plugin-wide clients list refuses other clients with 401 on the introspection path', async (t) => {
  const allowed = await setup(t, (e) => ({ body: activeAnswer(e) }), { clients: ['app'] })
  t.equal((await allowed.app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 200)
  const other = await setup(t, (e) => ({ body: activeAnswer(e) }), { clients: ['billing'] })
  const res = await other.app.inject({ url: '/auth', headers: bearer(opaque()) })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
  const none = await setup(t, (e) => ({ body: activeAnswer(e, { client_id: undefined }) }), { clients: ['app'] })
  t.equal((await none.app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 401, 'a token naming no client')
})

checkNoSecretsLogged(t, logs)
