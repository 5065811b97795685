// A browser client on another origin (an MCP inspector) reads the RFC 9728 metadata with a header
// of its own, as the MCP SDK sends MCP-Protocol-Version: real Chromium makes the CORS preflight.
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import Fastify from 'fastify'
import t from 'tap'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { browserSkipReason, launchBrowser } from '../fixtures/browser.js'

t.test('a page on another origin fetches the metadata with a custom header, through the preflight', { skip: browserSkipReason() ?? false }, async (t) => {
  const issuer = await createLocalIssuer()
  t.teardown(() => issuer.close())
  const api = Fastify()
  t.teardown(() => api.close())
  const preflights: string[] = []
  api.addHook('onRequest', async (request) => { if (request.method === 'OPTIONS') preflights.push(request.url) })
  await api.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, resource: 'https://api.example.test/mcp' })
  await api.listen({ host: '127.0.0.1', port: 0 })
  const origin = `http://127.0.0.1:${(api.server.address() as AddressInfo).port}`

  const page = createServer((_, res) => { res.setHeader('content-type', 'text/html').end('<!doctype html><title>inspector</title>') })
  await new Promise<void>((resolve) => page.listen(0, 'localhost', resolve))
  t.teardown(() => new Promise<void>((resolve) => page.close(() => resolve())))

  const context = await launchBrowser(t)
  const tab = await context.newPage()
  await tab.goto(`http://localhost:${(page.address() as AddressInfo).port}/`)
  const read = await tab.evaluate(async (url) => {
    const res = await fetch(url, { headers: { 'MCP-Protocol-Version': '2025-06-18' } })
    return { status: res.status, body: await res.json() as { resource: string } }
  }, `${origin}/.well-known/oauth-protected-resource/mcp`)
  t.equal(read.status, 200)
  t.equal(read.body.resource, 'https://api.example.test/mcp')
  t.same(preflights, ['/.well-known/oauth-protected-resource/mcp'], 'the browser asked first, and was let through')
})
