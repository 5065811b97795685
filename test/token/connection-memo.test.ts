// A keep-alive connection that sends the same token again is answered from the connection memo:
// over real HTTP, with every per-request check still made and nothing served past exp.
import { Agent, request, type IncomingHttpHeaders } from 'node:http'
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import type { OAuthGuardOptions } from '../../lib/types.js'
import { LocalStore } from '../../lib/token/cache-store.js'
import { ConnectionMemo } from '../../lib/token/connection-memo.js'
import { freezeClock } from '../fixtures/oauth-endpoints.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const EXPIRED = 'Bearer error="invalid_token", error_description="The access token expired or is not yet valid"' + DPOP_OFFER

/** An app on 127.0.0.1 and a client holding one keep-alive connection to it. */
async function server (t: Test, options: Partial<OAuthGuardOptions> = {}) {
  const issuer = await createLocalIssuer()
  const app = Fastify()
  const agent = new Agent({ keepAlive: true, maxSockets: 1 })
  t.teardown(async () => {
    agent.destroy()
    await app.close()
    await issuer.close()
  })
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, ...options })
  app.get('/me', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (req) => ({ id: req.auth?.id, port: req.raw.socket.remotePort }))
  await app.listen({ port: 0, host: '127.0.0.1' })
  const port = (app.server.address() as { port: number }).port
  const send = async (token: string, path = '/me') => await new Promise<{ status: number, headers: IncomingHttpHeaders, body: Record<string, unknown> }>((resolve, reject) => {
    request({ host: '127.0.0.1', port, path, agent, headers: { authorization: `Bearer ${token}` } }, (res) => {
      let text = ''
      res.setEncoding('utf8')
      res.on('data', (chunk: string) => { text += chunk })
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: JSON.parse(text) }))
    }).on('error', reject).end()
  })
  return { issuer, send }
}

t.test('the same token on one connection is accepted again, on the same socket', async (t) => {
  const { issuer, send } = await server(t)
  const token = await issuer.sign({ scope: 'items:read', sub: 'alice' })
  const first = await send(token)
  const second = await send(token)
  t.equal(first.status, 200)
  t.equal(second.status, 200)
  t.equal(second.body.id, 'alice')
  t.equal(second.body.port, first.body.port, 'one keep-alive connection')
})

t.test('another token on the same connection is validated on its own', async (t) => {
  const { issuer, send } = await server(t)
  t.equal((await send(await issuer.sign({ scope: 'items:read', sub: 'alice' }))).status, 200)
  const bob = await send(await issuer.sign({ scope: 'items:read', sub: 'bob' }))
  t.equal(bob.body.id, 'bob')
  const noScope = await send(await issuer.sign({ scope: 'other', sub: 'carol' }))
  t.equal(noScope.status, 403)
  t.equal(noScope.body.code, 'OAUTH_GUARD_INSUFFICIENT_SCOPE')
})

t.test('a remembered header still gets the per-request checks (a token in the query string)', async (t) => {
  const { issuer, send } = await server(t)
  const token = await issuer.sign({ scope: 'items:read' })
  t.equal((await send(token)).status, 200)
  const res = await send(token, '/me?access_token=x')
  t.equal(res.status, 400)
  t.equal(res.headers['www-authenticate'], 'Bearer error="invalid_request", error_description="Access tokens are not accepted in the query string"')
  t.equal((await send(token)).status, 200)
})

t.test('a remembered token is refused once it expires', async (t) => {
  const { issuer, send } = await server(t, { clockTolerance: 0 })
  // Two seconds ahead: the first requests surely run before exp, whatever the current fraction of a second.
  const exp = Math.floor(Date.now() / 1000) + 2
  const token = await issuer.sign({ scope: 'items:read', exp })
  t.equal((await send(token)).status, 200)
  t.equal((await send(token)).status, 200)
  await new Promise((resolve) => setTimeout(resolve, exp * 1000 - Date.now() + 20))
  const res = await send(token)
  t.equal(res.status, 401)
  t.equal(res.headers['www-authenticate'], EXPIRED)
  t.equal(res.body.code, 'OAUTH_GUARD_TOKEN_EXPIRED')
})

t.test('ConnectionMemo: served for the same header only, while its store holds the entry', async (t) => {
  const clock = freezeClock(t)
  const store = new LocalStore<never>({ maxEntries: 10, maxBytes: 1024 * 1024, maxAge: 60_000 })
  const memo = new ConnectionMemo()
  const connection = {}
  const auth = { id: 'alice' } as never
  t.equal(memo.recall(connection, 'Bearer a'), undefined)
  memo.remember(connection, 'Bearer a', auth, store, store.set('a', auth, Date.now() + 1000, 1)!)
  t.equal(memo.recall(connection, 'Bearer a'), auth)
  t.equal(memo.recall(connection, 'Bearer b'), undefined, 'another header')
  t.equal(memo.recall({}, 'Bearer a'), undefined, 'another connection')
  clock.ms = 999
  t.equal(memo.recall(connection, 'Bearer a'), auth)
  clock.ms = 1000
  t.equal(memo.recall(connection, 'Bearer a'), undefined, 'never at or past the deadline')
})

t.test('ConnectionMemo: a result the store let go (deleted, replaced, evicted, cleared) is not served', async (t) => {
  const store = new LocalStore<never>({ maxEntries: 2, maxBytes: 1024 * 1024, maxAge: 60_000 })
  const memo = new ConnectionMemo()
  const exp = Date.now() + 60_000
  const remember = (connection: object, token: string) => {
    const auth = { id: token } as never
    memo.remember(connection, `Bearer ${token}`, auth, store, store.set(token, auth, exp, 1)!)
  }
  const [a, b, c] = [{}, {}, {}]
  remember(a, 'a')
  remember(b, 'b')
  t.ok(memo.recall(a, 'Bearer a'))
  store.delete('a')
  t.equal(memo.recall(a, 'Bearer a'), undefined, 'deleted (a token refused at userinfo is forgotten)')
  remember(a, 'a')
  store.set('a', { id: 'other' } as never, exp, 1)
  t.equal(memo.recall(a, 'Bearer a'), undefined, 'replaced')
  remember(c, 'c')
  t.equal(memo.recall(b, 'Bearer b'), undefined, 'evicted')
  t.ok(memo.recall(c, 'Bearer c'))
  store.clear()
  t.equal(memo.recall(c, 'Bearer c'), undefined, 'cleared')
})
