import t from 'tap'
import { NO_CREDENTIALS } from '../fixtures/challenges.js'
import { guardedApp } from '../fixtures/guarded-app.js'

const handler = async (request: { requireAuth: () => { id: string } }) => ({ id: request.requireAuth().id })

t.test('requireAuth() returns the caller on a protected route', async (t) => {
  const { app, bearer } = await guardedApp(t)
  app.get('/me', { onRequest: app.authenticate }, handler)
  app.get('/me-schema', { schema: { security: [{ oauth2: [] }] } }, handler)
  const headers = await bearer({ sub: 'user-7' })
  for (const url of ['/me', '/me-schema']) {
    const res = await app.inject({ url, headers })
    t.equal(res.statusCode, 200, url)
    t.same(res.json(), { id: 'user-7' }, url)
  }
})

t.test('requireAuth() answers 401 Bearer on an anonymous call of an optional route, the challenge of the hooks', async (t) => {
  const { app, bearer } = await guardedApp(t)
  app.get('/maybe-me', { onRequest: app.authenticate({ optional: true }) }, handler)
  app.get('/items-guarded', { onRequest: app.authenticate }, handler)
  const res = await app.inject('/maybe-me')
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], NO_CREDENTIALS)
  t.equal((await app.inject('/items-guarded')).headers['www-authenticate'], NO_CREDENTIALS, 'as a protected route answers')
  t.same(res.json(), { statusCode: 401, code: 'OAUTH_GUARD_MISSING_TOKEN', error: 'Unauthorized', message: 'Bearer access token required' })
  t.same((await app.inject({ url: '/maybe-me', headers: await bearer({ sub: 'user-8' }) })).json(), { id: 'user-8' })
})

t.test('requireAuth() answers 401 on a route the guard does not protect, even with a token', async (t) => {
  const { app, bearer } = await guardedApp(t)
  app.get('/public-me', { schema: { security: [] } }, handler)
  const res = await app.inject({ url: '/public-me', headers: await bearer() })
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], NO_CREDENTIALS)
  t.equal(res.json().code, 'OAUTH_GUARD_MISSING_TOKEN')
})

t.test('requireAuth() carries the configured realm in its challenge', async (t) => {
  const { app } = await guardedApp(t, { realm: 'items' })
  app.get('/maybe-me', { onRequest: app.authenticate({ optional: true }) }, handler)
  t.equal((await app.inject('/maybe-me')).headers['www-authenticate'], 'Bearer realm="items", DPoP realm="items", algs="ES256 RS256 PS256 EdDSA"')
})

t.test('requireAuth() with dpop off names Bearer only', async (t) => {
  const { app } = await guardedApp(t, { dpop: 'off' })
  app.get('/maybe-me', { onRequest: app.authenticate({ optional: true }) }, handler)
  t.equal((await app.inject('/maybe-me')).headers['www-authenticate'], 'Bearer')
})
