// A person's path through the demo, in headless Chromium: open /docs, Authorize with PKCE at the
// embedded oidc-provider (items:read granted, items:write not), then "Try it out". The demo sends
// helmet-like CSP and COOP headers, so this also proves the login survives them.
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { BrowserContext, Request } from 'playwright-core'
import { buildDemo, DEMO_SCOPES } from '../../demo/app.js'
import { startIdentityProvider, type IdentityProvider } from '../../demo/identity-provider.js'
import { swaggerUIRedirectURI } from '../../lib/index.js'
import { browserSkipReason, launchBrowser, screenshotter } from '../fixtures/browser.js'

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/', import.meta.url))
const AUDIENCE = 'urn:fastify-oauth-guard:e2e'
const STEP_TIMEOUT = 15_000 // ms, per browser action

const skip = browserSkipReason()
if (skip !== null) {
  t.test('Swagger UI login in a real browser', { skip }, async () => {})
} else {
  await run()
}

async function run (): Promise<void> {
  const idp: IdentityProvider = await startIdentityProvider({ resource: AUDIENCE, apiScopes: { ...DEMO_SCOPES } })
  t.teardown(() => idp.close())
  const app = await buildDemo({ issuer: idp.issuer, audience: AUDIENCE, clientId: idp.clients.swaggerUI.clientId, logger: false })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const origin = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`
  idp.addRedirectUri(swaggerUIRedirectURI(origin, '/docs'))

  const context: BrowserContext = await launchBrowser(t)
  context.setDefaultTimeout(STEP_TIMEOUT)
  const page = await context.newPage()
  const shot = await screenshotter(SCREENSHOTS)
  const requests: Request[] = []
  page.on('request', (request) => { requests.push(request) })

  // The demo also offers the client credentials flow (through its token relay): the person's section only.
  const userSection = page.locator('.auth-container', { has: page.locator('h4', { hasText: 'authorizationCode' }) })
  const operation = (id: string) => page.locator(`#operations-${id}`)
  async function tryItOut (id: string): Promise<{ status: string, body: string }> {
    await operation(id).locator('.opblock-summary').click()
    await operation(id).locator('.try-out__btn').click()
    await operation(id).locator('.execute').click()
    const response = operation(id).locator('.live-responses-table .response').first()
    const status = (await response.locator('.response-col_status').textContent() ?? '').trim()
    const body = await response.locator('.response-col_description pre').first().textContent() ?? ''
    return { status, body }
  }

  t.test('the docs page offers Authorize with the client ID filled in and every scope preselected', async (t) => {
    await page.goto(`${origin}/docs`)
    await page.locator('.auth-wrapper .authorize').click()
    await shot(page, '01-authorize-dialog')
    t.equal(await page.inputValue('#client_id_authorizationCode'), 'swagger-ui')
    t.equal(await page.inputValue('#client_secret_authorizationCode'), '', 'no secret is shipped to the page')
    for (const scope of ['openid', 'profile', 'email', 'items:read', 'items:write']) {
      t.ok(await userSection.locator(`input[data-value="${scope}"]`).isChecked(), `${scope} is preselected`)
    }
  })

  t.test("Authorize opens the provider's login page; signing in and consenting brings a token back", async (t) => {
    await page.locator('label[for="items:write-authorizationCode-checkbox-oauth2"]').click()
    t.notOk(await userSection.locator('input[data-value="items:write"]').isChecked(), 'items:write unselected')
    const opened = context.waitForEvent('page')
    await userSection.locator('.auth-btn-wrapper .authorize').click()
    const popup = await opened
    await popup.locator('input[name=username]').waitFor()
    t.equal(new URL(popup.url()).origin, idp.issuer, 'the login page is the provider\'s')
    await shot(popup, '02-provider-login')
    await popup.fill('input[name=username]', idp.user.username)
    await popup.fill('input[name=password]', idp.user.password)
    await popup.locator('button[type=submit]').click()
    await popup.locator('text=items:read').waitFor()
    await shot(popup, '03-provider-consent')
    const closed = popup.waitForEvent('close')
    await popup.locator('button', { hasText: 'Allow' }).click()
    await closed
    await userSection.locator('.auth-btn-wrapper button', { hasText: 'Logout' }).waitFor()
    await shot(page, '04-authorized')
    const tokenRequest = requests.find((r) => r.method() === 'POST' && r.url() === `${idp.issuer}/token`)
    const form = new URLSearchParams(tokenRequest?.postData() ?? '')
    t.equal(form.get('grant_type'), 'authorization_code')
    t.equal(form.get('client_id'), 'swagger-ui')
    t.match(form.get('code_verifier'), /^[\w-]{43,128}$/, 'PKCE code verifier sent')
    t.notOk(form.has('client_secret'), 'no client secret')
    await page.locator('.modal-ux .close-modal').click()
  })

  t.test('"Try it out" on GET /user shows 200 with the user ID, the granted scopes and the token', async (t) => {
    const { status, body } = await tryItOut('user-getUser')
    await shot(page, '05-get-user-200')
    t.equal(status, '200')
    const sent = requests.find((r) => r.url() === `${origin}/user`)?.headers().authorization
    const user = JSON.parse(body)
    t.match(user, { id: idp.user.sub, scopes: ['items:read'] })
    t.equal(`Bearer ${user.token as string}`, sent, 'the token shown is the one Swagger UI sent')
  })

  t.test('"Try it out" on GET /items, whose scope was granted, shows 200', async (t) => {
    const { status, body } = await tryItOut('items-listItems')
    t.equal(status, '200')
    t.same(JSON.parse(body), [])
  })

  t.test('"Try it out" on POST /items, whose scope was not granted, shows 403 insufficient_scope', async (t) => {
    const { status, body } = await tryItOut('items-createItem')
    await shot(page, '06-post-items-403')
    t.equal(status, '403')
    t.match(JSON.parse(body), { statusCode: 403, code: 'OAUTH_GUARD_INSUFFICIENT_SCOPE', error: 'Forbidden' })
  })
}
