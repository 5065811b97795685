import Fastify from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard, { type OAuthGuardOptions } from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { Introspector, resolveIntrospectionOptions } from '../../lib/token/introspection.js'
import { tokenKey } from '../../lib/token/introspection-cache.js'
import { DEFAULT_CLAIM_NAMES } from '../../lib/token/claims.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { activeAnswer, AUDIENCE, bearer, CREDENTIALS, endpointsApp, type EndpointServer, freezeClock, opaqueToken, startEndpoints } from '../fixtures/oauth-endpoints.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const INVALID_TOKEN = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER
const EXPIRED_TOKEN = 'Bearer error="invalid_token", error_description="The access token expired or is not yet valid"' + DPOP_OFFER
const logs = createLogCapture()
logs.secret(CREDENTIALS.clientSecret)

const opaque = (): string => opaqueToken(logs)

async function setup (t: Test, answer: Record<string, unknown> | ((e: EndpointServer) => Record<string, unknown>), options = {}) {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: typeof answer === 'function' ? answer(endpoints) : answer })
  const app = await endpointsApp(t, endpoints, options, logs)
  return { endpoints, app }
}

t.test('an active token is accepted with its scopes, ID and exp, as method introspection', async (t) => {
  let answer: Record<string, unknown> = {}
  const { app } = await setup(t, (e) => (answer = activeAnswer(e, { permissions: ['a'] })))
  const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
  t.equal(res.statusCode, 200)
  const auth = res.json()
  t.match(auth, { id: 'user-1', scopes: ['items:read'], permissions: ['a'], method: 'introspection', claims: { active: true, client_id: 'app' } })
  t.equal(auth.expiresAt, new Date(answer.exp as number * 1000).toISOString())
  t.equal((await app.inject({ url: '/items', headers: bearer(opaque()) })).statusCode, 200)
})

t.test('client_secret_basic: form-encoded id and secret in Basic, the token and a hint in the form', async (t) => {
  const { app, endpoints } = await setup(t, activeAnswer)
  const token = opaque()
  await app.inject({ url: '/auth', headers: bearer(token) })
  const [request] = endpoints.requests
  t.equal(request.method, 'POST')
  t.equal(request.headers.authorization, `Basic ${Buffer.from('api+client:s3cret%2B%2F%3D%3A%C3%A9').toString('base64')}`)
  t.equal(request.headers['content-type'], 'application/x-www-form-urlencoded;charset=UTF-8')
  t.same(Object.fromEntries(request.form), { token, token_type_hint: 'access_token' })
})

t.test('client_secret_post: id and secret in the form, no Authorization header', async (t) => {
  const { app, endpoints } = await setup(t, activeAnswer, { introspection: { ...CREDENTIALS, authMethod: 'client_secret_post' } })
  const token = opaque()
  t.equal((await app.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  const [request] = endpoints.requests
  t.equal(request.headers.authorization, undefined)
  t.same(Object.fromEntries(request.form), { token, token_type_hint: 'access_token', client_id: CREDENTIALS.clientId, client_secret: CREDENTIALS.clientSecret })
})

t.test('active: false is 401 invalid_token', async (t) => {
  const { app } = await setup(t, { active: false })
  const res = await app.inject({ url: '/items', headers: bearer(opaque()) })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
  t.equal(res.json().code, 'OAUTH_GUARD_INVALID_TOKEN')
})

const REFUSED: Array<[string, (e: EndpointServer) => Record<string, unknown>]> = [
  ['another issuer', (e) => activeAnswer(e, { iss: 'https://other.example' })],
  ['another audience', (e) => activeAnswer(e, { aud: ['urn:other'] })],
  ['no audience while one is configured', (e) => activeAnswer(e, { aud: undefined })],
  ['a refresh token', (e) => activeAnswer(e, { token_type: 'refresh_token' })],
  ['an ID token (token_use)', (e) => activeAnswer(e, { token_type: undefined, token_use: 'id' })],
  ['a Keycloak refresh token (typ)', (e) => activeAnswer(e, { token_type: undefined, typ: 'Refresh' })],
  ['a cnf.jkt that is no thumbprint', (e) => activeAnswer(e, { cnf: { jkt: 'thumbprint' } })],
  ['token_type DPoP without cnf.jkt', (e) => activeAnswer(e, { token_type: 'DPoP' })],
  ['an mTLS-bound token', (e) => activeAnswer(e, { cnf: { 'x5t#S256': 'thumbprint' } })],
  ['a non-numeric exp', (e) => activeAnswer(e, { exp: '9999999999' })],
  ['neither a subject nor a client ID', (e) => activeAnswer(e, { sub: undefined, client_id: undefined })],
  ['a scope claim of the wrong type', (e) => activeAnswer(e, { scope: 42 })]
]
for (const [name, answer] of REFUSED) {
  t.test(`an active answer for ${name} is 401 invalid_token`, async (t) => {
    const { app } = await setup(t, answer)
    const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
    t.equal(res.statusCode, 401)
    t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
  })
}

t.test('exp in the past or nbf in the future (beyond the clock tolerance) is 401 expired', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  for (const claims of [{ exp: now - 6 }, { nbf: now + 60 }]) {
    const { app } = await setup(t, (e) => activeAnswer(e, claims))
    const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
    t.equal(res.statusCode, 401, JSON.stringify(claims))
    t.equal(res.headers['www-authenticate'], EXPIRED_TOKEN)
    t.equal(res.json().code, 'OAUTH_GUARD_TOKEN_EXPIRED')
  }
  const { app } = await setup(t, (e) => activeAnswer(e, { exp: now - 2 }))
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 200, 'within the 5 s tolerance')
})

