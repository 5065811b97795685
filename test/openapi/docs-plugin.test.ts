import { readFile } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { InvalidOptionsError, oauthGuard } from '../../lib/index.js'
import { ErrorResponseSchema } from '../../lib/openapi/error-responses.js'
import { DOCS_PEERS, loadPeers } from '../../lib/openapi/docs-plugin.js'
import { createLogCapture } from '../fixtures/log-capture.js'
import { addSampleRoutes, docsApp, documentOf, openAPIErrors, startIssuer } from '../fixtures/docs-app.js'
import { startFaultyProvider } from '../fixtures/faulty-provider.js'

const errorRef = (name: string) => ({ $ref: `#/components/responses/${name}` })
const errorResponses = (forbidden: boolean) => ({
  400: errorRef('OAuthGuardInvalidRequest'),
  401: errorRef('OAuthGuardUnauthorized'),
  ...(forbidden && { 403: errorRef('OAuthGuardForbidden') }),
  503: errorRef('OAuthGuardUnavailable')
})

t.test('the document validates with a real OpenAPI parser, as 3.0.3 and as 3.1.0', async (t) => {
  const issuer = await startIssuer(t)
  for (const version of [undefined, '3.1.0']) {
    const app = await docsApp(t, issuer, { docs: { clientId: 'swagger-ui', openapi: { openapi: version } } })
    const document = await documentOf(t, app)
    t.equal(document.openapi, version ?? '3.0.3')
    t.same(await openAPIErrors(document), [], `valid ${document.openapi as string}`)
  }
})

t.test('the security scheme comes from discovery and lists the OpenID and route scopes with descriptions', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer)
  const document = await documentOf(t, app)
  t.same(document.components.securitySchemes.oauth2, {
    type: 'oauth2',
    description: `OAuth 2.0 Bearer access tokens issued by ${issuer.issuer}. Swagger UI signs in with the authorization code flow and PKCE.`,
    flows: {
      authorizationCode: {
        authorizationUrl: `${issuer.issuer}/authorize`,
        tokenUrl: `${issuer.issuer}/token`,
        scopes: {
          openid: 'Sign in with OpenID Connect',
          profile: 'Your name and profile',
          email: 'Your email address',
          'items:read': 'Read items',
          'items:write': 'Required by POST /items'
        }
      }
    }
  })
})

t.test('every protected operation documents its security and error responses; public routes stay public', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer)
  const { paths, components } = await documentOf(t, app)
  t.same(paths['/public'].get.security, undefined)
  t.same(Object.keys(paths['/public'].get.responses), ['200'])
  t.same(paths['/items'].get.security, [{ oauth2: ['items:read'] }])
  t.match(paths['/items'].get.responses, errorResponses(true))
  t.same(paths['/items'].post.security, [{ oauth2: ['items:write'] }], 'from authenticate({ scopes })')
  t.match(paths['/items'].post.responses, errorResponses(true))
  t.same(paths['/user'].get.security, [{ oauth2: [] }], 'from a bare authenticate hook')
  t.same(Object.keys(paths['/user'].get.responses).sort(), ['200', '400', '401', '503'], 'no scope, no 403')
  t.match(paths['/reports'].get.responses, errorResponses(true), 'permissions can refuse with 403')
  t.notOk('x-oauth-guard-forbidden' in paths['/reports'].get, 'the marker is consumed')
  t.same(paths['/greeting'].get.security, [{}, { oauth2: [] }], 'optional: anonymous is one alternative')
  t.same(Object.keys(paths['/greeting'].get.responses).sort(), ['200', '400', '401', '503'])
  t.same(components.responses.OAuthGuardUnavailable.headers['Retry-After'].schema, { type: 'integer' })
  t.same(components.schemas.OAuthGuardError.required, ['statusCode', 'code', 'error', 'message'])
})

t.test('errors on the wire match the documented error body, and a response the route documents is kept', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer)
  const Own = Type.Object({ reason: Type.String() }, { description: 'Our own 401' })
  app.get('/own', { schema: { security: [{ oauth2: ['items:read'] }], response: { 401: Own } } }, async () => 'ok')
  const { paths } = await documentOf(t, app)
  t.equal(paths['/own'].get.responses['401'].description, 'Our own 401')
  for (const [url, headers] of [['/items', {}], ['/items', { authorization: 'Bearer not-a-jwt' }], ['/items', { authorization: `Bearer ${await issuer.sign({ scope: 'other' })}` }]] as const) {
    const response = await app.inject({ url, headers })
    t.ok(Value.Check(ErrorResponseSchema, response.json()), `${response.statusCode} body matches the schema`)
    t.match(response.headers['www-authenticate'], /^Bearer/)
  }
  const ok = await app.inject({ url: '/items', headers: { authorization: `Bearer ${await issuer.sign({ scope: 'items:read' })}` } })
  t.equal(ok.statusCode, 200)
})

