// request.userinfo() through a real redis-server shared by two instances (what the store holds,
// what is ignored), and userinfo answers whose sub cannot be trusted.
import t, { type Test } from 'tap'
import { redisStore } from '../../lib/store/redis-store.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'
import { activeAnswer, bearer, CREDENTIALS, endpointsApp, type EndpointServer, opaqueToken, startEndpoints } from '../fixtures/oauth-endpoints.js'
import { startRedis } from '../fixtures/redis-server.js'

const logs = createLogCapture()
logs.secret(CREDENTIALS.clientSecret)
const redis = await startRedis(t)

const opaque = (): string => opaqueToken(logs)

async function sharedApps (t: Test, endpoints: EndpointServer, prefix: string) {
  endpoints.answer('/introspect', { body: activeAnswer(endpoints, { sub: 'user-1', scope: 'openid profile' }) })
  const store = { store: redisStore(await redis.readyClient(), { prefix }), storeTimeout: 5000 }
  return { one: await endpointsApp(t, endpoints, store, logs), two: await endpointsApp(t, endpoints, store, logs) }
}

async function userinfoEntries (prefix: string) {
  return (await redis.dump()).filter(([key]) => key.startsWith(`${prefix}userinfo:`))
}

t.test('a userinfo response is shared: the second instance answers from the store, which never holds the token', async (t) => {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/userinfo', { body: { sub: 'user-1', name: 'Ada' } })
  const { one, two } = await sharedApps(t, endpoints, 'ui-shared:')
  const token = opaque()
  t.same((await one.inject({ url: '/me', headers: bearer(token) })).json(), { sub: 'user-1', name: 'Ada' })
  const second = await two.inject({ url: '/me', headers: bearer(token) })
  t.equal(second.statusCode, 200)
  t.same(second.json(), { sub: 'user-1', name: 'Ada' })
  t.equal(endpoints.calls('/userinfo'), 1)
  const entries = await userinfoEntries('ui-shared:')
  t.equal(entries.length, 1)
  const [key, value] = entries[0]
  t.notOk(key.includes(token) || String(value).includes(token))
  t.match(JSON.parse(String(value)), { u: Number, v: { sub: 'user-1', name: 'Ada' } })
})

for (const [name, stored] of [['without sub', { name: 'Mallory' }], ['with a numeric sub', { sub: 1 }], ['null', null]] as const) {
  t.test(`a stored userinfo ${name} is ignored: the provider is asked again`, async (t) => {
    const endpoints = await startEndpoints(t)
    endpoints.answer('/userinfo', { body: { sub: 'user-1', name: 'Ada' } })
    const { one, two } = await sharedApps(t, endpoints, `ui-bad-${name.replace(/\W/g, '-')}:`)
    const token = opaque()
    t.equal((await one.inject({ url: '/me', headers: bearer(token) })).statusCode, 200)
    const [[key]] = await userinfoEntries(`ui-bad-${name.replace(/\W/g, '-')}:`)
    await (await redis.readyClient()).set(key, JSON.stringify({ u: Date.now() + 60_000, v: stored }))
    const res = await two.inject({ url: '/me', headers: bearer(token) })
    t.same(res.json(), { sub: 'user-1', name: 'Ada' })
    t.equal(endpoints.calls('/userinfo'), 2)
  })
}

for (const [name, body] of [['an empty sub', { sub: '' }], ['a numeric sub', { sub: 42 }], ['another subject', { sub: 'user-2' }]] as const) {
  t.test(`a userinfo response with ${name} is 502 OAUTH_GUARD_USERINFO_FAILED and not shared`, async (t) => {
    const endpoints = await startEndpoints(t)
    endpoints.answer('/userinfo', { body })
    const prefix = `ui-sub-${name.replace(/\W/g, '-')}:`
    const { one } = await sharedApps(t, endpoints, prefix)
    const res = await one.inject({ url: '/me', headers: bearer(opaque()) })
    t.equal(res.statusCode, 502)
    t.same(res.json(), { statusCode: 502, code: 'OAUTH_GUARD_USERINFO_FAILED', error: 'Bad Gateway', message: 'The identity provider refused the userinfo request' })
    t.equal(res.headers['www-authenticate'], undefined)
    t.same(await userinfoEntries(prefix), [])
  })
}

checkNoSecretsLogged(t, logs)