t.test('an answer issued in the future (iat beyond the clock tolerance) is 401 invalid_token, as a JWT would be', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  const { app } = await setup(t, (e) => activeAnswer(e, { iat: now + 86_400 }))
  const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], INVALID_TOKEN)
  const { app: tolerant } = await setup(t, (e) => activeAnswer(e, { iat: now + 3 }))
  t.equal((await tolerant.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 200, 'within the 5 s tolerance')
})

t.test('with dangerouslyAllowAnyAudience, an answer without aud is accepted', async (t) => {
  const { app } = await setup(t, (e) => activeAnswer(e, { aud: undefined }), { audience: undefined, dangerouslyAllowAnyAudience: true })
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 200)
})

t.test('an answer without iss or exp is accepted; expiresAt is the end of the cache window', async (t) => {
  const clock = freezeClock(t)
  const { app } = await setup(t, (e) => activeAnswer(e, { iss: undefined, exp: undefined }), { introspection: { ...CREDENTIALS, cacheMaxTTL: 30_000 } })
  const auth = (await app.inject({ url: '/auth', headers: bearer(opaque()) })).json()
  t.equal(auth.claims.exp, undefined)
  t.equal(auth.expiresAt, new Date(Math.floor(Date.now() / 1000 + 30) * 1000).toISOString())
  t.equal(clock.ms, 0)
})

t.test('a broken provider answer is 503, never 401 nor 500', async (t) => {
  const answers = [
    { body: { active: 'true' } },
    { body: { scope: 'x' } },
    { raw: '{"active":tr' },
    { body: [true] },
    { status: 500, body: { error: 'server_error' } },
    { status: 401, body: { error: 'invalid_client' } },
    { status: 400, body: { error: 'invalid_client' } },
    { status: 400, body: { error: 'unauthorized_client' } },
    { status: 400, raw: 'Bad Request' },
    { status: 404, body: { error: 'invalid_token' } },
    { status: 302, headers: { location: 'http://127.0.0.2/' } }
  ]
  for (const answer of answers) {
    const endpoints = await startEndpoints(t)
    endpoints.answer('/introspect', answer)
    const app = await endpointsApp(t, endpoints, {}, logs)
    const res = await app.inject({ url: '/auth', headers: bearer(opaque()) })
    t.equal(res.statusCode, 503, JSON.stringify(answer))
    t.equal(res.headers['retry-after'], '5')
    t.same(res.json(), { statusCode: 503, code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', error: 'Service Unavailable', message: 'The identity provider is unavailable, retry later' })
  }
})

t.test('an unreachable or hanging endpoint is 503 with Retry-After', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', 'hang')
  const app = await endpointsApp(t, endpoints, { timeout: 200, retryAfter: 7000 }, logs)
  const hung = await app.inject({ url: '/auth', headers: bearer(opaque()) })
  t.equal(hung.statusCode, 503)
  t.equal(hung.headers['retry-after'], '7')
  await endpoints.close()
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 503)
})