t.test('info, servers, tags, extensions and your own components are merged into the document', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer, {
    externalSchemes: ['apiKey'],
    docs: {
      clientId: 'swagger-ui',
      openapi: {
        info: { title: 'Items API', version: '2.0.0' },
        servers: [{ url: 'https://api.example.com' }],
        tags: [{ name: 'items' }],
        'x-logo': { url: 'https://example.com/logo.png' },
        components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } }
      }
    }
  })
  app.get('/either', { schema: { security: [{ apiKey: [] }, { oauth2: ['items:read'] }] } }, async () => 'ok')
  const document = await documentOf(t, app)
  t.same(document.info, { title: 'Items API', version: '2.0.0' })
  t.same(document.servers, [{ url: 'https://api.example.com' }])
  t.same(document.tags, [{ name: 'items' }])
  t.same(document['x-logo'], { url: 'https://example.com/logo.png' })
  t.same(Object.keys(document.components.securitySchemes).sort(), ['apiKey', 'oauth2'])
  t.match(document.paths['/either'].get.responses, errorResponses(true))
  t.same(await openAPIErrors(document), [])
})

t.test('behind a prefix, Swagger UI and its redirect page are served under it and the redirect URI is logged', async (t) => {
  const issuer = await startIssuer(t)
  const capture = createLogCapture()
  const app = Fastify({ logger: capture.logger })
  t.teardown(() => app.close())
  await app.register(async (api) => {
    await api.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, docs: { clientId: 'swagger-ui' } })
    addSampleRoutes(api)
  }, { prefix: '/api' })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  const document = await documentOf(t, app, '/api/docs/json')
  t.ok(document.paths['/api/items'], 'routes keep their prefix')
  t.equal((await app.inject('/api/docs/static/oauth2-redirect.html')).statusCode, 200)
  const line = capture.lines.map((l) => JSON.parse(l)).find((l) => l.redirectURI !== undefined)
  t.match(line, {
    level: 30,
    docs: `${origin}/api/docs`,
    redirectURI: `${origin}/api/docs/static/oauth2-redirect.html`,
    clientId: 'swagger-ui',
    msg: 'fastify-oauth-guard: Swagger UI login: the identity provider must allow this redirect URI for the client'
  })
})

t.test('publicURL replaces the listening address in the logged redirect URI', async (t) => {
  const issuer = await startIssuer(t)
  const capture = createLogCapture()
  const app = await docsApp(t, issuer, { docs: { clientId: 'swagger-ui', publicURL: 'https://example.com/my-api/' } }, { logger: capture.logger })
  await app.listen({ host: '127.0.0.1', port: 0 })
  const line = capture.lines.map((l) => JSON.parse(l)).find((l) => l.redirectURI !== undefined)
  t.equal(line.redirectURI, 'https://example.com/my-api/docs/static/oauth2-redirect.html')
})

t.test('a provider down at boot: the server starts, the document answers 503 with Retry-After until the provider is back', async (t) => {
  const provider = await startFaultyProvider()
  t.teardown(() => provider.close())
  await provider.setFault('down')
  const app = await docsApp(t, { issuer: provider.issuer }, { retryAfter: 7000 })
  await app.ready()
  t.equal((await app.inject('/docs')).statusCode, 200, 'the page is served')
  t.equal((await app.inject('/docs/static/swagger-ui.css')).statusCode, 200, 'its assets too')
  const down = await app.inject('/docs/json')
  t.equal(down.statusCode, 503)
  t.equal(down.headers['retry-after'], '7')
  t.equal(down.json().code, 'OAUTH_GUARD_PROVIDER_UNAVAILABLE')
  t.equal((await app.inject('/docs/yaml')).statusCode, 503)
  await provider.setFault('none')
  const document = await documentOf(t, app)
  t.equal(document.components.securitySchemes.oauth2.flows.authorizationCode.tokenUrl, `${provider.issuer}/token`)
})

t.test('endpoints given in the metadata option spare discovery', async (t) => {
  const provider = await startFaultyProvider()
  t.teardown(() => provider.close())
  await provider.setFault('down')
  const app = await docsApp(t, { issuer: provider.issuer }, {
    metadata: { authorization_endpoint: 'https://id.example.com/authorize', token_endpoint: 'https://id.example.com/token', grant_types_supported: ['authorization_code', 'refresh_token'] }
  })
  const { authorizationCode } = (await documentOf(t, app)).components.securitySchemes.oauth2.flows
  t.match(authorizationCode, { authorizationUrl: 'https://id.example.com/authorize', tokenUrl: 'https://id.example.com/token', refreshUrl: 'https://id.example.com/token' })
  t.same(provider.hits, {}, 'no request reached the provider')
})

t.test('the initializer preselects every scope, sets the client ID and PKCE, and carries no secret', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer)
  await app.ready()
  const script = (await app.inject('/docs/static/swagger-initializer.js')).body
  t.match(script, 'ui.initOAuth({"scopes":["openid","profile","email","items:read","items:write"],"usePkceWithAuthorizationCodeGrant":true,"clientId":"swagger-ui"})')
  t.notMatch(script, /clientSecret|__oauth_guard/)
})

