/**
 * Turns the rounds into the table: median req/s and p99 per cell, and ratios to the bare route
 * and to the floor taken round by round (each against the measurement of the same round), then
 * their median, so a machine that drifts during the run does not skew the ratios.
 */
import type { LoadResult } from './load.js'

/** One configuration × workload × algorithm. */
export interface Cell {
  id: string
  config: string
  workload: 'same token' | 'many tokens' | 'warm cache'
  alg: string
  /** Cell id of the floor for this algorithm, if the ratio applies. */
  floor?: string
}

/** One measurement of one cell, with the server's CPU time per request (µs). */
export interface Measurement extends LoadResult {
  cpu: number
}

/** A cell's summary. Latencies in milliseconds, CPU in microseconds per request. */
export interface Summary {
  cell: Cell
  rps: number
  p99: number
  cpu: number
  vsBare: number
  vsFloor: number | undefined
  rounds: number
}

/** The median of a non-empty list. */
export function median (values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

/** Summarises `rounds` (one map cell id → result per round); `bare` is the bare route's cell id. */
export function summarise (cells: Cell[], rounds: Array<Map<string, Measurement>>, bare: string): Summary[] {
  return cells.map((cell) => {
    const own = rounds.map((round) => round.get(cell.id)!)
    const ratio = (other: string): number => median(rounds.map((round) => round.get(cell.id)!.rps / round.get(other)!.rps))
    return {
      cell,
      rps: median(own.map((r) => r.rps)),
      p99: median(own.map((r) => r.p99)),
      cpu: median(own.map((r) => r.cpu)),
      vsBare: ratio(bare),
      vsFloor: cell.floor === undefined ? undefined : ratio(cell.floor),
      rounds: own.length
    }
  })
}

/** The results table, as Markdown. */
export function formatTable (summaries: Summary[], unavailable: Cell[]): string {
  const lines = [
    '| configuration | workload | alg | req/s (median) | p99 ms | × bare | × floor | server CPU µs/req |',
    '| --- | --- | --- | ---: | ---: | ---: | ---: | ---: |'
  ]
  for (const s of summaries) {
    const floor = s.vsFloor === undefined ? '' : s.vsFloor.toFixed(2)
    lines.push(`| ${s.cell.config} | ${s.cell.workload} | ${s.cell.alg} | ${Math.round(s.rps)} | ${s.p99.toFixed(1)} | ${s.vsBare.toFixed(2)} | ${floor} | ${s.cpu.toFixed(1)} |`)
  }
  for (const cell of unavailable) lines.push(`| ${cell.config} | ${cell.workload} | ${cell.alg} | not available | | | | |`)
  return lines.join('\n')
}

/** A target of the performance issue, checked against the summaries. */
export interface TargetCheck {
  target: string
  value: string
  pass: boolean
}

/** Checks the performance targets (issues 6 and 13) for every algorithm measured. */
export function checkTargets (summaries: Summary[]): TargetCheck[] {
  const byId = new Map(summaries.map((s) => [s.cell.id, s]))
  const checks: TargetCheck[] = []
  const add = (target: string, value: number, min: number): void => {
    checks.push({ target: `${target} ≥ ${min}`, value: value.toFixed(3), pass: value >= min })
  }
  for (const alg of ['RS256', 'ES256']) {
    const same = byId.get(`plugin/same/${alg}`)
    const many = byId.get(`plugin/many/${alg}`)
    const noCache = byId.get(`plugin-nocache/many/${alg}`)
    const peer = byId.get(`fastify-jwt/many/${alg}`)
    if (same !== undefined) add(`${alg} same token: plugin × bare`, same.vsBare, 0.9)
    // RS256 verification is cheap, so the checks the floor leaves out weigh more (docs/performance.md, "What is left").
    if (many?.vsFloor !== undefined) add(`${alg} many tokens: plugin × floor`, many.vsFloor, alg === 'RS256' ? 0.85 : 0.95)
    if (many !== undefined && peer !== undefined) add(`${alg} many tokens: plugin ÷ @fastify/jwt`, many.vsBare / peer.vsBare, 1)
    if (many !== undefined && noCache !== undefined) add(`${alg} many tokens: cache on ÷ cache off`, many.vsBare / noCache.vsBare, 0.97)
  }
  const introspection = byId.get('introspection/warm/-')
  if (introspection !== undefined) add('introspection, warm cache: plugin × bare', introspection.vsBare, 0.85)
  for (const instance of ['a', 'b']) {
    const shared = byId.get(`introspection-shared-${instance}/warm/-`)
    if (shared !== undefined) add(`introspection, 2 instances sharing Redis, instance ${instance.toUpperCase()}: plugin × bare`, shared.vsBare, 0.85)
  }
  return checks
}
