/**
 * `npm run bench`: starts every configuration in its own server process pinned to CPU 0, drives
 * them with autocannon pinned to CPU 1, interleaves the configurations over several rounds and
 * prints median req/s, p99 and the ratios to the bare route and to the floor, measured in the same
 * run. Results also go to bench/results/ as JSON.
 *
 * Options: --rounds N (5) --duration S (3) --warmup S (2) --connections N (50) --pool N (10000)
 * --only REGEX (cells whose id matches, plus the bare route and the floors).
 *
 * The `introspection-shared-*` rows run two servers sharing one redis-server (started here) and
 * an introspection endpoint of their own, whose calls are counted per distinct token.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { cpus, totalmem } from 'node:os'
import { createPublicKey, randomUUID } from 'node:crypto'
import { parseArgs } from 'node:util'
import { spawnSync } from 'node:child_process'
import { createLocalIssuer } from '../lib/testing/index.js'
import { startIntrospectionEndpoint } from './introspection-endpoint.js'
import { startRedisServer } from './redis-server.js'
import type { Workload } from './load.js'
import { canPin, startLoad, startServer, type ServerProcess } from './processes.js'
import { checkTargets, formatTable, summarise, type Cell, type Measurement } from './report.js'
import type { ServerKind, ServerSpec } from './servers.js'

const { values: args } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    duration: { type: 'string', default: '3' },
    warmup: { type: 'string', default: '2' },
    connections: { type: 'string', default: '50' },
    pool: { type: 'string', default: '10000' },
    only: { type: 'string' }
  }
})
const ROUNDS = Number(args.rounds)
const DURATION = Number(args.duration)
const WARMUP = Number(args.warmup)
const CONNECTIONS = Number(args.connections)
const POOL = Number(args.pool)
/** The plugin's cache in the many-tokens rows: smaller than the pool, so every request misses. */
const CACHE_ENTRIES = 1000
/** Tokens of the warm-up, never measured: they leave the caches full of tokens the pool does not hold. */
const WARM_POOL = 2 * CACHE_ENTRIES
const ALGS = ['RS256', 'ES256'] as const
const SCOPE = 'items:read'
const results = new URL('./results/', import.meta.url)

interface Row extends Cell { server: string, load: Workload }

function plan (): Row[] {
  const rows: Row[] = [{ id: 'bare/same/-', config: 'bare route', workload: 'same token', alg: '-', server: 'bare', load: { kind: 'static', authorization: '' } }]
  const add = (kind: ServerKind, config: string, workload: 'same' | 'many', alg: string): void => {
    rows.push({
      id: `${kind}/${workload}/${alg}`,
      config,
      workload: workload === 'same' ? 'same token' : 'many tokens',
      alg,
      floor: `floor/many/${alg}`,
      server: `${kind}/${alg}`,
      load: workload === 'same' ? { kind: 'static', authorization: '' } : { kind: 'pool', name: alg }
    })
  }
  for (const alg of ALGS) {
    add('floor', 'floor (node:crypto, no cache)', 'many', alg)
    add('plugin', 'fastify-oauth-guard', 'same', alg)
    add('plugin', `fastify-oauth-guard (cache ${CACHE_ENTRIES})`, 'many', alg)
    add('plugin-nocache', 'fastify-oauth-guard (cache: false)', 'many', alg)
    add('fastify-jwt-cache', '@fastify/jwt (verify.cache)', 'same', alg)
    add('fastify-jwt', '@fastify/jwt (no cache)', 'many', alg)
  }
  rows.push({ id: 'introspection/warm/-', config: 'fastify-oauth-guard introspection', workload: 'warm cache', alg: '-', server: 'introspection', load: { kind: 'static', authorization: '' } })
  for (const instance of ['a', 'b']) {
    rows.push({ id: `introspection-shared-${instance}/warm/-`, config: `introspection, 2 instances + Redis: ${instance.toUpperCase()}`, workload: 'warm cache', alg: '-', server: `introspection-shared/${instance}`, load: { kind: 'static', authorization: '' } })
  }
  const only = args.only === undefined ? null : new RegExp(args.only)
  return rows.filter((row) => only === null || only.test(row.id) || row.id.startsWith('bare/') || row.id.startsWith('floor/'))
}

