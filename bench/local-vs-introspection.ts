/**
 * Latency per request of local JWT validation and RFC 7662 introspection, cold and warm, against
 * the embedded oidc-provider on 127.0.0.1, for docs/local-vs-introspection.md. Sequential
 * `inject()` calls, so the figures are the plugin's own cost plus, for cold introspection, one
 * loopback round trip to the provider (add your network's round trip for a remote one).
 *
 * Run: node --import tsx bench/local-vs-introspection.ts [--requests 1000]
 */
import { performance } from 'node:perf_hooks'
import { parseArgs } from 'node:util'
import Fastify from 'fastify'
import { startIdentityProvider } from '../demo/identity-provider.js'
import oauthGuard, { type OAuthGuardOptions } from '../lib/index.js'

const { values } = parseArgs({ options: { requests: { type: 'string', default: '1000' } } })
const REQUESTS = Number(values.requests)
const RESOURCE = 'urn:example:api'

const idp = await startIdentityProvider({ resource: RESOURCE, apiScopes: { 'items:read': 'Read items' } })
const jwt = await idp.clientCredentialsToken('machine', 'items:read')
const opaque = await idp.clientCredentialsToken('machineOpaque', 'items:read')

async function measure (name: string, options: Partial<OAuthGuardOptions>, token: string): Promise<void> {
  const app = Fastify()
  await app.register(oauthGuard, { issuer: idp.issuer, audience: RESOURCE, ...options })
  app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => ({ ok: true }))
  const headers = { authorization: `Bearer ${token}` }
  // Discovery, key fetch and JIT warm-up are not what is measured.
  for (let i = 0; i < 50; i++) await app.inject({ url: '/items', headers })
  const times: number[] = []
  const calls = idp.hits['/token/introspection'] ?? 0
  for (let i = 0; i < REQUESTS; i++) {
    const start = performance.now()
    const res = await app.inject({ url: '/items', headers })
    times.push(performance.now() - start)
    if (res.statusCode !== 200) throw new Error(`${name}: ${res.statusCode} ${res.body}`)
  }
  times.sort((a, b) => a - b)
  const mean = times.reduce((sum, ms) => sum + ms, 0) / times.length
  const at = (q: number): string => times[Math.min(times.length - 1, Math.floor(q * times.length))].toFixed(3)
  const made = (idp.hits['/token/introspection'] ?? 0) - calls
  console.log(`| ${name} | ${mean.toFixed(3)} | ${at(0.5)} | ${at(0.99)} | ${made} |`)
  await app.close()
}

const introspection = { validation: 'introspection', introspection: { ...idp.clients.resourceServer } } as const
console.log(`${REQUESTS} sequential requests each, Node ${process.version}\n`)
console.log('| configuration | mean ms | median ms | p99 ms | introspection calls |')
console.log('| --- | --- | --- | --- | --- |')
await measure('JWT, cache off (every request verifies the signature)', { cache: false }, jwt)
await measure('JWT, warm cache', {}, jwt)
await measure('introspection, cacheMaxTTL 0 (every request asks the provider)', { ...introspection, introspection: { ...introspection.introspection, cacheMaxTTL: 0 } }, opaque)
await measure('introspection, warm cache (cacheMaxTTL 60)', introspection, opaque)
await idp.close()
