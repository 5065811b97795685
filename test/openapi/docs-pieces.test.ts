import Fastify from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUI from '@fastify/swagger-ui'
import t from 'tap'
import { InvalidOptionsError, oauthGuard, oauthGuardDocs, ProviderUnavailableError } from '../../lib/index.js'
import { listeningOrigin } from '../../lib/openapi/docs-pieces.js'
import { createLogCapture } from '../fixtures/log-capture.js'
import { addSampleRoutes, docsApp, documentOf, openAPIErrors, startIssuer } from '../fixtures/docs-app.js'
import { startFaultyProvider } from '../fixtures/faulty-provider.js'

t.test('registering @fastify/swagger and @fastify/swagger-ui yourself with the pieces gives the same document as the docs option', async (t) => {
  const issuer = await startIssuer(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: 'https://api.example.com', scopes: { 'items:read': 'Read items' } })
  const docs = oauthGuardDocs(app, { clientId: 'swagger-ui' })
  t.equal(docs.path, '/docs')
  t.equal(docs.redirectURI('https://example.com'), 'https://example.com/docs/static/oauth2-redirect.html')
  await app.register(swagger, docs.swagger)
  await app.register(swaggerUI, docs.swaggerUI)
  addSampleRoutes(app)
  const ours = await documentOf(t, app)
  const reference = await documentOf(t, await docsApp(t, issuer))
  t.same(ours, reference)
  t.same(await openAPIErrors(ours), [])
  t.match((await app.inject('/docs/static/swagger-initializer.js')).body, '"scopes":["openid","profile","email","items:read","items:write"]')
})

t.test('your own options are spread over the pieces, and your transformObject runs before ours', async (t) => {
  const issuer = await startIssuer(t)
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: 'https://api.example.com' })
  const docs = oauthGuardDocs(app, {
    routePrefix: '/reference',
    swagger: { transformObject: ({ openapiObject }: { openapiObject: Record<string, any> }) => ({ ...openapiObject, 'x-seen': true }) }
  })
  await app.register(swagger, { ...docs.swagger, openapi: { ...docs.swagger.openapi, info: { title: 'Mine', version: '3.0.0' } } })
  await app.register(swaggerUI, { ...docs.swaggerUI, uiConfig: { docExpansion: 'none' } })
  addSampleRoutes(app)
  const document = await documentOf(t, app, '/reference/json')
  t.equal(document['x-seen'], true)
  t.same(document.info, { title: 'Mine', version: '3.0.0' })
  t.equal(document.components.securitySchemes.oauth2.type, 'oauth2')
  t.ok(document.paths['/items'].get.responses['401'])
  const script = (await app.inject('/reference/static/swagger-initializer.js')).body
  t.match(script, '"docExpansion":"none"')
  t.notMatch(script, '"clientId"', 'no client ID given: the dialog asks for it')
})

t.test('oauthGuardDocs refuses an instance without the plugin, and invalid options', async (t) => {
  const bare = Fastify()
  t.teardown(() => bare.close())
  t.throws(() => oauthGuardDocs(bare), { code: 'OAUTH_GUARD_INVALID_OPTIONS', problems: [/^oauthGuardDocs\(fastify\): expected an instance fastify-oauth-guard is registered on/] })
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'a' })
  const error = (() => {
    try {
      oauthGuardDocs(app, { clientId: '', publicURL: 'not a URL', swaggerUI: { initOAuth: { clientSecret: 's' } } })
    } catch (err) {
      return err
    }
  })()
  t.type(error, InvalidOptionsError)
  t.match((error as InvalidOptionsError).problems, [/^docs\.clientId: /, /^docs\.publicURL: /, /^docs\.swaggerUI\.initOAuth\.clientSecret: /])
})

t.test('app.swagger() while the provider is down throws 503 and caches nothing; it works once the provider is back', async (t) => {
  const provider = await startFaultyProvider()
  t.teardown(() => provider.close())
  await provider.setFault('down')
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: provider.issuer, audience: 'a' })
  const docs = oauthGuardDocs(app)
  await app.register(swagger, docs.swagger)
  addSampleRoutes(app)
  await app.ready()
  t.throws(() => app.swagger(), ProviderUnavailableError)
  await t.rejects(docs.ready(), ProviderUnavailableError)
  await provider.setFault('none')
  await docs.ready()
  const document = app.swagger() as Record<string, any>
  t.equal(document.components.securitySchemes.oauth2.flows.authorizationCode.authorizationUrl, `${provider.issuer}/authorize`)
})

