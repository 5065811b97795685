// The table of docs/scopes-and-openapi.md ("Every combination"), row by row, on the wire: the docs
// and this test read the same table, so neither can drift from what the server does.
import { readFileSync } from 'node:fs'
import Fastify, { type FastifyInstance, type RouteShorthandOptions } from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer, type LocalIssuer } from '../../lib/testing/index.js'
import type { OAuthGuardOptions } from '../../lib/types.js'
import { apiKeyHook } from '../fixtures/api-key-hook.js'
import { DPOP_OFFER, NO_CREDENTIALS } from '../fixtures/challenges.js'

const API_KEY = 'key-of-the-matrix'
const COLUMNS = ['anonymous', 'API key', 'invalid token', 'insufficient token', 'sufficient token', 'insufficient token + API key', 'sufficient token + API key'] as const

/** The rows of the table, as written in the docs. */
function readTable (): Array<{ declaration: string, cells: string[] }> {
  const doc = readFileSync(new URL('../../docs/scopes-and-openapi.md', import.meta.url), 'utf8')
  const table = doc.slice(doc.indexOf('<!-- security-matrix'), doc.indexOf('<!-- /security-matrix -->')).split('\n')
    .filter((line) => line.startsWith('| ') && !line.startsWith('| ---'))
  const [header, ...rows] = table.map((line) => line.slice(2, -2).split(' | '))
  if (JSON.stringify(header.slice(1)) !== JSON.stringify(COLUMNS)) throw new Error(`unexpected columns: ${header.join(', ')}`)
  return rows.map(([declaration, ...cells]) => ({ declaration, cells }))
}

type Declare = (app: FastifyInstance) => RouteShorthandOptions
const security = (value: Array<Record<string, string[]>>): RouteShorthandOptions => ({ schema: { security: value } })
/** How each row's route is declared, and the plugin options of its app. */
const ROUTES: Record<string, { options?: Partial<OAuthGuardOptions>, declare: Declare }> = {
  '`security: []`': { declare: () => security([]) },
  'nothing declared': { declare: () => ({}) },
  '`[{ oauth2: [] }]`': { declare: () => security([{ oauth2: [] }]) },
  "`[{ oauth2: ['admin'] }]`": { declare: () => security([{ oauth2: ['admin'] }]) },
  "`[{ oauth2: ['a'] }, { oauth2: ['admin'] }]`": { declare: () => security([{ oauth2: ['a'] }, { oauth2: ['admin'] }]) },
  "`[{}, { oauth2: ['admin'] }]`": { declare: () => security([{}, { oauth2: ['admin'] }]) },
  '`[{}]`': { declare: () => security([{}]) },
  '`[{ apiKey: [] }]`': { declare: () => security([{ apiKey: [] }]) },
  "`[{ apiKey: [] }, { oauth2: ['admin'] }]`": { declare: () => security([{ apiKey: [] }, { oauth2: ['admin'] }]) },
  "`[{ oauth2: ['admin'], apiKey: [] }]`": { declare: () => security([{ oauth2: ['admin'], apiKey: [] }]) },
  '`[{}, { apiKey: [] }]`': { declare: () => security([{}, { apiKey: [] }]) },
  "`hide: true, security: [{ oauth2: ['admin'] }]`": { declare: () => ({ schema: { hide: true, security: [{ oauth2: ['admin'] }] } }) },
  '`onRequest: app.authenticate`': { declare: (app) => ({ onRequest: app.authenticate }) },
  "`app.authenticate({ scopes: ['admin'] })`": { declare: (app) => ({ onRequest: app.authenticate({ scopes: ['admin'] }) }) },
  '`app.authenticate({ optional: true })`': { declare: (app) => ({ onRequest: app.authenticate({ optional: true }) }) },
  "`app.authenticate({ optional: true, scopes: ['admin'] })`": { declare: (app) => ({ onRequest: app.authenticate({ optional: true, scopes: ['admin'] }) }) },
  '`protectAllRoutes: true`, nothing declared': { options: { protectAllRoutes: true }, declare: () => ({}) },
  "`protectAllRoutes: { scopes: ['admin'] }`, nothing declared": { options: { protectAllRoutes: { scopes: ['admin'] } }, declare: () => ({}) },
  '`protectAllRoutes: true`, `hide: true`': { options: { protectAllRoutes: true }, declare: () => ({ schema: { hide: true } }) },
  '`protectAllRoutes: true`, `security: []`': { options: { protectAllRoutes: true }, declare: () => security([]) }
}

let issuer: LocalIssuer
t.before(async () => { issuer = await createLocalIssuer() })
t.teardown(async () => await issuer.close())

async function rowApp (t: Test, row: (typeof ROUTES)[string]): Promise<{ app: FastifyInstance, handled: { count: number } }> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: issuer.issuer, audience: issuer.audience, externalSchemes: ['apiKey'], ...row.options })
  app.addHook('preParsing', apiKeyHook((key) => key === API_KEY))
  const handled = { count: 0 }
  app.get('/route', row.declare(app), async (request) => {
    handled.count++
    return { auth: request.auth === null ? null : request.auth.id }
  })
  await app.ready()
  return { app, handled }
}

async function headersFor (column: typeof COLUMNS[number]): Promise<Record<string, string>> {
  const headers: Record<string, string> = {}
  if (column.includes('API key')) headers['x-api-key'] = API_KEY
  if (column.startsWith('invalid')) headers.authorization = 'Bearer not-a-token-the-issuer-signed'
  if (column.startsWith('insufficient')) headers.authorization = `Bearer ${await issuer.sign({ scope: 'read' })}`
  if (column.startsWith('sufficient')) headers.authorization = `Bearer ${await issuer.sign({ scope: 'admin' })}`
  return headers
}

const rows = readTable()

t.test('the table names every declaration this test knows, and only those', async (t) => {
  t.same(rows.map((row) => row.declaration).sort(), Object.keys(ROUTES).sort())
  t.ok(rows.every((row) => row.cells.length === COLUMNS.length), 'every row has a cell per column')
})

for (const { declaration, cells } of rows) {
  t.test(`as the table says: ${declaration}`, async (t) => {
    const { app, handled } = await rowApp(t, ROUTES[declaration])
    for (const [index, column] of COLUMNS.entries()) {
      const expected = cells[index]
      const before = handled.count
      const response = await app.inject({ url: '/route', headers: await headersFor(column) })
      const got = describe(response.statusCode, response.headers['www-authenticate'] as string | undefined, response.json())
      t.equal(got, expected, column)
      t.equal(handled.count - before, response.statusCode === 200 ? 1 : 0, `${column}: the handler runs only when allowed`)
    }
  })
}

/** The cell text the response stands for; anything unexpected shows as itself. */
function describe (status: number, challenge: string | undefined, body: { auth?: unknown, message?: string }): string {
  if (status === 200) return body.auth === null ? '200, auth null' : body.auth === 'user-1' ? '200, auth set' : `200, auth ${JSON.stringify(body.auth)}`
  if (status === 401 && body.message === 'A valid API key or Bearer token is required' && challenge === undefined) return '401 by your hook'
  if (status === 401 && (challenge === NO_CREDENTIALS || challenge === `Bearer error="invalid_token", error_description="The access token is invalid"${DPOP_OFFER}`)) return '401'
  if (status === 403 && challenge?.startsWith('Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="') === true) return '403'
  return `${status} ${challenge ?? ''} ${JSON.stringify(body)}`
}
