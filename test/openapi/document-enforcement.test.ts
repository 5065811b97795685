// For every route of a representative app: the route report, the OpenAPI document and what the
// server lets through say the same thing, for anonymous, insufficient and sufficient tokens.
import type { FastifyInstance } from 'fastify'
import t, { type Test } from 'tap'
import { describeRequirement } from '../../lib/fastify/route-report.js'
import { compileRequirement, type SecurityRequirementObject } from '../../lib/token/scopes.js'
import type { LocalIssuer } from '../../lib/testing/index.js'
import { apiKeyHook } from '../fixtures/api-key-hook.js'
import { docsApp, documentOf, startIssuer } from '../fixtures/docs-app.js'

/** docsApp's sample routes, plus every other way the docs allow to declare security. */
async function representativeApp (t: Test, issuer: LocalIssuer, protectAllRoutes: boolean): Promise<FastifyInstance> {
  const app = await docsApp(t, issuer, {
    externalSchemes: ['apiKey'],
    protectAllRoutes,
    docs: { clientId: 'swagger-ui', openapi: { components: { securitySchemes: { apiKey: { type: 'apiKey', in: 'header', name: 'x-api-key' } } } } }
  })
  app.addHook('preParsing', apiKeyHook(() => false))
  app.get('/either', { schema: { security: [{ oauth2: ['items:read'] }, { oauth2: ['admin'] }] } }, async () => 'ok')
  app.get('/maybe-admin', { schema: { security: [{}, { oauth2: ['admin'] }] } }, async () => 'ok')
  app.get('/maybe-admin-hook', { onRequest: app.authenticate({ optional: true, scopes: ['admin'] }) }, async () => 'ok')
  app.get('/key-or-admin', { schema: { security: [{ apiKey: [] }, { oauth2: ['admin'] }] } }, async () => 'ok')
  app.get('/hidden-admin', { schema: { hide: true, security: [{ oauth2: ['admin'] }] } }, async () => 'ok')
  app.get('/undeclared', async () => 'ok')
  app.delete('/items/:id', { schema: { security: [{ oauth2: ['items:write', 'admin'] }] } }, async () => 'ok')
  await app.ready()
  return app
}

/** What the document's security says a caller gets: 'open' | 'refused' for anonymous, and per token. */
function expectations (security: SecurityRequirementObject[] | undefined, granted: readonly string[]): { anonymous: number, token: number } {
  if (security === undefined || security.length === 0) return { anonymous: 200, token: 200 }
  const ours = security.filter((object) => object.oauth2 !== undefined)
  // Anonymous: open when an alternative names no Bearer scheme (`{}`: 200; apiKey: the key hook's 401).
  const anonymous = security.some((object) => Object.keys(object).length === 0) ? 200 : 401
  const token = ours.some((object) => object.oauth2.every((scope) => granted.includes(scope))) ? 200 : 403
  return { anonymous, token }
}

for (const protectAllRoutes of [false, true]) {
  t.test(`report, /docs/json and enforcement agree on every route${protectAllRoutes ? ' under protectAllRoutes' : ''}`, async (t) => {
    const issuer = await startIssuer(t)
    const app = await representativeApp(t, issuer, protectAllRoutes)
    const { paths } = await documentOf(t, app)
    const rows = app.oauthGuard.report().filter((row) => row.method !== 'HEAD')
    t.ok(rows.length >= 12)
    for (const row of rows) {
      const verb = row.method.split(',').at(-1) as 'GET'
      const method = verb.toLowerCase()
      const path = row.url.replace(/:(\w+)/g, '{$1}')
      const url = row.url.replace(':id', '1').replace('*', 'swagger-initializer.js')
      const request = async (scope?: string) => await app.inject({ method: verb, url, payload: method === 'post' ? { name: 'x' } : undefined, headers: scope === undefined ? {} : { authorization: `Bearer ${await issuer.sign({ scope, permissions: ['reports:view'] })}` } })
      if (row.source === 'docs') {
        t.equal(row.requirement, 'public', `${row.method} ${row.url}: docs routes are public`)
        t.not((await request()).statusCode, 401, `${row.method} ${row.url}: public by design`)
        continue
      }
      const operation = paths[path]?.[method]
      const hidden = row.url === '/hidden-admin'
      t.equal(operation === undefined, hidden, `${row.method} ${row.url}: in the document unless hidden`)
      const security = hidden ? [{ oauth2: ['admin'] }] : operation.security as SecurityRequirementObject[] | undefined
      t.equal(row.requirement, describeRequirement(compileRequirement(security ?? [], 'oauth2', ['apiKey'], row.url)), `${row.method} ${row.url}: report = document`)
      const all = [...new Set((security ?? []).flatMap((object) => object.oauth2 ?? []))]
      const first = (security ?? []).find((object) => object.oauth2 !== undefined)?.oauth2 ?? []
      t.equal((await request()).statusCode, expectations(security, []).anonymous, `${row.method} ${row.url}: anonymous`)
      t.equal((await request('unrelated')).statusCode, expectations(security, ['unrelated']).token, `${row.method} ${row.url}: insufficient token`)
      t.equal((await request(first.join(' '))).statusCode, expectations(security, first).token, `${row.method} ${row.url}: token with the first alternative's scopes`)
      t.equal((await request(all.join(' '))).statusCode, 200, `${row.method} ${row.url}: sufficient token`)
    }
  })
}
