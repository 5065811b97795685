import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import type { AuthenticateOptions } from '../../lib/index.js'
import type { LocalIssuer } from '../../lib/testing/index.js'
import { issuerApp } from '../fixtures/guarded-app.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const PERMISSIONS = 'Bearer error="insufficient_scope", error_description="The access token does not grant the required permissions"'
const CLAIMS = 'Bearer error="insufficient_scope", error_description="The access token is not allowed to access this resource"'
const STEP_UP = 'Bearer error="insufficient_user_authentication", error_description="A stronger authentication level is required"'
const INVALID_TOKEN = 'Bearer error="invalid_token", error_description="The access token is invalid"' + DPOP_OFFER

interface PolicyApp { app: FastifyInstance, issuer: LocalIssuer, handled: { count: number }, get: (url: string, claims?: Record<string, unknown>) => Promise<{ status: number, challenge: unknown, body: Record<string, unknown> }> }

/** One route per policy under test, on a local issuer. */
async function policyApp (t: Test, options: Record<string, unknown> = {}): Promise<PolicyApp> {
  const { app, issuer } = await issuerApp(t, options, { algorithms: ['ES256'] })
  const handled = { count: 0 }
  const route = (url: string, policy: AuthenticateOptions) => app.get(url, { onRequest: app.authenticate(policy) }, async (request) => {
    handled.count++
    return { auth: request.auth === null ? null : { id: request.auth.id, permissions: request.auth.permissions } }
  })
  route('/permissions', { permissions: ['items:delete', 'items:read'] })
  route('/acr', { acr: ['urn:mfa', 'phr'] })
  route('/acr-one', { acr: 'urn:mfa' })
  route('/fresh', { maxAge: 300 })
  route('/acr-fresh', { acr: 'urn:mfa', maxAge: 60 })
  route('/acr-scope', { acr: 'urn:mfa', scopes: ['admin'] })
  route('/claims', { claims: (claims) => claims.tenant === 'a' })
  route('/claims-async', { claims: async (claims) => await Promise.resolve(claims.tenant === 'a') })
  route('/claims-throws', { claims: () => { throw new Error('bug in the check') } })
  route('/claims-truthy', { claims: (() => 'yes') as never })
  route('/optional', { optional: true, scopes: ['items:read'], permissions: ['items:read'], acr: 'urn:mfa', claims: (claims) => claims.tenant === 'a' })
  return {
    app,
    issuer,
    handled,
    async get (url, claims) {
      const headers = claims === undefined ? {} : { authorization: `Bearer ${await issuer.sign(claims)}` }
      const res = await app.inject({ url, headers })
      return { status: res.statusCode, challenge: res.headers['www-authenticate'], body: res.json() }
    }
  }
}

const { app, get, handled } = await policyApp(t)

t.test('permissions: all required ones present is 200', async (t) => {
  const res = await get('/permissions', { permissions: ['items:read', 'items:delete', 'other'] })
  t.equal(res.status, 200)
  t.same(res.body.auth, { id: 'user-1', permissions: ['items:read', 'items:delete', 'other'] })
})

t.test('permissions: one missing, or no permissions claim, is 403 OAUTH_GUARD_INSUFFICIENT_PERMISSIONS', async (t) => {
  const before = handled.count
  for (const claims of [{ permissions: ['items:read'] }, {}, { permissions: [] }, { scope: 'items:delete items:read' }]) {
    const res = await get('/permissions', claims)
    t.equal(res.status, 403, JSON.stringify(claims))
    t.equal(res.challenge, PERMISSIONS)
    t.same(res.body, { statusCode: 403, code: 'OAUTH_GUARD_INSUFFICIENT_PERMISSIONS', error: 'Forbidden', message: 'The access token does not grant the required permissions' })
  }
  t.equal(handled.count, before)
})

t.test('permissions: a space-separated string claim is read like scope', async (t) => {
  t.equal((await get('/permissions', { permissions: 'items:delete items:read' })).status, 200)
})

t.test('permissions: a claim of the wrong type is 401 invalid_token, not "no permissions"', async (t) => {
  const res = await get('/permissions', { permissions: { 'items:read': true } })
  t.equal(res.status, 401)
  t.equal(res.challenge, INVALID_TOKEN)
})

t.test('permissions: claims.permissions names another claim, dotted paths included', async (t) => {
  const { get } = await policyApp(t, { claims: { permissions: 'realm_access.roles' } })
  t.equal((await get('/permissions', { realm_access: { roles: ['items:read', 'items:delete'] } })).status, 200)
  t.equal((await get('/permissions', { permissions: ['items:read', 'items:delete'] })).status, 403, 'the default claim is no longer read')
})

t.test('acr: an accepted value is 200', async (t) => {
  t.equal((await get('/acr', { acr: 'phr' })).status, 200)
  t.equal((await get('/acr-one', { acr: 'urn:mfa' })).status, 200)
})

t.test('acr: another, missing or non-string acr is 401 insufficient_user_authentication with acr_values in order', async (t) => {
  const before = handled.count
  for (const claims of [{ acr: '0' }, {}, { acr: ['urn:mfa'] }, { acr: 'URN:MFA' }]) {
    const res = await get('/acr', claims)
    t.equal(res.status, 401, JSON.stringify(claims))
    t.equal(res.challenge, `${STEP_UP}, acr_values="urn:mfa phr"${DPOP_OFFER}`)
    t.same(res.body, { statusCode: 401, code: 'OAUTH_GUARD_INSUFFICIENT_USER_AUTHENTICATION', error: 'Unauthorized', message: 'A stronger authentication level is required' })
  }
  t.equal(handled.count, before)
})

