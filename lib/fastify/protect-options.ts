/**
 * The `protectAllRoutes` and `strictScopes` options: their schema, the problems the schema cannot
 * express, and their resolved form. Kept here, next to the code that applies them, and plugged
 * into options.ts.
 */
import { Type } from '@sinclair/typebox'
import type { RouteDefaults } from './route-security.js'

/** RFC 6749 §3.3 scope-token. */
const SCOPE_TOKEN = /^[\x21\x23-\x5B\x5D-\x7E]+$/

/** Schema of `protectAllRoutes`. */
export const ProtectAllRoutesSchema = Type.Union([
  Type.Boolean(),
  Type.Object({
    exclude: Type.Optional(Type.Array(Type.String({ minLength: 1 }))),
    scopes: Type.Optional(Type.Array(Type.String({ minLength: 1 })))
  }, { additionalProperties: false })
], { expected: 'true, false, or { exclude, scopes }' })

/** The options this file reads. */
export interface ProtectOptions {
  protectAllRoutes?: boolean | { exclude?: readonly string[], scopes?: readonly string[] }
  strictScopes?: boolean
  scopes?: Readonly<Record<string, string>>
}

/** Problems as "options.path: expected ..., received ...". */
export function protectProblems (options: ProtectOptions): string[] {
  const problems: string[] = []
  const protect = options.protectAllRoutes
  if (protect !== null && typeof protect === 'object') {
    for (const entry of Array.isArray(protect.exclude) ? protect.exclude : []) {
      if (typeof entry === 'string' && (!entry.startsWith('/') || /[?#*:]/.test(entry))) {
        problems.push(`options.protectAllRoutes.exclude: expected paths or path prefixes such as '/health' (no query, wildcard or parameter), received ${JSON.stringify(entry)}`)
      }
    }
    for (const scope of Array.isArray(protect.scopes) ? protect.scopes : []) {
      if (typeof scope !== 'string') continue
      if (!SCOPE_TOKEN.test(scope)) problems.push(`options.protectAllRoutes.scopes: expected scope names without spaces, quotes or backslashes, received ${JSON.stringify(scope)}`)
      else if (options.strictScopes === true && options.scopes?.[scope] === undefined) problems.push(`options.protectAllRoutes.scopes: expected scopes listed in options.scopes (strictScopes is on), received ${JSON.stringify(scope)}`)
    }
  }
  if (options.strictScopes === true && Object.keys(options.scopes ?? {}).length === 0) {
    problems.push('options.strictScopes: expected options.scopes to list the API\'s scopes, received strictScopes without them')
  }
  return problems
}

/** `protectAllRoutes` resolved: `null` when off. */
export type ResolvedProtectAll = RouteDefaults['protectAll']

/** Resolves `protectAllRoutes`: `true` is `{ exclude: [], scopes: [] }` (any valid token). */
export function resolveProtectAll (protect: ProtectOptions['protectAllRoutes']): ResolvedProtectAll {
  if (protect === undefined || protect === false) return null
  if (protect === true) return { exclude: [], scopes: [] }
  return { exclude: [...(protect.exclude ?? [])], scopes: [...new Set(protect.scopes ?? [])] }
}

/** The {@link RouteDefaults} of resolved options. */
export function routeDefaults (options: { protectAllRoutes: ResolvedProtectAll, strictScopes: boolean, scopes: Readonly<Record<string, string>> }): RouteDefaults {
  return {
    protectAll: options.protectAllRoutes,
    knownScopes: options.strictScopes ? new Set(Object.keys(options.scopes)) : null
  }
}