t.test('no introspection_endpoint in the metadata is 503, explained in the log', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/.well-known/openid-configuration', { body: { issuer: endpoints.origin, jwks_uri: `${endpoints.origin}/jwks` } })
  const app = await endpointsApp(t, endpoints, { metadata: {} }, logs)
  const before = logs.lines.length
  t.equal((await app.inject({ url: '/auth', headers: bearer(opaque()) })).statusCode, 503)
  t.match(logs.lines.slice(before).join('\n'), /no introspection_endpoint/)
})

t.test('an answer is cached under a hash of the token: the next request makes no call', async (t) => {
  const { app, endpoints } = await setup(t, activeAnswer)
  const token = opaque()
  for (let i = 0; i < 5; i++) t.equal((await app.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  t.equal(endpoints.calls('/introspect'), 1)
})

t.test('a cached answer expires after cacheMaxTTL, and never outlives exp', async (t) => {
  const clock = freezeClock(t)
  const now = Math.floor(Date.now() / 1000)
  const { app, endpoints } = await setup(t, (e) => activeAnswer(e, { exp: now + 15 }), { introspection: { ...CREDENTIALS, cacheMaxTTL: 10_000 } })
  const token = opaque()
  await app.inject({ url: '/auth', headers: bearer(token) })
  clock.ms = 9_999
  await app.inject({ url: '/auth', headers: bearer(token) })
  t.equal(endpoints.calls('/introspect'), 1, 'within cacheMaxTTL')
  clock.ms = 10_000
  await app.inject({ url: '/auth', headers: bearer(token) })
  t.equal(endpoints.calls('/introspect'), 2, 'after cacheMaxTTL')
  clock.ms = 15_000
  await app.inject({ url: '/auth', headers: bearer(token) })
  t.equal(endpoints.calls('/introspect'), 3, 'the second entry ended at exp, before its cacheMaxTTL')
})

t.test('cacheMaxTTL 0: every request asks the provider', async (t) => {
  const { app, endpoints } = await setup(t, activeAnswer, { introspection: { ...CREDENTIALS, cacheMaxTTL: 0 } })
  const token = opaque()
  for (let i = 0; i < 3; i++) await app.inject({ url: '/auth', headers: bearer(token) })
  t.equal(endpoints.calls('/introspect'), 3)
})

t.test('a refused token is refused from memory for negativeCacheTTL, then asked again', async (t) => {
  const clock = freezeClock(t)
  const { app, endpoints } = await setup(t, { active: false }, { introspection: { ...CREDENTIALS, negativeCacheTTL: 2000 } })
  const token = opaque()
  for (let i = 0; i < 10; i++) t.equal((await app.inject({ url: '/auth', headers: bearer(token) })).statusCode, 401)
  t.equal(endpoints.calls('/introspect'), 1)
  clock.ms = 2_000
  await app.inject({ url: '/auth', headers: bearer(token) })
  t.equal(endpoints.calls('/introspect'), 2)
})

t.test('a provider failure is not cached: the next request asks again', async (t) => {
  const { app, endpoints } = await setup(t, activeAnswer)
  endpoints.answer('/introspect', { status: 500 })
  const token = opaque()
  t.equal((await app.inject({ url: '/auth', headers: bearer(token) })).statusCode, 503)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints) })
  t.equal((await app.inject({ url: '/auth', headers: bearer(token) })).statusCode, 200)
  t.equal(endpoints.calls('/introspect'), 2)
})

t.test('concurrent requests with one token share one introspection call', async (t) => {
  const { app, endpoints } = await setup(t, activeAnswer, { introspection: { ...CREDENTIALS, cacheMaxTTL: 0 } })
  const token = opaque()
  const replies = await Promise.all(Array.from({ length: 25 }, async () => await app.inject({ url: '/auth', headers: bearer(token) })))
  t.ok(replies.every((r) => r.statusCode === 200))
  t.equal(endpoints.calls('/introspect'), 1)
})

