/**
 * How option problems are worded, for every option check (the plugin's, each issuer entry's,
 * DPoP's, the docs'): "options.path: expected ..., received ...". One module, so each check
 * words its problems alike and none imports another's resolver for them.
 */
import type { TSchema } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { isSecureURL } from './token/secure-url.js'

/** Every schema violation as "options.path: expected ..., received ...". */
export function schemaProblems (schema: TSchema, value: unknown, root = 'options'): string[] {
  const problems: string[] = []
  for (const error of Value.Errors(schema, value)) {
    const path = root + error.path.replace(/\//g, '.')
    const { unit, expected } = error.schema as { unit?: string, expected?: string }
    // `expected` (not a JSON Schema keyword either) says what a union wants, in place of "union value".
    const message = expected === undefined ? error.message.replace(/^Expected/, 'expected') : `expected ${expected}`
    const line = `${path}: ${message}${unit === undefined ? '' : ` (${unit})`}, received ${describe(error.value)}`
    // A union reports its members' errors again at the same path; once is enough.
    if (!problems.includes(line)) problems.push(line)
  }
  return problems
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
