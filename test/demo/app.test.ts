import t from 'tap'
import { buildDemo, DEMO_SCOPES, DEMO_SECURITY_HEADERS } from '../../demo/app.js'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import { openAPIErrors } from '../fixtures/docs-app.js'

const AUDIENCE = 'urn:fastify-oauth-guard:demo-test'
const idp = await startIdentityProvider({ resource: AUDIENCE, apiScopes: { ...DEMO_SCOPES } })
t.teardown(() => idp.close())
const app = await buildDemo({ issuer: idp.issuer, audience: AUDIENCE, clientId: 'swagger-ui', logger: false })
t.teardown(() => app.close())
const bearer = async (scope: string) => ({ authorization: `Bearer ${await idp.clientCredentialsToken('machine', scope)}` })

t.test('the public route and the optional one answer without a token', async (t) => {
  t.same((await app.inject('/health')).json(), { status: 'ok' })
  t.same((await app.inject('/greeting')).json(), { message: 'Hello, anonymous', authenticated: false })
  t.same((await app.inject({ url: '/greeting', headers: await bearer('items:read') })).json(), { message: 'Hello, machine', authenticated: true })
})

t.test('GET /user returns the caller ID, scopes and token', async (t) => {
  t.equal((await app.inject('/user')).statusCode, 401)
  const headers = await bearer('items:read items:write')
  const body = (await app.inject({ url: '/user', headers })).json()
  t.match(body, { id: 'machine', clientId: 'machine', scopes: ['items:read', 'items:write'], expiresAt: /^\d{4}-/ })
  t.equal(`Bearer ${body.token as string}`, headers.authorization)
})

t.test('items need items:read to list and items:write to create', async (t) => {
  const reader = await bearer('items:read')
  const writer = await bearer('items:write')
  const denied = await app.inject({ method: 'POST', url: '/items', headers: reader, payload: { name: 'Teapot' } })
  t.equal(denied.statusCode, 403)
  t.equal(denied.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="items:write"')
  const created = await app.inject({ method: 'POST', url: '/items', headers: writer, payload: { name: 'Teapot' } })
  t.equal(created.statusCode, 201)
  t.match(created.json(), { name: 'Teapot', createdBy: 'machine' })
  t.equal((await app.inject({ method: 'POST', url: '/items', headers: writer, payload: { name: '' } })).statusCode, 400, 'the TypeBox body is validated')
  t.same((await app.inject({ url: '/items', headers: reader })).json(), [created.json()])
  t.equal((await app.inject({ url: '/items', headers: writer })).statusCode, 403)
})

t.test('the demo relays a machine client\'s token request at /docs/token, and the token works on GET /user', async (t) => {
  const { clientId, clientSecret } = idp.clients.machine
  const relayed = await app.inject({
    method: 'POST',
    url: '/docs/token',
    headers: { 'content-type': 'application/x-www-form-urlencoded', authorization: `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}` },
    payload: 'grant_type=client_credentials&scope=items%3Aread'
  })
  t.equal(relayed.statusCode, 200)
  const user = await app.inject({ url: '/user', headers: { authorization: `Bearer ${relayed.json().access_token as string}` } })
  t.match(user.json(), { id: 'machine', clientId: 'machine', scopes: ['items:read'] })
})

t.test('the demo document validates and sends helmet-like headers', async (t) => {
  const response = await app.inject('/docs/json')
  t.same(await openAPIErrors(response.json()), [])
  t.equal((await app.inject('/health')).headers['cross-origin-opener-policy'], DEMO_SECURITY_HEADERS['cross-origin-opener-policy'])
})
