/**
 * The `issuer` option as a list: several trusted issuers, each with its own audience, metadata,
 * validation mode and introspection credentials, and issuer templates for Entra ID multi-tenant
 * apps. Validated with the other options (options.ts); resolved to one {@link ResolvedIssuer} per
 * entry, the string form included, so the plugin builds every issuer the same way.
 */
import { Type } from '@sinclair/typebox'
import { resolveIntrospectionOptions } from './token/introspection.js'
import { isIssuerTemplate, TENANT_PLACEHOLDER } from './token/issuer-template.js'
import { describe, schemaProblems, urlProblem } from './option-messages.js'
import type { ResolvedIssuer } from './resolved-options.js'
import type { IssuerOptions, OAuthGuardOptions } from './types.js'

/** The schema of one entry; `introspection` is checked with the top-level schema's own. */
export function issuerEntrySchema (introspection: ReturnType<typeof Type.Object>) {
  return Type.Object({
    issuer: Type.String({ minLength: 1 }),
    audience: Type.Optional(Type.Union([Type.String({ minLength: 1 }), Type.Array(Type.String({ minLength: 1 }), { minItems: 1 })], { expected: 'a non-empty string, or a non-empty list of them' })),
    metadata: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    validation: Type.Optional(Type.Union([Type.Literal('jwt'), Type.Literal('introspection'), Type.Literal('auto')], { expected: "'jwt', 'introspection' or 'auto'" })),
    introspection: Type.Optional(introspection),
    tenants: Type.Optional(Type.Union([Type.Array(Type.String({ minLength: 1 }), { minItems: 1 }), Type.Function([Type.String()], Type.Boolean())], { expected: 'a non-empty list of tenant IDs, or a function (tenantId) => boolean' }))
  }, { additionalProperties: false })
}

/** Every problem of a list-form `issuer` (and of the top-level options it makes per-entry). */
export function issuerListProblems (list: readonly unknown[], options: OAuthGuardOptions, entrySchema: ReturnType<typeof issuerEntrySchema>): string[] {
  const problems: string[] = []
  for (const field of ['metadata', 'validation', 'introspection'] as const) {
    if (options[field] !== undefined) {
      problems.push(`options.${field}: expected it on each entry of options.issuer (a list), received it at the top level`)
    }
  }
  const seen = new Set<string>()
  const introspecting: string[] = []
  list.forEach((entry: unknown, index: number) => {
    const path = `options.issuer.${index}`
    const entryProblems = schemaProblems(entrySchema, entry, path)
    problems.push(...entryProblems)
    if (entryProblems.length > 0 || entry === null || typeof entry !== 'object') return
    problems.push(...issuerEntryProblems(entry as IssuerOptions, path, options))
    const { issuer, validation = 'jwt' } = entry as IssuerOptions
    if (seen.has(issuer)) problems.push(`${path}.issuer: expected each issuer once, received ${JSON.stringify(issuer)} again`)
    seen.add(issuer)
    if (validation !== 'jwt') introspecting.push(path)
  })
  if (introspecting.length > 1) {
    problems.push(`options.issuer: expected at most one entry with validation 'introspection' or 'auto' (an opaque token names no issuer, and sending it to several would disclose it to each), received ${introspecting.length} (${introspecting.join(', ')})`)
  }
  return problems
}

function issuerEntryProblems (entry: IssuerOptions, path: string, options: OAuthGuardOptions): string[] {
  const problems: string[] = []
  const template = isIssuerTemplate(entry.issuer)
  if (template) {
    const parts = entry.issuer.split(TENANT_PLACEHOLDER)
    const sampleURL = parts.join('tenant')
    const sample = urlProblem(sampleURL)
    if (parts.length !== 2) problems.push(`${path}.issuer: expected ${TENANT_PLACEHOLDER} once in a template, received ${JSON.stringify(entry.issuer)}`)
    // In the path only: a tenant in the host would let the token choose among hosts.
    else if (!/^[a-z][a-z0-9+.-]*:\/\/[^/]+\//i.test(parts[0]!)) problems.push(`${path}.issuer: expected ${TENANT_PLACEHOLDER} in the URL's path, received ${JSON.stringify(entry.issuer)}`)
    // The problem of a sample URL, quoting the template the user wrote.
    else if (sample !== null) problems.push(`${path}.issuer: ${sample.replace(JSON.stringify(sampleURL), JSON.stringify(entry.issuer))}`)
    if (entry.tenants === undefined) problems.push(`${path}.tenants: expected the accepted tenant IDs (a list or a function) with a ${TENANT_PLACEHOLDER} template, received undefined`)
    // Only when absent: a jwks_uri of the wrong type gets the message of every metadata URL, below.
    if (entry.metadata?.jwks_uri === undefined) problems.push(`${path}.metadata.jwks_uri: expected the key set URL of a template issuer (it cannot be discovered), received ${describe(entry.metadata?.jwks_uri)}`)
    if ((entry.validation ?? 'jwt') !== 'jwt') problems.push(`${path}.validation: expected 'jwt' for a template issuer, received ${JSON.stringify(entry.validation)}`)
  } else {
    const problem = urlProblem(entry.issuer)
    if (problem !== null) problems.push(`${path}.issuer: ${problem}`)
    if (entry.tenants !== undefined) problems.push(`${path}.tenants: expected only with a ${TENANT_PLACEHOLDER} template issuer, received ${describe(entry.tenants)}`)
  }
  for (const [field, value] of Object.entries(entry.metadata ?? {})) {
    if (field.endsWith('_uri') || field.endsWith('_endpoint')) {
      const problem = typeof value === 'string' ? urlProblem(value) : `expected a URL string, received ${describe(value)}`
      if (problem !== null) problems.push(`${path}.metadata.${field}: ${problem}`)
    }
  }
  if (entry.audience === undefined && options.audience === undefined && options.dangerouslyAllowAnyAudience !== true) {
    problems.push(`${path}.audience: expected the audience your API is known by at this issuer (or options.audience for all), received undefined`)
  }
  const validation = entry.validation ?? 'jwt'
  if (validation !== 'jwt' && entry.introspection === undefined) {
    problems.push(`${path}.introspection: expected { clientId, clientSecret } with validation ${JSON.stringify(validation)}, received undefined`)
  }
  if (validation === 'jwt' && entry.introspection !== undefined) {
    problems.push(`${path}.introspection: expected only with validation 'introspection' or 'auto', received it with validation 'jwt'`)
  }
  return problems
}

/** Every trusted issuer, resolved; the string form gives one. Call only on validated options. */
export function resolveIssuers (options: OAuthGuardOptions): ResolvedIssuer[] {
  const audience = (value: string | readonly string[] | undefined): readonly string[] | null =>
    value === undefined ? null : typeof value === 'string' ? [value] : [...value]
  const entries: readonly IssuerOptions[] = typeof options.issuer === 'string'
    ? [{ issuer: options.issuer, metadata: options.metadata, validation: options.validation, introspection: options.introspection }]
    : options.issuer
  return entries.map((entry) => ({
    issuer: entry.issuer,
    audience: audience(entry.audience ?? options.audience),
    metadata: { ...entry.metadata },
    validation: entry.validation ?? 'jwt',
    introspection: entry.introspection === undefined ? null : resolveIntrospectionOptions(entry.introspection),
    tenants: entry.tenants === undefined ? null : typeof entry.tenants === 'function' ? entry.tenants : [...entry.tenants]
  }))
}
