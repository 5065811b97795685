// RFC 9728 with a client nobody here wrote: the official MCP TypeScript SDK discovers the
// authorization server from a 401, registers itself (RFC 7591), logs in at the real oidc-provider
// with PKCE and a resource indicator (RFC 8707), and calls the API with the token it got.
import { readFile } from 'node:fs/promises'
import { createServer } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import { auth, extractWWWAuthenticateParams } from '@modelcontextprotocol/sdk/client/auth.js'
import { Client } from '@modelcontextprotocol/sdk/client/index.js'
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import oauthGuard from '../../lib/index.js'
import { loginForCode } from '../fixtures/login-agent.js'
import { MemoryOAuthProvider } from '../fixtures/mcp-client.js'
import { buildMcpApp } from '../fixtures/mcp-server.js'

const REDIRECT_URI = 'http://127.0.0.1:9/callback'

/** A port free now, so the resource identifier is known before the server listens. */
async function freePort (): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}

t.test('the MCP SDK starts from the API URL and a 401, discovers, registers, logs in and gets 200', async (t) => {
  const port = await freePort()
  const resource = `http://127.0.0.1:${port}/api`
  const idp = await startIdentityProvider({ resource, apiScopes: { 'items:read': 'Read items' }, dynamicRegistration: true })
  const app = Fastify()
  t.teardown(async () => { await app.close(); await idp.close() })
  await app.register(oauthGuard, { issuer: idp.issuer, audience: resource, resource })
  app.get('/api', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (request) => ({ id: request.auth?.id, scopes: request.auth?.scopes }))
  await app.listen({ port, host: '127.0.0.1' })

  const first = await fetch(resource)
  t.equal(first.status, 401)
  const { resourceMetadataUrl } = extractWWWAuthenticateParams(first)
  t.equal(resourceMetadataUrl?.href, `http://127.0.0.1:${port}/.well-known/oauth-protected-resource/api`)

  const client = new MemoryOAuthProvider(REDIRECT_URI)
  t.equal(await auth(client, { serverUrl: resource, resourceMetadataUrl }), 'REDIRECT')
  const authorization = client.authorizationURL as URL
  t.equal(authorization.origin, idp.issuer, 'the authorization server came from the metadata')
  t.equal(authorization.searchParams.get('resource'), resource)
  t.equal(authorization.searchParams.get('scope'), 'items:read', 'the scopes came from scopes_supported')
  t.equal(authorization.searchParams.get('code_challenge_method'), 'S256')
  t.ok(idp.hits['/reg'] >= 1, 'the client registered itself')

  const code = await loginForCode(authorization, REDIRECT_URI)
  t.equal(await auth(client, { serverUrl: resource, resourceMetadataUrl, authorizationCode: code }), 'AUTHORIZED')
  const token = client.tokens()?.access_token as string
  t.equal(JSON.parse(Buffer.from(token.split('.')[1], 'base64url').toString()).aud, resource, 'a JWT issued for the resource (RFC 8707)')
  const second = await fetch(resource, { headers: { authorization: `Bearer ${token}` } })
  t.equal(second.status, 200)
  t.same(await second.json(), { id: idp.user.sub, scopes: ['items:read'] })
})

t.test('the docs/mcp.md server: the MCP SDK client logs in through its transport and calls a tool', async (t) => {
  const port = await freePort()
  const resource = `http://127.0.0.1:${port}/mcp`
  const idp = await startIdentityProvider({ resource, apiScopes: { 'mcp:tools': 'Call the tools' }, dynamicRegistration: true })
  const app = await buildMcpApp(idp.issuer, resource)
  t.teardown(async () => { await app.close(); await idp.close() })
  await app.listen({ port, host: '127.0.0.1' })

  const authProvider = new MemoryOAuthProvider(REDIRECT_URI)
  const first = new StreamableHTTPClientTransport(new URL(resource), { authProvider })
  await t.rejects(new Client({ name: 'test', version: '1.0.0' }).connect(first), { message: 'Unauthorized' }, 'the 401 sends the client to log in')
  t.equal(authProvider.authorizationURL?.searchParams.get('resource'), resource)
  t.equal(authProvider.authorizationURL?.searchParams.get('scope'), 'mcp:tools')
  const code = await loginForCode(authProvider.authorizationURL as URL, REDIRECT_URI)
  await first.finishAuth(code)

  const client = new Client({ name: 'test', version: '1.0.0' })
  t.teardown(async () => await client.close())
  await client.connect(new StreamableHTTPClientTransport(new URL(resource), { authProvider }))
  const result = await client.callTool({ name: 'whoami', arguments: {} })
  t.same(result.content, [{ type: 'text', text: `Hello ${idp.user.sub}` }])
})

t.test('docs/mcp.md shows the example the test runs', async (t) => {
  const page = await readFile(new URL('../../docs/mcp.md', import.meta.url), 'utf8')
  const example = await readFile(new URL('../fixtures/mcp-server.ts', import.meta.url), 'utf8')
  const body = example.split('\n').slice(1).join('\n').replace("'../../lib/index.js'", "'fastify-oauth-guard'")
  t.ok(page.includes(`\`\`\`ts\n${body}\`\`\``), 'docs/mcp.md holds test/fixtures/mcp-server.ts verbatim')
})
