/**
 * The startup report: every route with the requirement it ended up with and where that came from,
 * logged once when the app is ready, so a route left public by mistake is visible before the
 * first request. Routes with no declaration at all are also named in one warning.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { Requirement } from '../token/scopes.js'
import type { RouteSecurity, RouteSecurityState } from './route-security.js'

/** One route of the report. */
export interface RouteReportRow {
  /** `GET`, or several joined by commas (`GET,POST`) for a route declared with several methods. */
  method: string
  url: string
  /**
   * `public`; `token` (any valid token); or the scopes a token must grant, space-separated.
   * Alternatives are joined by ` | `; `token | public` is an optional token, and `external` a
   * scheme your own hook enforces.
   */
  requirement: string
  /** See {@link RouteSecurity.source}. */
  source: RouteSecurity['source']
}

/** The requirement as one line of text; see {@link RouteReportRow.requirement}. */
export function describeRequirement (requirement: Requirement | null): string {
  if (requirement === null) return 'public'
  const parts = requirement.alternatives.map((alternative) => {
    const own = alternative.scopes === null ? null : alternative.scopes.length === 0 ? 'token' : alternative.scopes.join(' ')
    if (own === null) return alternative.external ? 'external' : 'public'
    return alternative.external ? `${own} + external` : own
  })
  return [...new Set(parts)].join(' | ')
}

/** The report rows, in the order routes were added; the docs' own routes last. */
export function routeReport (state: Pick<RouteSecurityState, 'routes' | 'docs'>): RouteReportRow[] {
  return [...state.routes, ...state.docs].map((route) => ({
    method: route.method,
    url: route.url,
    requirement: describeRequirement(route.requirement),
    source: route.source
  }))
}

/** Logs the report at info, one line per route, and warns about routes that declare nothing. */
export function logRouteReport (log: FastifyBaseLogger, rows: readonly RouteReportRow[]): void {
  const shown = rows.filter((row) => row.method !== 'HEAD')
  const api = shown.filter((row) => row.source !== 'docs')
  const docs = shown.length - api.length
  const publicCount = api.filter((row) => row.requirement === 'public').length
  log.info({ routes: shown.map((row) => `${row.method} ${row.url}: ${row.requirement} (${row.source})`) },
    `fastify-oauth-guard: ${count(api.length, 'route')}, ${publicCount} public${docs > 0 ? `; ${count(docs, 'docs route')}, public by design` : ''}`)
  const undeclared = shown.filter((row) => row.source === 'none').map((row) => `${row.method} ${row.url}`)
  if (undeclared.length > 0) {
    log.warn({ routes: undeclared },
      'fastify-oauth-guard: these routes declare no security and are public; add `security: []` to mean it, or set protectAllRoutes')
  }
}

function count (n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`
}
