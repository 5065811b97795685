// Route policies at their edges: the max_age boundary, odd auth_time values, the order of the
// checks when several fail, and claims checks that reject or resolve to something else than true.
import t from 'tap'
import {
  ClaimsRejectedError,
  ClientNotAllowedError,
  InsufficientPermissionsError,
  InsufficientScopeError,
  InsufficientUserAuthenticationError
} from '../../lib/errors.js'
import { checkPolicy, policyFromOptions } from '../../lib/fastify/policy.js'
import type { AuthContext } from '../../lib/token/auth-context.js'
import { freezeClock } from '../fixtures/oauth-endpoints.js'
import { guardedApp, issuerApp } from '../fixtures/guarded-app.js'

const STEP_UP = 'Bearer realm="api", error="insufficient_user_authentication", error_description="A stronger authentication level is required"'

function auth (claims: Record<string, unknown>, extra: Partial<AuthContext> = {}): AuthContext {
  return { id: 'u', clientId: 'svc-a', scopes: ['a'], permissions: ['p1'], token: 't', claims, expiresAt: new Date(), method: 'jwt', ...extra }
}

t.test('maxAge: auth_time exactly maxAge seconds ago passes, one second older is 401 with max_age', async (t) => {
  freezeClock(t)
  const now = Date.now() / 1000
  const policy = policyFromOptions({ maxAge: 300 })
  t.equal(checkPolicy(policy, auth({ auth_time: now - 300 }), {}), null)
  const error = checkPolicy(policy, auth({ auth_time: now - 301 }), { realm: 'api' })
  t.type(error, InsufficientUserAuthenticationError)
  t.equal((error as InsufficientUserAuthenticationError).headers['www-authenticate'], `${STEP_UP}, max_age="300"`)
})

t.test('maxAge: an auth_time in the future passes within the clock tolerance, not past it', async (t) => {
  freezeClock(t)
  const now = Date.now() / 1000
  const policy = policyFromOptions({ maxAge: 300 })
  t.equal(checkPolicy(policy, auth({ auth_time: now + 5 }), {}, 5000), null, 'within 5 s of tolerance')
  const error = checkPolicy(policy, auth({ auth_time: now + 6 }), { realm: 'api' }, 5000)
  t.equal((error as InsufficientUserAuthenticationError).headers['www-authenticate'], `${STEP_UP}, max_age="300"`, 'an authentication that has not happened yet is no recent one')
})

t.test('maxAge on the wire: a token whose auth_time lies an hour ahead gets 401 insufficient_user_authentication', async (t) => {
  const { app, bearer } = await guardedApp(t)
  app.get('/recent', { onRequest: app.authenticate({ maxAge: 600 }) }, async () => ({ ok: true }))
  const now = Math.floor(Date.now() / 1000)
  t.equal((await app.inject({ url: '/recent', headers: await bearer({ auth_time: now - 60 }) })).statusCode, 200)
  const res = await app.inject({ url: '/recent', headers: await bearer({ auth_time: now + 3600 }) })
  t.equal(res.statusCode, 401)
  t.match(res.headers['www-authenticate'], /^Bearer error="insufficient_user_authentication", error_description="A stronger authentication level is required", max_age="600"/)
})

t.test('maxAge 0: only an authentication of this very second passes', async (t) => {
  freezeClock(t)
  const policy = policyFromOptions({ maxAge: 0 })
  t.equal(checkPolicy(policy, auth({ auth_time: Date.now() / 1000 }), {}), null)
  t.type(checkPolicy(policy, auth({ auth_time: Date.now() / 1000 - 1 }), {}), InsufficientUserAuthenticationError)
})

t.test('maxAge: an auth_time that is not a finite number is treated as missing', async (t) => {
  const policy = policyFromOptions({ maxAge: 60 })
  for (const authTime of [String(Math.floor(Date.now() / 1000)), null, Number.POSITIVE_INFINITY, Number.NaN, [Date.now() / 1000], undefined]) {
    const error = checkPolicy(policy, auth({ auth_time: authTime }), { realm: 'api' })
    t.equal((error as InsufficientUserAuthenticationError | null)?.headers['www-authenticate'], `${STEP_UP}, max_age="60"`, String(authTime))
  }
})