t.test('selectedScopes, openidScopes, authorizationParams and clientCredentials reach Swagger UI and the scheme', async (t) => {
  const issuer = await startIssuer(t)
  const app = await docsApp(t, issuer, {
    docs: { clientId: 'swagger-ui', openidScopes: ['openid'], selectedScopes: ['openid', 'items:read'], authorizationParams: { audience: 'https://api.example.com' }, clientCredentials: true }
  })
  const { flows } = (await documentOf(t, app)).components.securitySchemes.oauth2
  t.same(Object.keys(flows.authorizationCode.scopes), ['openid', 'items:read', 'items:write'])
  t.same(flows.clientCredentials, { tokenUrl: `${issuer.issuer}/token`, scopes: { 'items:read': 'Read items', 'items:write': 'Required by POST /items' } })
  const script = (await app.inject('/docs/static/swagger-initializer.js')).body
  t.match(script, '"scopes":["openid","items:read"]')
  t.match(script, '"additionalQueryStringParams":{"audience":"https://api.example.com"}')
})

t.test('invalid docs options are all reported at registration', async (t) => {
  const app = Fastify()
  t.teardown(() => app.close())
  const error = await app.register(oauthGuard, {
    issuer: 'https://id.example.com',
    audience: 'a',
    scopes: { 'bad scope': 'x' },
    docs: {
      routePrefix: 'docs/',
      authorizationParams: { client_secret: 's', audience: 'a' },
      publicURL: 'ftp://example.com',
      openapi: { security: [{ oauth2: [] }], components: { securitySchemes: { oauth2: {} } } } as never,
      swagger: { openapi: {} },
      swaggerUI: { routePrefix: '/x', initOAuth: { clientSecret: 'leak' } }
    }
  }).ready().then(() => null, (err: unknown) => err)
  t.type(error, InvalidOptionsError)
  const problems = (error as InvalidOptionsError).problems
  for (const path of ['options.scopes', 'options.docs.routePrefix', 'options.docs.authorizationParams.client_secret', 'options.docs.publicURL', 'options.docs.openapi.security', 'options.docs.openapi.components.securitySchemes.oauth2', 'options.docs.swagger.openapi', 'options.docs.swaggerUI.routePrefix', 'options.docs.swaggerUI.initOAuth.clientSecret']) {
    t.ok(problems.some((p) => p.startsWith(`${path}:`)), path)
  }
  t.notOk(problems.join('\n').includes('leak'), 'the secret is not repeated')
})

const notFound = (name: string) => Object.assign(new Error(`Cannot find package '${name}' imported from /app/x.js`), { code: 'ERR_MODULE_NOT_FOUND' })
const PEERS = ['@fastify/swagger', '@fastify/swagger-ui']

t.test('both missing docs peers are named together with the one command that installs them', async (t) => {
  await t.rejects(loadPeers(PEERS, async (name) => { throw notFound(name) }), {
    code: 'OAUTH_GUARD_INVALID_OPTIONS',
    problems: ['options.docs: expected @fastify/swagger and @fastify/swagger-ui to be installed (run: npm install @fastify/swagger@9 @fastify/swagger-ui@6), received missing modules']
  })
})

t.test('one missing docs peer is named alone, with its install command', async (t) => {
  await t.rejects(loadPeers(PEERS, async (name) => {
    if (name === '@fastify/swagger-ui') throw notFound(name)
    return { default: async () => {} }
  }), {
    code: 'OAUTH_GUARD_INVALID_OPTIONS',
    problems: ['options.docs: expected @fastify/swagger-ui to be installed (run: npm install @fastify/swagger-ui@6), received a missing module']
  })
})

t.test('other import errors of a docs peer pass through, including a module missing inside it', async (t) => {
  await t.rejects(loadPeers(PEERS, async () => { throw new SyntaxError('broken') }), SyntaxError)
  await t.rejects(loadPeers(PEERS, async () => { throw notFound('@fastify/static') }), { code: 'ERR_MODULE_NOT_FOUND' })
})

t.test('the installed docs peers load, in order', async (t) => {
  const [swagger, swaggerUI] = await loadPeers(PEERS)
  t.equal(swagger, (await import('@fastify/swagger')).default)
  t.equal(swaggerUI, (await import('@fastify/swagger-ui')).default)
})

t.test('the docs peers install command names majors package.json accepts', async (t) => {
  const pkg = JSON.parse(await readFile(new URL('../../package.json', import.meta.url), 'utf8'))
  t.same(Object.keys(DOCS_PEERS), PEERS)
  for (const [name, major] of Object.entries(DOCS_PEERS)) {
    t.match(pkg.peerDependencies[name], new RegExp(`(^|\\|\\| )\\^${major}\\.`), name)
  }
})