/** The shared-store rows need Debian's redis-server (or REDIS_SERVER_PATH); without it they are left out, saying so. */
function withoutUnrunnable (rows: Row[]): Row[] {
  if (!rows.some((row) => row.server.startsWith('introspection-shared/'))) return rows
  const found = spawnSync(process.env.REDIS_SERVER_PATH ?? 'redis-server', ['--version'], { stdio: 'ignore' })
  if (found.error === undefined && found.status === 0) return rows
  console.log('redis-server not found: the two-instances-sharing-Redis rows are left out (apt-get install -y redis-server, or set REDIS_SERVER_PATH)')
  return rows.filter((row) => !row.server.startsWith('introspection-shared/'))
}

async function main (): Promise<void> {
  const pin = canPin()
  const rows = withoutUnrunnable(plan())
  const cpu = cpus()[0]?.model ?? 'unknown CPU'
  console.log(`fastify-oauth-guard benchmark: node ${process.version}, ${cpus().length} × ${cpu}, ${Math.round(totalmem() / 2 ** 30)} GiB`)
  console.log(pin ? 'servers pinned to CPU 0, autocannon to CPU 1 (taskset)' : 'WARNING: taskset unavailable, processes are not pinned')
  console.log(`${rows.length} cells × ${ROUNDS} rounds × ${DURATION} s, warm-up ${WARMUP} s, ${CONNECTIONS} connections, pool ${POOL} tokens`)

  const issuer = await createLocalIssuer({ algorithms: [...ALGS] })
  const pools: Record<string, string[]> = {}
  // Warm-up uses tokens of its own: it fills the caches with other clients' tokens, so every
  // measured many-tokens request is one the server has never seen.
  for (const alg of ALGS) [pools[alg], pools[`warm-${alg}`]] = [await signPool(alg, POOL), await signPool(alg, WARM_POOL)]
  const sameToken = (alg: string): string => `Bearer ${pools[alg === '-' ? 'RS256' : alg][0]}`
  const claims = { iss: issuer.issuer, aud: issuer.audience, sub: 'user-1', scope: SCOPE, client_id: 'bench', exp: Math.floor(Date.now() / 1000) + 3600 }
  const introspection = await startIntrospectionEndpoint(claims)
  const sharedRows = rows.some((row) => row.server.startsWith('introspection-shared/'))
  // The shared pair's own endpoint, so its calls are theirs alone; the same opaque token.
  const sharedIntrospection = sharedRows ? await startIntrospectionEndpoint(claims) : undefined
  const redis = sharedRows ? await startRedisServer() : undefined
  for (const row of rows) {
    if (row.load.kind === 'static') row.load.authorization = row.id.startsWith('introspection') ? `Bearer ${introspection.token}` : sameToken(row.alg)
  }

  const servers = new Map<string, ServerProcess>()
  const unavailable: Cell[] = []
  const load = await startLoad(pin)
  try {
    for (const row of rows) {
      if (servers.has(row.server)) continue
      const [kind, variant = 'RS256'] = row.server.split('/') as [ServerKind, string?]
      const shared = kind === 'introspection-shared'
      const alg = shared ? 'RS256' : variant
      const jwk = issuer.jwks().keys.find((key) => key.alg === alg)!
      const spec: ServerSpec = {
        kind,
        alg,
        issuer: issuer.issuer,
        audience: issuer.audience,
        jwksUri: issuer.jwksUri,
        keys: issuer.jwks().keys,
        pem: createPublicKey({ key: jwk as never, format: 'jwk' }).export({ type: 'spki', format: 'pem' }).toString(),
        introspection: shared ? sharedIntrospection : introspection,
        cacheEntries: CACHE_ENTRIES,
        redisPort: redis?.port
      }
      try {
        servers.set(row.server, await startServer(spec, pin))
      } catch (err) {
        console.log(`${row.server}: could not start (${(err as Error).message}), marked not available`)
        unavailable.push(row)
      }
    }
    const measured = rows.filter((row) => servers.has(row.server))
    for (const [name, server] of servers) {
      const authorization = name.startsWith('introspection') ? `Bearer ${introspection.token}` : sameToken(name.split('/')[1] ?? 'RS256')
      await sanityCheck(name, server.url, authorization)
    }
    for (const [name, tokens] of Object.entries(pools)) await load.sendPool(name, tokens)

    const measure = async (row: Row, duration: number, warm = false): Promise<Measurement> => {
      const workload: Workload = warm && row.load.kind === 'pool' ? { kind: 'pool', name: `warm-${row.load.name}` } : row.load
      const server = servers.get(row.server)!
      const before = await server.cpu()
      const result = await load.run({ url: `${server.url}/items`, duration, connections: CONNECTIONS, workload })
      const cpu = (await server.cpu() - before) / result.total
      if (result.non2xx > 0 || result.errors > 0 || result.timeouts > 0) {
        throw new Error(`${row.id}: ${result.non2xx} non-2xx, ${result.errors} errors, ${result.timeouts} timeouts: the measurement is invalid`)
      }
      return { ...result, cpu }
    }
    console.log('warming up...')
    for (const row of measured) await measure(row, WARMUP, true)
    const rounds: Array<Map<string, Measurement>> = []
    for (let round = 0; round < ROUNDS; round++) {
      const results = new Map<string, Measurement>()
      // Each round starts at another configuration, so none always runs first or last.
      for (let i = 0; i < measured.length; i++) {
        const row = measured[(i + round) % measured.length]
        const result = await measure(row, DURATION)
        results.set(row.id, result)
        console.log(`round ${round + 1}/${ROUNDS} ${row.id.padEnd(32)} ${Math.round(result.rps).toString().padStart(7)} req/s  p99 ${result.p99} ms  server CPU ${result.cpu.toFixed(1)} µs/req`)
      }
      rounds.push(results)
    }
    const summaries = summarise(measured, rounds, 'bare/same/-')
    const checks = checkTargets(summaries)
    if (sharedIntrospection !== undefined && servers.has('introspection-shared/b')) {
      const perToken = sharedIntrospection.hits.count / 2
      checks.push({ target: 'introspection, 2 instances sharing Redis: provider calls per distinct token ≤ 1', value: perToken.toFixed(2), pass: perToken <= 1 })
      console.log(`shared pair: ${sharedIntrospection.hits.count} introspection calls for 2 distinct tokens across both instances (${perToken.toFixed(2)} per token)`)
    }
    console.log(`\n${formatTable(summaries, unavailable)}\n`)
    for (const check of checks) console.log(`${check.pass ? 'PASS' : 'FAIL'}  ${check.target}: ${check.value}`)
    if (servers.has('introspection')) console.log(`introspection endpoint calls during the run: ${introspection.hits.count}`)
    mkdirSync(results, { recursive: true })
    const file = new URL(`bench-${new Date().toISOString().replace(/[:.]/g, '-')}.json`, results)
    const machine = { node: process.version, cpu, cpus: cpus().length, memory: totalmem(), pinned: pin, kernel: readKernel() }
    writeFileSync(file, JSON.stringify({ machine, args, summaries, checks, unavailable, rounds: rounds.map((r) => Object.fromEntries(r)) }, null, 2))
    console.log(`results written to ${file.pathname}`)
  } finally {
    load.stop()
    for (const server of servers.values()) server.stop()
    await introspection.close()
    await sharedIntrospection?.close()
    redis?.stop()
    await issuer.close()
  }

  async function signPool (alg: string, size: number): Promise<string[]> {
    const tokens: string[] = []
    while (tokens.length < size) {
      const batch = Array.from({ length: Math.min(50, size - tokens.length) }, async () =>
        await issuer.sign({ scope: SCOPE, client_id: 'bench', jti: randomUUID() }, { alg, expiresIn: 3600 }))
      tokens.push(...await Promise.all(batch))
    }
    return tokens
  }
}

/** A valid token must pass and a forged one must fail, or the row would measure nothing. */
async function sanityCheck (server: string, url: string, authorization: string): Promise<void> {
  const ok = await fetch(`${url}/items`, { headers: { authorization } })
  if (ok.status !== 200) throw new Error(`${server}: a valid token got ${ok.status}`)
  if (server === 'bare') return
  const forged = authorization.slice(0, -4) + (authorization.endsWith('AAAA') ? 'BBBB' : 'AAAA')
  const bad = await fetch(`${url}/items`, { headers: { authorization: forged } })
  if (bad.status !== 401) throw new Error(`${server}: a forged token got ${bad.status}`)
}

function readKernel (): string {
  try {
    return readFileSync('/proc/version', 'utf8').trim()
  } catch {
    return 'unknown'
  }
}

await main()