t.test('acr: a non-string acr, or one that only differs in case, is refused with every accepted value in order', async (t) => {
  const policy = policyFromOptions({ acr: ['urn:mfa', 'urn:hwk'] })
  for (const acr of [['urn:mfa'], 'URN:MFA', 1, '']) {
    const error = checkPolicy(policy, auth({ acr }), { realm: 'api' }) as InsufficientUserAuthenticationError
    t.equal(error.headers['www-authenticate'], `${STEP_UP}, acr_values="urn:mfa urn:hwk"`, JSON.stringify(acr))
  }
  t.equal(checkPolicy(policy, auth({ acr: 'urn:hwk' }), {}), null, 'the second accepted value is enough')
})

t.test('when every check fails, the step-up (401) comes first, then clients, scopes, permissions and claims', async (t) => {
  let claimsCalls = 0
  const policy = policyFromOptions({ acr: 'urn:mfa', clients: ['svc-b'], scopes: ['b'], permissions: ['p2'], claims: () => { claimsCalls++; return false } })
  const failing = { acr: 'urn:pwd' }
  t.type(checkPolicy(policy, auth(failing), {}), InsufficientUserAuthenticationError)
  t.type(checkPolicy(policy, auth({ acr: 'urn:mfa' }), {}), ClientNotAllowedError)
  t.type(checkPolicy(policy, auth({ acr: 'urn:mfa' }, { clientId: 'svc-b' }), {}), InsufficientScopeError)
  t.type(checkPolicy(policy, auth({ acr: 'urn:mfa' }, { clientId: 'svc-b', scopes: ['b'] }), {}), InsufficientPermissionsError)
  t.equal(claimsCalls, 0, 'the claims check is not run while an earlier check fails')
  t.type(await checkPolicy(policy, auth({ acr: 'urn:mfa' }, { clientId: 'svc-b', scopes: ['b'], permissions: ['p2'] }), {}), ClaimsRejectedError)
  t.equal(claimsCalls, 1)
})

t.test('permissions: one missing lists every required permission on the error', async (t) => {
  const policy = policyFromOptions({ permissions: ['p1', 'p2', 'p1'] })
  const error = checkPolicy(policy, auth({}), {}) as InsufficientPermissionsError
  t.same(error.requiredPermissions, ['p1', 'p2'], 'deduplicated, in order')
  t.equal(checkPolicy(policy, auth({}, { permissions: ['p2', 'p1', 'p3'] }), {}), null)
})

t.test('claims: an async check that rejects refuses with 403, keeping the rejection as the cause', async (t) => {
  const failure = new Error('tenant lookup failed')
  const policy = policyFromOptions({ claims: async () => { throw failure } })
  const error = await checkPolicy(policy, auth({}), { realm: 'api' }) as ClaimsRejectedError
  t.type(error, ClaimsRejectedError)
  t.equal(error.cause, failure)
  t.equal(error.headers['www-authenticate'], 'Bearer realm="api", error="insufficient_scope", error_description="The access token is not allowed to access this resource"')
})

t.test('claims: a check resolving to anything but true refuses', async (t) => {
  for (const value of ['true', 1, {}, null, undefined]) {
    const policy = policyFromOptions({ claims: (async () => value) as never })
    t.type(await checkPolicy(policy, auth({}), {}), ClaimsRejectedError, JSON.stringify(value) ?? 'undefined')
  }
})

t.test('claims: the check is given the token\'s claims', async (t) => {
  const seen: unknown[] = []
  const policy = policyFromOptions({ claims: (claims) => { seen.push(claims); return true } })
  const claims = { sub: 'u', tenant: 'a' }
  t.equal(await checkPolicy(policy, auth(claims), {}), null)
  t.same(seen, [claims])
})

t.test('on the wire, an async claims check that rejects is 403 OAUTH_GUARD_CLAIMS_REJECTED without its message, and the handler does not run', async (t) => {
  const { app, issuer } = await issuerApp(t, {}, { algorithms: ['ES256'] })
  let handled = 0
  app.get('/tenant', { onRequest: app.authenticate({ claims: async () => { throw new Error('db down: password=hunter2') } }) }, async () => { handled++; return 'ok' })
  const res = await app.inject({ url: '/tenant', headers: { authorization: `Bearer ${await issuer.sign({ tenant: 'a' })}` } })
  t.equal(res.statusCode, 403)
  t.equal(res.headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token is not allowed to access this resource"')
  t.same(res.json(), { statusCode: 403, code: 'OAUTH_GUARD_CLAIMS_REJECTED', error: 'Forbidden', message: 'The access token is not allowed to access this resource' })
  t.equal(handled, 0)
})
