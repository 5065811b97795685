// redactURL on odd URLs (encoded names, empty and repeated parameters, fragments, broken
// escapes), and Fastify's own request log with logSerializers when a token comes in the query.
import Fastify from 'fastify'
import t from 'tap'
import { oauthGuard } from '../../lib/index.js'
import { logSerializers, redactURL } from '../../lib/fastify/log-redaction.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { checkNoSecretsLogged, createLogCapture } from '../fixtures/log-capture.js'

t.test('a fully percent-encoded name is still recognised', async (t) => {
  t.equal(redactURL('/a?%61%63%63%65%73%73%5F%74%6F%6B%65%6E=abc'), '/a?%61%63%63%65%73%73%5F%74%6F%6B%65%6E=[redacted]')
  t.equal(redactURL('/a?%63ode=abc&state=1'), '/a?%63ode=[redacted]&state=1')
})

t.test('a name that only resembles a credential parameter is left alone', async (t) => {
  // Query names are case-sensitive, and `+` decodes to a space: Fastify reads neither as access_token.
  t.equal(redactURL('/a?ACCESS_TOKEN=abc'), '/a?ACCESS_TOKEN=abc')
  t.equal(redactURL('/a?access+token=abc'), '/a?access+token=abc')
  t.equal(redactURL('/a?access_token%=abc'), '/a?access_token%=abc', 'a broken escape is compared as it is')
  t.equal(redactURL('/a?my_code=abc&codes=x'), '/a?my_code=abc&codes=x')
})

t.test('every occurrence is redacted, empty values included, and empty pairs are kept', async (t) => {
  t.equal(redactURL('/a?access_token=1&access_token=2'), '/a?access_token=[redacted]&access_token=[redacted]')
  t.equal(redactURL('/a?access_token='), '/a?access_token=[redacted]')
  t.equal(redactURL('/a?&&id_token=x&'), '/a?&&id_token=[redacted]&')
  t.equal(redactURL('/a?'), '/a?')
})

t.test('a value holding = or a second ? keeps its name: only that name decides', async (t) => {
  t.equal(redactURL('/a?client_secret=a=b=c&x=1'), '/a?client_secret=[redacted]&x=1')
  t.equal(redactURL('/a?refresh_token=x?y&z=1'), '/a?refresh_token=[redacted]&z=1')
})

t.test('the fragment is kept as it is after a redacted query', async (t) => {
  t.equal(redactURL('/a?code=abc#code=def'), '/a?code=[redacted]#code=def')
  t.equal(redactURL('/a?x=1#'), '/a?x=1#')
})

t.test('Fastify\'s request log with logSerializers never holds the query token of a refused request', async (t) => {
  const issuer = await createLocalIssuer()
  t.teardown(() => issuer.close())
  const logs = createLogCapture()
  const app = Fastify({ logger: { ...logs.logger, serializers: logSerializers } })
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience })
  app.get('/items', { onRequest: app.authenticate }, async () => [])
  const token = await issuer.sign({})
  logs.secret(token)
  const res = await app.inject(`/items?x=1&access_token=${token}#top`)
  t.equal(res.statusCode, 400)
  t.equal(res.json().code, 'OAUTH_GUARD_INVALID_REQUEST')
  const urls = logs.lines.map((line) => JSON.parse(line)).filter((line) => line.req !== undefined).map((line) => line.req.url)
  t.same(urls, ['/items?x=1&access_token=[redacted]'])
  t.same(logs.leaks(), [])
  checkNoSecretsLogged(t, logs)
})
