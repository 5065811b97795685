/**
 * A wrong or unreachable issuer shows at startup: one warning naming the cause (connection refused,
 * DNS, TLS, HTTP status, a timeout, an issuer mismatch, a refused endpoint), startup never fails,
 * and each request that needs the provider then gets 503 with one log line naming the same cause.
 */
import { X509Certificate } from 'node:crypto'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import { createServer as createTLSServer } from 'node:https'
import type { AddressInfo } from 'node:net'
import Fastify, { type FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard, { logSerializers, type OAuthGuardOptions } from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { ATTACKER_CERT_DER, ATTACKER_KEY_PEM } from '../fixtures/attacker-cert.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'

const logs = createLogCapture()
const STARTUP = /^fastify-oauth-guard: discovery at startup failed \(.+\); requests that need the identity provider get 503 until it answers$/
const issuer = await createLocalIssuer()
t.teardown(() => issuer.close())

interface Entry { level: number, msg: string, reason?: string, err?: { code?: string, detail?: string } }
const entries = (from: number): Entry[] => logs.lines.slice(from).map((line) => JSON.parse(line) as Entry)

/** Starts the app and returns the warnings and errors logged while it got ready. */
async function start (t: Test, options: OAuthGuardOptions): Promise<{ app: FastifyInstance, startup: Entry[], ms: number }> {
  const app = Fastify({ logger: { ...logs.logger, serializers: logSerializers } })
  t.teardown(() => app.close())
  await app.register(oauthGuard, options)
  app.get('/private', { schema: { security: [{ oauth2: [] }] } }, async () => 'ok')
  const before = logs.lines.length
  const started = performance.now()
  await app.ready()
  return { app, startup: entries(before).filter((entry) => entry.level >= 40), ms: performance.now() - started }
}

/** One request with a real token; returns the warnings and errors it logged. */
async function request (t: Test, app: FastifyInstance): Promise<Entry[]> {
  const token = await issuer.sign()
  logs.secret(token)
  const before = logs.lines.length
  const response = await app.inject({ url: '/private', headers: { authorization: `Bearer ${token}` } })
  t.equal(response.statusCode, 503)
  t.equal(response.json().code, 'OAUTH_GUARD_PROVIDER_UNAVAILABLE')
  t.notOk(response.body.includes('ECONN') || response.body.includes('detail'), 'the cause stays out of the body')
  return entries(before).filter((entry) => entry.level >= 40)
}

/** A local server answering every request with `handler`. */
async function serve (t: Test, handler: (req: IncomingMessage, res: ServerResponse, origin: string) => void): Promise<string> {
  let origin = ''
  const server = createServer((req, res) => handler(req, res, origin))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  t.teardown(() => { server.closeAllConnections(); server.close() })
  return origin
}

/** A port nothing listens on. */
async function closedPort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}

