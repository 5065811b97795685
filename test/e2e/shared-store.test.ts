// Two API instances, one oidc-provider issuing opaque tokens, one real redis-server: answers shared
// through Redis, revocation seen across instances, Redis killed and stalled under load, and no
// token material in Redis.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import oauthGuard, { type OAuthGuardOptions } from '../../lib/index.js'
import { redisStore } from '../../lib/store/redis-store.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { startRedis } from '../fixtures/redis-server.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const RESOURCE = 'urn:example:api'
const INTROSPECTION = '/token/introspection'
const idp = await startIdentityProvider({ resource: RESOURCE, apiScopes: { 'items:read': 'Read items' } })
t.teardown(() => idp.close())
const redis = await startRedis(t)
const logs = createLogCapture()
logs.secret(idp.clients.resourceServer.clientSecret, idp.clients.machineOpaque.clientSecret)
/** Every token issued here, to look for in Redis. */
const issued: string[] = []

const calls = () => idp.hits[INTROSPECTION] ?? 0

async function opaque (): Promise<string> {
  const token = await idp.clientCredentialsToken('machineOpaque', 'items:read')
  logs.secret(token)
  issued.push(token)
  return token
}

/** One API instance with its own Redis client, as each process of a deployment has. */
async function instance (t: Test, options: Partial<OAuthGuardOptions> = {}) {
  const app = Fastify({ logger: logs.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, {
    issuer: idp.issuer,
    audience: RESOURCE,
    validation: 'introspection',
    introspection: { ...idp.clients.resourceServer, maxRequestsPerSecond: 0 },
    store: redisStore(await redis.readyClient()),
    // Generous on a loaded test machine; the failure tests set the default, 100 ms.
    storeTimeout: 1000,
    ...options
  })
  app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => ({ ok: true }))
  return async (token: string) => await app.inject({ url: '/items', headers: { authorization: `Bearer ${token}` } })
}

t.test('a token introspected by instance A is answered by instance B with no provider call', async (t) => {
  const [a, b] = [await instance(t), await instance(t)]
  const token = await opaque()
  const before = calls()
  t.equal((await a(token)).statusCode, 200)
  t.equal(calls(), before + 1)
  t.equal((await b(token)).statusCode, 200)
  t.equal((await b(token)).statusCode, 200, 'then from B\'s own level')
  t.equal(calls(), before + 1, 'one provider call across both instances')
})

t.test('a refusal learnt by A is served by B from Redis', async (t) => {
  const [a, b] = [await instance(t), await instance(t)]
  const garbage = 'never-issued-by-this-provider-0000000000'
  const before = calls()
  t.equal((await a(garbage)).statusCode, 401)
  const res = await b(garbage)
  t.equal(res.statusCode, 401)
  t.equal(res.headers['www-authenticate'], `Bearer error="invalid_token", error_description="The access token is invalid"${DPOP_OFFER}`)
  t.equal(calls(), before + 1)
})

t.test('a revoked token: once A learns it, B refuses it too, within cacheMaxTTL of the first answer', async (t) => {
  const introspection = { ...idp.clients.resourceServer, cacheMaxTTL: 800, maxRequestsPerSecond: 0 }
  const [a, b] = [await instance(t, { introspection }), await instance(t, { introspection })]
  const token = await opaque()
  t.equal((await a(token)).statusCode, 200)
  const answered = Date.now()
  t.equal((await b(token)).statusCode, 200, 'B copies A\'s answer, with A\'s deadline')
  await idp.revoke(token, 'machineOpaque')
  // Both levels of both instances hold the answer until A's answer + cacheMaxTTL, no longer.
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, answered + 850 - Date.now())))
  const before = calls()
  t.equal((await a(token)).statusCode, 401, 'A asks the provider again')
  t.equal(calls(), before + 1)
  t.equal((await b(token)).statusCode, 401, 'B reads A\'s refusal')
  t.equal(calls(), before + 1, 'without asking the provider')
})