t.test('two Swagger UIs on one document: each is served, fixed and logged with its own redirect URI', async (t) => {
  const issuer = await startIssuer(t)
  const capture = createLogCapture()
  const app = Fastify({ logger: capture.logger })
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: 'a' })
  const first = oauthGuardDocs(app, { clientId: 'public-docs' })
  const second = oauthGuardDocs(app, { clientId: 'internal-docs', routePrefix: '/internal/docs', selectedScopes: [] })
  await app.register(swagger, first.swagger)
  await app.register(swaggerUI, first.swaggerUI)
  // @fastify/swagger-ui decorates the instance: a second one needs its own context.
  await app.register(async (child) => { await child.register(swaggerUI, second.swaggerUI) })
  addSampleRoutes(app)
  await app.listen({ host: '127.0.0.1', port: 0 })
  t.match((await app.inject('/internal/docs/static/swagger-initializer.js')).body, '{"scopes":[],"usePkceWithAuthorizationCodeGrant":true,"clientId":"internal-docs"}')
  t.equal((await app.inject('/internal/docs/json')).statusCode, 200)
  const logged = capture.lines.map((l) => JSON.parse(l)).filter((l) => l.redirectURI !== undefined).map((l) => [l.clientId, new URL(l.redirectURI).pathname])
  t.same(logged, [['public-docs', '/docs/static/oauth2-redirect.html'], ['internal-docs', '/internal/docs/static/oauth2-redirect.html']])
})

t.test('the printed origin: IPv4 first, wildcard addresses as localhost, IPv6 in brackets, https when configured', async (t) => {
  t.equal(listeningOrigin([{ address: '::1', family: 'IPv6', port: 1 }, { address: '127.0.0.1', family: 'IPv4', port: 2 }], false), 'http://127.0.0.1:2')
  t.equal(listeningOrigin([{ address: '::1', family: 'IPv6', port: 3 }], true), 'https://[::1]:3')
  t.equal(listeningOrigin([{ address: '0.0.0.0', family: 'IPv4', port: 4 }], false), 'http://localhost:4')
  t.equal(listeningOrigin([{ address: '::', family: 'IPv6', port: 5 }], false), 'http://localhost:5')
  t.equal(listeningOrigin(['/tmp/api.sock'], false), 'http://localhost')
})

t.test('a client secret anywhere in the Swagger UI configuration is refused, whatever its spelling or depth', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'a' })
  const cycle: Record<string, unknown> = { appName: 'ok' }
  cycle.self = cycle
  const problemsOf = (options: Parameters<typeof oauthGuardDocs>[1]): string[] => {
    try {
      oauthGuardDocs(app, options)
      return []
    } catch (err) {
      return (err as InvalidOptionsError).problems as string[]
    }
  }
  const problems = problemsOf({
    authorizationParams: { 'Client-Secret': 'leak1' },
    swaggerUI: {
      initOAuth: { additionalQueryStringParams: { client_secret: 'leak2' }, extra: [{ SECRET: 'leak3' }] },
      uiConfig: { deep: { deeper: { clientSecret: 'leak4' } } },
      theme: cycle
    }
  })
  t.same(problems.map((p) => p.slice(0, p.indexOf(':'))), [
    'docs.swaggerUI.initOAuth.additionalQueryStringParams.client_secret',
    'docs.swaggerUI.initOAuth.extra[0].SECRET',
    'docs.swaggerUI.uiConfig.deep.deeper.clientSecret',
    'docs.authorizationParams.Client-Secret'
  ])
  t.match(problems[0], /expected no client secret in the Swagger UI configuration \(it is sent to the browser/)
  t.notMatch(problems.join('\n'), /leak/, 'the secret is not repeated')
  t.same(problemsOf({ swaggerUI: { initOAuth: { appName: 'Demo', additionalQueryStringParams: { prompt: 'login' } }, theme: cycle } }), [], 'other keys and cycles are fine')
})
