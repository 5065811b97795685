/**
 * How option problems are worded, for every option check (the plugin's, each issuer entry's,
 * DPoP's, the docs'): "options.path: expected ..., received ...". One module, so each check
 * words its problems alike and none imports another's resolver for them.
 */
import type { TSchema } from '@sinclair/typebox'
import { Value, ValueErrorType, type ValueError } from '@sinclair/typebox/value'
import { isSecureURL } from './token/secure-url.js'

/** Every schema violation as "options.path: expected ..., received ...". */
export function schemaProblems (schema: TSchema, value: unknown, root = 'options'): string[] {
  const problems: string[] = []
  for (const error of Value.Errors(schema, value)) {
    const path = root + error.path.replace(/\//g, '.')
    // TypeBox stops at a union ("expected union value"); an object or a list can only be meant for
    // the one member of that kind, whose own problems say what to fix.
    const member = error.type === ValueErrorType.Union ? memberFor(error.schema, error.value) : undefined
    const inside = member === undefined ? [] : schemaProblems(member, error.value, path)
    // Problems of the value as a whole (an empty list) are better said by the union's own line.
    const lines = inside.length > 0 && inside.every((line) => line.startsWith(`${path}.`)) ? inside : [problemLine(error, path)]
    // A union reports its members' errors again at the same path; once is enough.
    for (const line of lines) if (!problems.includes(line)) problems.push(line)
  }
  return problems
}

function problemLine (error: ValueError, path: string): string {
  const { unit, expected } = error.schema as { unit?: string, expected?: string }
  // `expected` (not a JSON Schema keyword either) says what a union wants, in place of "union value".
  const message = expected === undefined ? error.message.replace(/^[A-Z]/, (first) => first.toLowerCase()) : `expected ${expected}`
  return `${path}: ${message}${unit === undefined ? '' : ` (${unit})`}, received ${describe(error.value)}`
}

/** The one member of `union` that takes objects (or lists) like `value`, if there is exactly one. */
function memberFor (union: TSchema, value: unknown): TSchema | undefined {
  if (value === null || typeof value !== 'object') return undefined
  const kind = Array.isArray(value) ? 'array' : 'object'
  const members = ((union as { anyOf?: TSchema[] }).anyOf ?? []).filter((member) => member.type === kind)
  return members.length === 1 ? members[0] : undefined
}

/** HTTPS, or HTTP on a loopback address (a local development provider). */
export function urlProblem (value: string): string | null {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `expected an absolute URL, received ${JSON.stringify(value)}`
  }
  if (!isSecureURL(url)) return `expected an https URL (http is allowed for localhost only), received ${JSON.stringify(value)}`
  if (url.protocol === 'https:' && (url.search !== '' || url.hash !== '')) return `expected a URL without query or fragment, received ${JSON.stringify(value)}`
  return null
}

/** A received value as an option message shows it: JSON, cut at 60 characters. */
export function describe (value: unknown): string {
  if (value === undefined) return 'undefined'
  if (typeof value === 'function') return 'a function'
  try {
    const text = JSON.stringify(value)
    return text.length > 60 ? `${text.slice(0, 57)}...` : text
  } catch {
    return typeof value
  }
}