t.test('the Introspector keeps the raw token out of its cache entries', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints) })
  const introspector = new Introspector({
    issuer: endpoints.origin,
    audience: [AUDIENCE],
    clockTolerance: 5000,
    timeout: 1000,
    retryAfter: 5000,
    realm: 'api',
    claims: DEFAULT_CLAIM_NAMES,
    credentials: resolveIntrospectionOptions({ ...CREDENTIALS, cacheMaxEntries: 2 }),
    endpoint: async () => `${endpoints.origin}/introspect`
  })
  const token = opaque()
  const auth = await introspector.introspect(token)
  t.equal(auth.token, token, 'the request gets its token back')
  const entry = introspector.cache.get(tokenKey(token))
  t.ok(entry?.active)
  t.notOk(JSON.stringify(entry).includes(token))
  for (let i = 0; i < 3; i++) await introspector.introspect(opaque())
  t.equal(introspector.cache.size, 2, 'bounded by cacheMaxEntries')
  endpoints.answer('/introspect', { body: { active: false } })
  await t.rejects(introspector.introspect(opaque()), { code: 'OAUTH_GUARD_INVALID_TOKEN', headers: { 'www-authenticate': `Bearer realm="api", ${INVALID_TOKEN.slice(7, -DPOP_OFFER.length)}` } })
})

t.test('the resolved options hide the client secret from JSON and logs', async (t) => {
  const { app } = await setup(t, activeAnswer)
  const resolved = app.oauthGuard.options.introspection
  t.equal(resolved?.clientSecret, CREDENTIALS.clientSecret)
  t.notOk(JSON.stringify(app.oauthGuard.options).includes('s3cret'))
  t.match(resolved, { clientId: CREDENTIALS.clientId, authMethod: 'client_secret_basic', cacheMaxTTL: 60_000, cacheMaxEntries: 10000, negativeCacheTTL: 5000 })
})

t.test('auto: JWT-shaped tokens are verified locally, others introspected', async (t) => {
  const issuer = await createLocalIssuer({ audience: AUDIENCE })
  t.teardown(() => issuer.close())
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: { ...activeAnswer(endpoints), iss: issuer.issuer } })
  const app = await endpointsApp(t, endpoints, { issuer: issuer.issuer, validation: 'auto', metadata: { jwks_uri: issuer.jwksUri, introspection_endpoint: `${endpoints.origin}/introspect` } }, logs)
  const jwt = await issuer.sign({ scope: 'items:read' })
  logs.secret(jwt)
  const local = await app.inject({ url: '/auth', headers: bearer(jwt) })
  t.equal(local.json().method, 'jwt')
  t.equal(endpoints.calls('/introspect'), 0)
  const remote = await app.inject({ url: '/auth', headers: bearer(opaque()) })
  t.equal(remote.json().method, 'introspection')
  t.equal(endpoints.calls('/introspect'), 1)
})

t.test('options: introspection credentials are required with introspection or auto, refused with jwt', async (t) => {
  const register = async (options: OAuthGuardOptions) => {
    const app = Fastify()
    t.teardown(() => app.close())
    await app.register(oauthGuard, options)
  }
  for (const validation of ['introspection', 'auto'] as const) {
    await t.rejects(register({ issuer: 'https://idp.example', audience: AUDIENCE, validation }), {
      code: 'OAUTH_GUARD_INVALID_OPTIONS',
      problems: [`options.introspection: expected { clientId, clientSecret } (the API's credentials at the introspection endpoint) with validation "${validation}", received undefined`]
    })
  }
  await t.rejects(register({ issuer: 'https://idp.example', audience: AUDIENCE, introspection: CREDENTIALS }), {
    code: 'OAUTH_GUARD_INVALID_OPTIONS',
    problems: ["options.introspection: expected only with validation 'introspection' or 'auto', received it with validation 'jwt'"]
  })
  await t.rejects(register({
    issuer: 'https://idp.example',
    audience: AUDIENCE,
    validation: 'introspection',
    introspection: { clientId: '', clientSecret: 'x', authMethod: 'private_key_jwt' as never, cacheMaxTTL: -1 }
  }), { code: 'OAUTH_GUARD_INVALID_OPTIONS', problems: [/options\.introspection\.clientId/, /options\.introspection\.authMethod/, /options\.introspection\.cacheMaxTTL/] })
})

checkNoSecretsLogged(t, logs)
