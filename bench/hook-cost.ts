/**
 * In-process cost of the authentication hook, without HTTP: the plugin's `onRequest` hook called
 * directly with request-shaped objects, timed with process.cpuUsage(). Steadier than the HTTP
 * benchmark on a shared machine, and it can compare two checkouts:
 *   node --import tsx bench/hook-cost.ts [lib directory] (default: ./lib)
 * Prints µs of CPU per hook call for each workload (median of rounds).
 */
import Fastify from 'fastify'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startIntrospectionEndpoint } from './introspection-endpoint.js'

const lib = pathToFileURL(resolve(process.argv[2] ?? 'lib')).href
const ROUNDS = Number(process.env.ROUNDS ?? 15)
const OPS = Number(process.env.OPS ?? 4000)
const POOL = Number(process.env.POOL ?? 3000)

const { default: oauthGuard } = await import(`${lib}/index.js`)
const { createLocalIssuer } = await import(`${lib}/testing/index.js`)
const issuer = await createLocalIssuer({ algorithms: ['RS256', 'ES256'] })
const endpoint = await startIntrospectionEndpoint({ sub: 'user-1', scope: 'items:read', iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 3600 })

type Hook = (request: object, reply: object, done: (err?: unknown) => void) => void
async function hookOf (options: Record<string, unknown>, prime: string[]): Promise<Hook> {
  const app = Fastify()
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, ...options })
  await app.ready()
  const hook = (app as unknown as { authenticate: (o: object) => Hook }).authenticate({ scopes: ['items:read'] })
  // One request per key first, so the key set is fetched before the clock starts.
  for (const header of prime) {
    await new Promise<void>((resolve, reject) => { hook(request(header, {}), reply, (err) => { if (err != null) reject(err); else resolve() }) })
  }
  return hook
}

const reply = { header () { return this }, headers () { return this }, code () { return this } }
const sockets = Array.from({ length: 50 }, () => ({}))
function request (authorization: string, socket: object): object {
  return { headers: { host: 'localhost', authorization }, raw: { rawHeaders: ['Host', 'localhost', 'Authorization', authorization], socket }, url: '/items', method: 'GET', protocol: 'http', host: 'localhost', auth: null }
}

/** Runs `ops` hook calls, awaiting any that did not finish in the same turn; µs of CPU per call. */
async function measure (hook: Hook, header: (i: number) => string, ops: number, offset: number): Promise<number> {
  const state = { pending: 0, failure: undefined as unknown }
  const done = (err?: unknown): void => {
    state.pending--
    if (err !== undefined && err !== null) state.failure = err
  }
  const start = process.cpuUsage()
  for (let i = 0; i < ops; i++) {
    state.pending++
    hook(request(header(offset + i), sockets[i % sockets.length]!), reply, done)
  }
  while (state.pending > 0) await new Promise((resolve) => setImmediate(resolve))
  const used = process.cpuUsage(start)
  if (state.failure !== undefined) throw state.failure
  return (used.user + used.system) / ops
}

const pools: Record<string, string[]> = {}
for (const alg of ['RS256', 'ES256']) {
  pools[alg] = []
  for (let i = 0; i < POOL; i++) pools[alg].push(`Bearer ${await issuer.sign({ scope: 'items:read', sub: `user-${i}` }, { alg, expiresIn: 3600 })}`)
}
const same = `Bearer ${await issuer.sign({ scope: 'items:read' }, { alg: 'RS256', expiresIn: 3600 })}`
const jwtOptions = { metadata: { jwks_uri: issuer.jwksUri }, cache: { maxEntries: Math.floor(POOL / 10) } }
const workloads: Array<{ name: string, hook: Hook, header: (i: number) => string, ops: number }> = [
  { name: 'same token (RS256)', hook: await hookOf(jwtOptions, [same]), header: () => same, ops: OPS * 10 },
  { name: 'many tokens RS256', hook: await hookOf(jwtOptions, [same]), header: (i) => pools.RS256![i % POOL]!, ops: OPS },
  { name: 'many tokens ES256', hook: await hookOf(jwtOptions, [pools.ES256![0]!]), header: (i) => pools.ES256![i % POOL]!, ops: OPS },
  {
    name: 'introspection warm',
    hook: await hookOf({ validation: 'introspection', metadata: { jwks_uri: issuer.jwksUri, introspection_endpoint: endpoint.endpoint }, introspection: { clientId: endpoint.clientId, clientSecret: endpoint.clientSecret } }, [`Bearer ${endpoint.token}`]),
    header: () => `Bearer ${endpoint.token}`,
    ops: OPS * 10
  }
]
const only = process.env.ONLY === undefined ? null : new RegExp(process.env.ONLY)
if (only !== null) workloads.splice(0, workloads.length, ...workloads.filter((w) => only.test(w.name)))
const results = new Map<string, number[]>(workloads.map((w) => [w.name, []]))
let offset = 0
for (const w of workloads) { await measure(w.hook, w.header, w.ops, offset); offset += w.ops }
for (let round = 0; round < ROUNDS; round++) {
  for (const w of workloads) {
    results.get(w.name)!.push(await measure(w.hook, w.header, w.ops, offset))
    offset += w.ops
  }
}
const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!
const q1 = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 4)]!
for (const [name, values] of results) console.log(`${name.padEnd(22)} median ${median(values).toFixed(2)} µs  q1 ${q1(values).toFixed(2)} µs`)
await endpoint.close()
await issuer.close()
process.exit(0)