t.test('maxAge: a recent auth_time is 200; an old or missing one is 401 with max_age', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  t.equal((await get('/fresh', { auth_time: now - 100 })).status, 200)
  for (const claims of [{ auth_time: now - 400 }, {}, { auth_time: String(now) }]) {
    const res = await get('/fresh', claims)
    t.equal(res.status, 401, JSON.stringify(claims))
    t.equal(res.challenge, `${STEP_UP}, max_age="300"${DPOP_OFFER}`)
  }
})

t.test('acr and maxAge together: the challenge names both, so one step-up satisfies the route', async (t) => {
  const now = Math.floor(Date.now() / 1000)
  for (const claims of [{ acr: 'urn:mfa', auth_time: now - 120 }, { acr: '0', auth_time: now }]) {
    t.equal((await get('/acr-fresh', claims)).challenge, `${STEP_UP}, acr_values="urn:mfa", max_age="60"${DPOP_OFFER}`)
  }
  t.equal((await get('/acr-fresh', { acr: 'urn:mfa', auth_time: now })).status, 200)
})

t.test('the authentication level is checked before the scopes: step up first', async (t) => {
  t.equal((await get('/acr-scope', { acr: '0', scope: 'read' })).status, 401)
  const scope = await get('/acr-scope', { acr: 'urn:mfa', scope: 'read' })
  t.equal(scope.status, 403)
  t.equal(scope.body.code, 'OAUTH_GUARD_INSUFFICIENT_SCOPE')
})

t.test('claims: a check returning true passes, false is 403 OAUTH_GUARD_CLAIMS_REJECTED', async (t) => {
  for (const url of ['/claims', '/claims-async']) {
    t.equal((await get(url, { tenant: 'a' })).status, 200, url)
    const res = await get(url, { tenant: 'b' })
    t.equal(res.status, 403, url)
    t.equal(res.challenge, CLAIMS)
    t.equal(res.body.code, 'OAUTH_GUARD_CLAIMS_REJECTED')
  }
})

t.test('claims: a check that throws or returns a truthy non-boolean refuses (fails closed)', async (t) => {
  const before = handled.count
  for (const url of ['/claims-throws', '/claims-truthy']) {
    const res = await get(url, { tenant: 'a' })
    t.equal(res.status, 403, url)
    t.equal(res.body.code, 'OAUTH_GUARD_CLAIMS_REJECTED')
    t.notOk(JSON.stringify(res.body).includes('bug in the check'))
  }
  t.equal(handled.count, before)
})

t.test('optional: no token gets through with auth null', async (t) => {
  const res = await get('/optional')
  t.equal(res.status, 200)
  t.same(res.body, { auth: null })
})

t.test('optional: a token meeting the whole policy gets through with auth', async (t) => {
  const res = await get('/optional', { scope: 'items:read', permissions: ['items:read'], acr: 'urn:mfa', tenant: 'a' })
  t.equal(res.status, 200)
  t.equal((res.body.auth as { id: string }).id, 'user-1')
})

t.test('optional: a sent token is held to the whole policy, never downgraded to anonymous', async (t) => {
  const before = handled.count
  const full = { scope: 'items:read', permissions: ['items:read'], acr: 'urn:mfa', tenant: 'a' }
  const cases: Array<[Record<string, unknown>, number, string]> = [
    [{ ...full, acr: '0' }, 401, 'OAUTH_GUARD_INSUFFICIENT_USER_AUTHENTICATION'],
    [{ ...full, scope: 'other' }, 403, 'OAUTH_GUARD_INSUFFICIENT_SCOPE'],
    [{ ...full, permissions: [] }, 403, 'OAUTH_GUARD_INSUFFICIENT_PERMISSIONS'],
    [{ ...full, tenant: 'b' }, 403, 'OAUTH_GUARD_CLAIMS_REJECTED'],
    [{ ...full, exp: Math.floor(Date.now() / 1000) - 60 }, 401, 'OAUTH_GUARD_TOKEN_EXPIRED']
  ]
  for (const [claims, status, code] of cases) {
    const res = await get('/optional', claims)
    t.equal(res.status, status, code)
    t.equal(res.body.code, code)
  }
  const forged = await app.inject({ url: '/optional', headers: { authorization: 'Bearer not-a-valid-token' } })
  t.equal(forged.statusCode, 401)
  t.equal(forged.headers['www-authenticate'], INVALID_TOKEN)
  t.equal(handled.count, before)
})

t.test('optional routes are documented as "anonymous, or a token with the scopes"', async (t) => {
  await app.ready()
  const route = app.oauthGuard.routes.find((r) => r.url === '/optional')
  t.same(route?.requirement?.alternatives.map((a) => a.scopes), [null, ['items:read']])
})

t.test('bad authenticate() options fail when the route is added, naming the option', async (t) => {
  const bad: Array<[unknown, RegExp]> = [
    [{ maxAge: -1 }, /authenticate\(options\)\.maxAge: expected a whole number of seconds/],
    [{ maxAge: 1.5 }, /maxAge/],
    [{ permissions: 'items:read' }, /authenticate\(options\)\.permissions: expected an array/],
    [{ permissions: ['two words'] }, /permissions/],
    [{ acr: [''] }, /authenticate\(options\)\.acr/],
    [{ claims: true }, /authenticate\(options\)\.claims: expected a function/],
    [{ acrValues: ['x'] }, /authenticate\(options\)\.acrValues: unknown option/],
    [null, /expected an options object/]
  ]
  for (const [options, message] of bad) {
    t.throws(() => app.authenticate(options as AuthenticateOptions), { code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY', message })
  }
})