t.test('Redis killed mid-run: requests keep working through the provider, no 500, one warning, recovery without restart', async (t) => {
  const [a, b] = [await instance(t, { storeTimeout: 100 }), await instance(t, { storeTimeout: 100 })]
  const tokens = [await opaque(), await opaque()]
  t.equal((await a(tokens[0])).statusCode, 200)
  const warnings = () => logs.lines.filter((line) => line.includes('shared store is unavailable')).length
  const recoveries = () => logs.lines.filter((line) => line.includes('shared store answers again')).length
  const [warned, recovered] = [warnings(), recoveries()]
  await redis.kill()
  const statuses: number[] = []
  let slowest = 0
  for (let i = 0; i < 20; i++) {
    const started = Date.now()
    statuses.push((await b(tokens[i % 2])).statusCode, (await a(tokens[1])).statusCode)
    slowest = Math.max(slowest, Date.now() - started)
  }
  t.same([...new Set(statuses)], [200], 'every request answered 200, through the provider')
  t.ok(slowest < 1500, `slowest pair of requests: ${slowest} ms`)
  t.equal(warnings() - warned, 2, 'one warning per instance for the outage')
  await redis.restart()
  const deadline = Date.now() + 5000
  // A token A has not seen asks the store: the first probe after STORE_RETRY_INTERVAL finds Redis back.
  for (let i = 0; recoveries() - recovered < 1 && Date.now() < deadline; i++) {
    t.equal((await a(`unknown-token-during-recovery-${i}-000000`)).statusCode, 401)
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  t.ok(recoveries() - recovered >= 1, 'recovery logged')
  const fresh = await opaque()
  t.equal((await a(fresh)).statusCode, 200)
  const before = calls()
  t.equal((await b(fresh)).statusCode, 200)
  t.equal(calls(), before, 'sharing resumed: B answered from A\'s answer')
})

t.test('Redis stalled: each request waits at most the store timeout, then the provider answers', async (t) => {
  const [a, b] = [await instance(t, { storeTimeout: 100 }), await instance(t, { storeTimeout: 100 })]
  const known = await opaque()
  t.equal((await a(known)).statusCode, 200)
  const warned = logs.lines.filter((line) => line.includes('shared store is unavailable')).length
  redis.stall()
  t.teardown(() => redis.resume())
  const statuses: number[] = []
  let slowest = 0
  const run = async (send: typeof a, token: string): Promise<void> => {
    const started = Date.now()
    statuses.push((await send(token)).statusCode)
    slowest = Math.max(slowest, Date.now() - started)
  }
  const tokens = [await opaque(), await opaque(), await opaque()]
  await Promise.all([...tokens.map(async (token) => await run(b, token)), run(a, known), run(b, known)])
  for (const token of tokens) await run(a, token)
  t.same([...new Set(statuses)], [200], 'every request answered 200')
  t.ok(slowest < 1500, `slowest request: ${slowest} ms`)
  t.equal(logs.lines.filter((line) => line.includes('shared store is unavailable')).length - warned, 2, 'each instance timed out on Redis, and warned once')
  redis.resume()
})

t.test('no token, secret or hashed-away value is readable in Redis: every key and value scanned', async (t) => {
  const pairs = await redis.dump()
  t.ok(pairs.length > 0, 'Redis holds entries')
  t.ok(issued.length > 5)
  const secrets = [...issued, idp.clients.resourceServer.clientSecret, idp.clients.machineOpaque.clientSecret]
  for (const [key, value] of pairs) {
    t.match(key, /^oauth-guard:introspection:[\w-]{16}:[\w-]{43}$/, 'prefix, namespace and digests only')
    for (const secret of secrets) {
      if (key.includes(secret) || value?.includes(secret) === true) t.fail(`token material in ${key}`)
    }
  }
  const value = JSON.parse(pairs[0][1]!) as { u: number, v?: Record<string, unknown>, r?: string }
  t.type(value.u, 'number')
  if (value.v !== undefined) t.notOk('token' in value.v, 'the claims, without a token field')
})

checkNoSecretsLogged(t, logs)
