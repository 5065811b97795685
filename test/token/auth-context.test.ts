// `request.auth` printed by accident (console.log, util.inspect) shows the token as its length and
// last characters; JSON, which routes send on purpose, keeps it whole (issue 12).
import { randomBytes } from 'node:crypto'
import { formatWithOptions, inspect } from 'node:util'
import t from 'tap'
import { withToken } from '../../lib/token/auth-context.js'
import { buildAuthContext, DEFAULT_CLAIM_NAMES } from '../../lib/token/claims.js'
import { guardedApp } from '../fixtures/guarded-app.js'
import { activeAnswer, endpointsApp, startEndpoints } from '../fixtures/oauth-endpoints.js'

const exp = Math.floor(Date.now() / 1000) + 600
const token = `eyJ.${randomBytes(48).toString('base64url')}`
const context = buildAuthContext({ sub: 'u1', exp, scope: 'items:read' }, token, DEFAULT_CLAIM_NAMES, 'jwt')
const redacted = `[token: ${token.length} characters, ends "${token.slice(-4)}"]`

t.test('util.inspect shows the token as its length and last four characters', async (t) => {
  const printed = inspect(context)
  t.notMatch(printed, token.slice(0, -4))
  t.match(printed, redacted)
  t.match(printed, /^AuthContext \{\s+id: 'u1',\s+clientId: null,\s+scopes: \[ 'items:read' \],/)
})

t.test('console.log prints the context redacted', async (t) => {
  // console.log formats its arguments with formatWithOptions; %o and %O go through inspect too.
  for (const printed of [formatWithOptions({}, context), formatWithOptions({}, '%o', context), formatWithOptions({}, 'auth: %O', { auth: context })]) {
    t.notMatch(printed, token.slice(0, -4))
    t.match(printed, redacted)
  }
})

t.test('JSON keeps the whole token', async (t) => {
  t.equal(JSON.parse(JSON.stringify(context)).token, token)
  t.equal(context.token, token)
})

t.test('a short token prints as its length only', async (t) => {
  const printed = inspect(buildAuthContext({ sub: 'u1', exp }, 'short-token-123', DEFAULT_CLAIM_NAMES, 'jwt'))
  t.match(printed, '[token: 15 characters]')
  t.notMatch(printed, '123')
})

t.test('a context nested deeper than the inspect depth prints as [AuthContext]', async (t) => {
  t.equal(inspect({ a: { b: { auth: context } } }, { depth: 1 }), '{ a: { b: [Object] } }')
  t.equal(inspect({ a: { auth: context } }, { depth: 1 }), '{ a: { auth: [AuthContext] } }')
})

t.test('a context rebuilt from a cached answer prints redacted too', async (t) => {
  const { token: _token, ...cached } = context
  const printed = inspect(withToken(cached, token))
  t.match(printed, redacted)
  t.notMatch(printed, token.slice(0, -4))
})

t.test('request.auth prints redacted and is sent whole, with a JWT', async (t) => {
  const { app, bearer } = await guardedApp(t)
  app.get('/printed', { onRequest: app.authenticate }, async (request) => ({ printed: inspect(request.auth), auth: request.auth }))
  const headers = await bearer()
  const jwt = headers.authorization.slice('Bearer '.length)
  const body = (await app.inject({ url: '/printed', headers })).json()
  t.equal(body.auth.token, jwt)
  t.notMatch(body.printed, jwt.slice(0, -4))
  t.match(body.printed, `[token: ${jwt.length} characters, ends "${jwt.slice(-4)}"]`)
})

t.test('request.auth prints redacted and is sent whole, with an introspected token, fresh and cached', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints) })
  const app = await endpointsApp(t, endpoints)
  app.get('/printed', { onRequest: app.authenticate }, async (request) => ({ printed: inspect(request.auth), auth: request.auth }))
  const opaque = `opaque-${randomBytes(24).toString('base64url')}`
  for (let i = 0; i < 2; i++) {
    const body = (await app.inject({ url: '/printed', headers: { authorization: `Bearer ${opaque}` } })).json()
    t.equal(body.auth.token, opaque)
    t.notMatch(body.printed, opaque.slice(0, -4))
    t.match(body.printed, `[token: ${opaque.length} characters, ends "${opaque.slice(-4)}"]`)
  }
})
