import t from 'tap'
import { allowConnectTo, relaxOpenerPolicy } from '../../lib/openapi/browser-headers.js'
import { docsApp, startIssuer } from '../fixtures/docs-app.js'

// What @fastify/helmet sends by default, the usual cause of a silently failing login.
const HELMET = {
  'content-security-policy': "default-src 'self'; script-src 'self'; style-src 'self' https: 'unsafe-inline'",
  'cross-origin-opener-policy': 'same-origin'
}

t.test('allowConnectTo adds the origin to connect-src, or derives connect-src from default-src', async (t) => {
  const origin = 'https://id.example.com'
  t.equal(allowConnectTo("default-src 'self'; img-src data:", [origin]), `default-src 'self'; img-src data:; connect-src 'self' ${origin}`)
  t.equal(allowConnectTo("default-src 'none'", [origin]), `default-src 'none'; connect-src ${origin}`)
  t.equal(allowConnectTo("connect-src 'self'; default-src 'none'", [origin]), `connect-src 'self' ${origin}; default-src 'none'`)
  t.equal(allowConnectTo(`connect-src 'self' ${origin}`, [origin]), `connect-src 'self' ${origin}`, 'already allowed')
  t.equal(allowConnectTo("connect-src *; default-src 'self'", [origin]), "connect-src *; default-src 'self'", 'a wildcard allows it')
  t.equal(allowConnectTo("img-src 'self'", [origin]), "img-src 'self'", 'nothing restricts fetches')
})

t.test('relaxOpenerPolicy turns same-origin into same-origin-allow-popups and leaves other values', async (t) => {
  t.equal(relaxOpenerPolicy('same-origin'), 'same-origin-allow-popups')
  t.equal(relaxOpenerPolicy('same-origin; report-to="coop"'), 'same-origin-allow-popups; report-to="coop"')
  t.equal(relaxOpenerPolicy('same-origin-allow-popups'), 'same-origin-allow-popups')
  t.equal(relaxOpenerPolicy('unsafe-none'), 'unsafe-none')
})

t.test('under helmet-like headers, the docs keep the login popup working and the API keeps its headers', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer)
  app.addHook('onRequest', async (_request, reply) => { reply.headers(HELMET) })
  const connect = `connect-src 'self' ${issuer.issuer}`
  const page = await app.inject('/docs')
  t.equal(page.headers['cross-origin-opener-policy'], 'same-origin-allow-popups')
  t.equal(page.headers['content-security-policy'], `${HELMET['content-security-policy']}; ${connect}`)
  const redirect = await app.inject('/docs/static/oauth2-redirect.html')
  t.equal(redirect.statusCode, 200)
  t.equal(redirect.headers['cross-origin-opener-policy'], 'unsafe-none', 'the popup keeps window.opener')
  const document = await app.inject('/docs/json')
  t.equal(document.headers['cross-origin-opener-policy'], 'same-origin-allow-popups')
  const api = await app.inject('/public')
  t.same([api.headers['cross-origin-opener-policy'], api.headers['content-security-policy']], [HELMET['cross-origin-opener-policy'], HELMET['content-security-policy']])
})

t.test('without such headers, the docs get none added', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer)
  for (const url of ['/docs', '/docs/static/oauth2-redirect.html', '/docs/static/swagger-ui.css']) {
    const response = await app.inject(url)
    t.equal(response.statusCode, 200, url)
    t.same([response.headers['cross-origin-opener-policy'], response.headers['content-security-policy']], [undefined, undefined], url)
  }
})

t.test('every one of several CSP headers is extended', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer)
  app.addHook('onRequest', async (_request, reply) => { reply.header('content-security-policy', ["default-src 'self'", "script-src 'self'"]) })
  const page = await app.inject('/docs')
  t.same(page.headers['content-security-policy'], [`default-src 'self'; connect-src 'self' ${issuer.issuer}`, "script-src 'self'"])
})

t.test("@fastify/swagger-ui's own staticCSP is extended too", async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer, { docs: { swaggerUI: { staticCSP: true } } })
  const page = await app.inject('/docs')
  t.match(page.headers['content-security-policy'], new RegExp(`^default-src 'self'; .*; connect-src 'self' ${issuer.issuer}$`))
})