t.test('an issuer refusing connections: one startup warning, startup succeeds, then 503 with one line naming ECONNREFUSED', async (t) => {
  const origin = `http://127.0.0.1:${await closedPort()}`
  const { app, startup } = await start(t, { issuer: origin, audience: issuer.audience })
  const reason = `connection refused (ECONNREFUSED) from ${origin}/.well-known/openid-configuration`
  t.match(startup, [{ level: 40, msg: STARTUP, reason }])
  t.equal(startup.length, 1)
  const logged = await request(t, app)
  t.equal(logged.length, 1, 'one line per failing request')
  t.match(logged, [{ level: 50, err: { code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', detail: reason } }])
})

t.test('an issuer whose name does not resolve: the warning says DNS', async (t) => {
  // .invalid never resolves (RFC 6761 §6.4).
  const { startup } = await start(t, { issuer: 'https://id.invalid', audience: 'api' })
  t.match(startup, [{ level: 40, reason: /^DNS lookup failed \(E[A-Z_]+\) from https:\/\/id\.invalid\/\.well-known\/openid-configuration$/ }])
})

t.test('an issuer with a certificate we do not trust: the warning says TLS', async (t) => {
  const cert = new X509Certificate(Buffer.from(ATTACKER_CERT_DER, 'base64')).toString()
  const server = createTLSServer({ key: ATTACKER_KEY_PEM, cert }, (_req, res) => res.end('{}'))
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  t.teardown(() => { server.closeAllConnections(); server.close() })
  const { startup } = await start(t, { issuer: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, audience: 'api' })
  t.match(startup, [{ level: 40, reason: /^TLS failure \([A-Z_]+\) from https:\/\/127\.0\.0\.1:\d+\/\.well-known\/openid-configuration$/ }])
})

t.test('an issuer answering 500: the warning gives the HTTP status', async (t) => {
  const origin = await serve(t, (_req, res) => res.writeHead(500).end('{}'))
  const { startup } = await start(t, { issuer: origin, audience: 'api' })
  t.match(startup, [{ level: 40, reason: `HTTP status 500 from ${origin}/.well-known/openid-configuration` }])
})

t.test('an issuer that never answers holds startup for the timeout option only', async (t) => {
  const origin = await serve(t, () => {})
  const { startup, ms } = await start(t, { issuer: origin, audience: 'api', timeout: 200 })
  t.match(startup, [{ level: 40, reason: /^timed out/ }])
  t.ok(ms < 2000, `ready after ${Math.round(ms)} ms`)
})

t.test('a discovered data: jwks_uri is refused: one startup warning, then 503 with one line naming it', async (t) => {
  const origin = await serve(t, (_req, res, origin) => res.end(JSON.stringify({ issuer: origin, jwks_uri: 'data:application/json,{"keys":[]}' })))
  const { app, startup } = await start(t, { issuer: origin, audience: issuer.audience })
  const reason = 'discovered jwks_uri refused: expected an https URL (http is allowed on a loopback host only), received "data:application/json,{\\"keys\\":[]}"'
  t.match(startup, [{ level: 40, reason }])
  const logged = await request(t, app)
  t.match(logged, [{ level: 50, err: { detail: reason } }])
  t.equal(logged.length, 1)
})

t.test('a discovered introspection endpoint on another origin: one warning at startup, and it is used', async (t) => {
  const origin = await serve(t, (_req, res, origin) => res.end(JSON.stringify({ issuer: origin, jwks_uri: `${origin}/jwks`, introspection_endpoint: 'https://introspect.example.net/introspect' })))
  const { app, startup } = await start(t, { issuer: origin, audience: 'api', validation: 'introspection', introspection: { clientId: 'api', clientSecret: 'a-long-client-secret-value' } })
  logs.secret('a-long-client-secret-value')
  t.match(startup, [{ level: 40, msg: `fastify-oauth-guard: discovered introspection_endpoint "https://introspect.example.net" is on another origin than the issuer ${JSON.stringify(origin)}; the API's client credentials are sent there (set metadata.introspection_endpoint to pin it)` }])
  t.equal(startup.length, 1)
  t.equal((await app.oauthGuard.metadata()).introspection_endpoint, 'https://introspect.example.net/introspect')
})

t.test('no request at startup when the options give every endpoint requests need', async (t) => {
  let hits = 0
  const origin = await serve(t, (_req, res) => { hits++; res.end('{}') })
  const { startup } = await start(t, { issuer: origin, audience: 'api', metadata: { jwks_uri: `${origin}/jwks` } })
  t.equal(hits, 0)
  t.same(startup, [])
})

t.test('a reachable issuer: discovery done at startup, nothing logged above info', async (t) => {
  const { app, startup } = await start(t, { issuer: issuer.issuer, audience: issuer.audience })
  t.same(startup, [])
  const token = await issuer.sign()
  logs.secret(token)
  t.equal((await app.inject({ url: '/private', headers: { authorization: `Bearer ${token}` } })).statusCode, 200)
})

t.test('several issuers: one warning per failing issuer, tried side by side, so startup waits one timeout, not one each', async (t) => {
  const hanging = await Promise.all([serve(t, () => {}), serve(t, () => {}), serve(t, () => {})])
  const { startup, ms } = await start(t, { issuer: [{ issuer: issuer.issuer }, ...hanging.map((origin) => ({ issuer: origin }))], audience: issuer.audience, timeout: 1000 })
  t.equal(startup.length, 3, 'the reachable issuer is not warned about')
  t.ok(startup.every((entry) => entry.level === 40 && /^timed out/.test(entry.reason ?? '')), JSON.stringify(startup))
  t.ok(ms < 2500, `ready after ${Math.round(ms)} ms (three issuers one after the other would take 3000 ms)`)
})

checkNoSecretsLogged(t, logs)
