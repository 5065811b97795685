/**
 * In-process cost of the authentication hook, without HTTP: the plugin's `onRequest` hook called
 * directly with request-shaped objects, timed with process.cpuUsage(). Steadier than the HTTP
 * benchmark on a shared machine, and it compares checkouts in one process, round by round, so a
 * change in the machine's load moves both sides alike:
 *   node --import tsx bench/hook-cost.ts [lib directory ...] (default: ./lib)
 * e.g. `git worktree add /tmp/before <commit>` and `bench/hook-cost.ts /tmp/before/lib lib`.
 * Prints µs of CPU per hook call for each workload and checkout (median and first quartile of
 * the rounds) and, with two checkouts, the median of the per-round ratio second ÷ first.
 * Environment: ROUNDS (15), OPS (4000 per round, ×10 for the cheap workloads), POOL (3000 tokens).
 */
import Fastify from 'fastify'
import { resolve } from 'node:path'
import { pathToFileURL } from 'node:url'
import { startIntrospectionEndpoint } from './introspection-endpoint.js'
import { createLocalIssuer } from '../lib/testing/index.js'

const libs = (process.argv.length > 2 ? process.argv.slice(2) : ['lib']).map((dir) => ({ dir, url: pathToFileURL(resolve(dir)).href }))
const ROUNDS = Number(process.env.ROUNDS ?? 15)
const OPS = Number(process.env.OPS ?? 4000)
const POOL = Number(process.env.POOL ?? 3000)

const issuer = await createLocalIssuer({ algorithms: ['RS256', 'ES256'] })
const endpoint = await startIntrospectionEndpoint({ sub: 'user-1', scope: 'items:read', iss: issuer.issuer, aud: issuer.audience, exp: Math.floor(Date.now() / 1000) + 3600 })

type Hook = (request: object, reply: object, done: (err?: unknown) => void) => void
const reply = { header () { return this }, headers () { return this }, code () { return this } }
const sockets = Array.from({ length: 50 }, () => ({}))
function request (authorization: string, socket: object): object {
  return { headers: { host: 'localhost', authorization }, raw: { rawHeaders: ['Host', 'localhost', 'Authorization', authorization], socket }, url: '/items', method: 'GET', protocol: 'http', host: 'localhost', auth: null }
}

async function hookOf (lib: string, options: Record<string, unknown>, prime: string[]): Promise<Hook> {
  const { default: oauthGuard } = await import(`${lib}/index.js`)
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
const opaque = `Bearer ${endpoint.token}`
// The cache holds a tenth of the pool: every many-tokens request is a token it does not hold.
const jwt = { metadata: { jwks_uri: issuer.jwksUri }, cache: { maxEntries: Math.floor(POOL / 10) } }
const introspection = { validation: 'introspection', metadata: { jwks_uri: issuer.jwksUri, introspection_endpoint: endpoint.endpoint }, introspection: { clientId: endpoint.clientId, clientSecret: endpoint.clientSecret } }
const WORKLOADS = [
  { name: 'same token (RS256)', options: jwt, prime: [same], header: () => same, ops: OPS * 10 },
  { name: 'many tokens RS256', options: jwt, prime: [same], header: (i: number) => pools.RS256![i % POOL]!, ops: OPS },
  { name: 'many tokens ES256', options: jwt, prime: [pools.ES256![0]!], header: (i: number) => pools.ES256![i % POOL]!, ops: OPS },
  { name: 'introspection warm', options: introspection, prime: [opaque], header: () => opaque, ops: OPS * 10 }
]
const only = process.env.ONLY === undefined ? null : new RegExp(process.env.ONLY)
const cells: Array<{ workload: string, lib: string, hook: Hook, header: (i: number) => string, ops: number, results: number[] }> = []
for (const workload of WORKLOADS.filter((w) => only === null || only.test(w.name))) {
  for (const lib of libs) cells.push({ workload: workload.name, lib: lib.dir, hook: await hookOf(lib.url, workload.options, workload.prime), header: workload.header, ops: workload.ops, results: [] })
}

let offset = 0
for (const cell of cells) { await measure(cell.hook, cell.header, cell.ops, offset); offset += cell.ops }
for (let round = 0; round < ROUNDS; round++) {
  // Checkouts alternate which goes first, so neither always follows the other.
  const order = round % 2 === 0 ? cells : [...cells].reverse()
  for (const cell of order) {
    cell.results.push(await measure(cell.hook, cell.header, cell.ops, offset))
    offset += cell.ops
  }
}

const sorted = (values: number[]): number[] => [...values].sort((a, b) => a - b)
const median = (values: number[]): number => sorted(values)[Math.floor(values.length / 2)]!
const q1 = (values: number[]): number => sorted(values)[Math.floor(values.length / 4)]!
for (const workload of WORKLOADS.map((w) => w.name)) {
  const mine = cells.filter((cell) => cell.workload === workload)
  for (const cell of mine) console.log(`${workload.padEnd(20)} ${cell.lib.padEnd(28)} median ${median(cell.results).toFixed(2)} µs  q1 ${q1(cell.results).toFixed(2)} µs`)
  if (mine.length === 2) {
    const ratios = mine[1]!.results.map((value, i) => value / mine[0]!.results[i]!)
    console.log(`${workload.padEnd(20)} ${`${mine[1]!.lib} ÷ ${mine[0]!.lib}`.padEnd(28)} median of per-round ratios ${median(ratios).toFixed(3)}`)
  }
}
await endpoint.close()
await issuer.close()
process.exit(0)
