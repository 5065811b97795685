/**
 * The load generator process: autocannon, driven over IPC by `bench/run.ts`, which starts it
 * pinned to the load CPU. It keeps the token pools, so each measurement only names one.
 */
import { createRequire } from 'node:module'

/** A request pattern: one fixed header, or a pool of tokens rotated on every request. */
export type Workload = { kind: 'static', authorization: string } | { kind: 'pool', name: string }

/** Messages from the orchestrator. */
export type LoadCommand =
  | { type: 'pool', name: string, tokens: string[] }
  | { type: 'run', id: number, url: string, duration: number, connections: number, workload: Workload }

/** One measurement. Latencies in milliseconds. */
export interface LoadResult {
  id: number
  rps: number
  p50: number
  p99: number
  total: number
  non2xx: number
  errors: number
  timeouts: number
}

interface AutocannonRequest { method: string, path: string, headers?: Record<string, string>, setupRequest?: (request: AutocannonRequest) => AutocannonRequest }
interface AutocannonResult {
  duration: number
  requests: { total: number }
  latency: { p50: number, p99: number }
  non2xx: number
  errors: number
  timeouts: number
}
type Autocannon = (options: Record<string, unknown>) => Promise<AutocannonResult>

const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon
const pools = new Map<string, string[]>()

async function run (command: Extract<LoadCommand, { type: 'run' }>): Promise<LoadResult> {
  const { workload } = command
  let requests: AutocannonRequest[]
  if (workload.kind === 'static') {
    requests = [{ method: 'GET', path: '/items', headers: { authorization: workload.authorization } }]
  } else {
    const headers = (pools.get(workload.name) ?? []).map((token) => `Bearer ${token}`)
    if (headers.length === 0) throw new Error(`unknown pool ${workload.name}`)
    // One counter for all connections: each token comes back only after the whole pool went by.
    let next = 0
    requests = [{
      method: 'GET',
      path: '/items',
      setupRequest (request) {
        request.headers = { authorization: headers[next++ % headers.length] }
        return request
      }
    }]
  }
  const result = await autocannon({ url: command.url, connections: command.connections, duration: command.duration, requests })
  return {
    id: command.id,
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    total: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors,
    timeouts: result.timeouts
  }
}

process.on('message', (command: LoadCommand) => {
  if (command.type === 'pool') {
    pools.set(command.name, command.tokens)
    process.send?.({ type: 'pool', name: command.name })
    return
  }
  run(command).then(
    (result) => process.send?.({ type: 'result', ...result }),
    (err) => process.send?.({ type: 'error', id: command.id, message: String(err?.message ?? err) })
  )
})
process.on('disconnect', () => process.exit(0))
process.send?.({ type: 'ready' })
