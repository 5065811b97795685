// pendingSchemes outside the routes the onRoute hook saw: early routes, 404s, other scopes.
import Fastify from 'fastify'
import t from 'tap'
import oauthGuard, { pendingSchemes } from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'

t.test('routes added before the plugin loaded: pendingSchemes reads what the fallback compiled', async (t) => {
  const issuer = await createLocalIssuer()
  const app = Fastify()
  t.teardown(async () => {
    await app.close()
    await issuer.close()
  })
  const seen: Record<string, unknown> = {}
  app.addHook('preHandler', async (request) => { seen[request.url] = pendingSchemes(request) })
  // No await: the routes below are added before the plugin runs (see unseen-routes.ts).
  app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, externalSchemes: ['apiKey'] })
  app.get('/key', { schema: { security: [{ apiKey: [] }] } }, async (request) => ({ auth: request.auth }))
  app.get('/anyone', { schema: { security: [{}] } }, async (request) => ({ auth: request.auth }))
  app.get('/broken', { schema: { security: [{ unknown: [] }] } }, async () => 'x')
  await app.ready()
  const token = { authorization: `Bearer ${await issuer.sign({ scope: 'admin' })}` }
  t.same((await app.inject({ url: '/key', headers: token })).json(), { auth: null }, 'no alternative takes a token: it is left alone')
  t.same(seen['/key'], [['apiKey']])
  t.same((await app.inject({ url: '/anyone', headers: { authorization: 'Bearer not-a-token' } })).json(), { auth: null })
  t.equal(seen['/anyone'], null)
  t.equal((await app.inject('/broken')).statusCode, 500, 'fails closed')
})

t.test('pendingSchemes is null on a 404 and fails closed on a route the plugin does not know', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const seen: Record<string, unknown> = {}
  app.addHook('onRequest', async (request) => { seen[request.url] = pendingSchemes(request) })
  await app.register(async (guarded) => {
    await guarded.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api' })
    guarded.get('/guarded-public', { schema: { security: [] } }, async () => 'x')
  })
  app.get('/elsewhere', async () => 'x')
  await app.ready()
  await app.inject('/nowhere')
  await app.inject('/elsewhere')
  await app.inject('/guarded-public')
  t.same(seen, { '/nowhere': null, '/elsewhere': [], '/guarded-public': null })
})
