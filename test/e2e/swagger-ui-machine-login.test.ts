// A machine's path through the demo, in headless Chromium: open /docs, fill the Authorize dialog's
// client credentials section with the machine client's ID and secret, get a token through the
// API's own token relay (never from the browser at the provider), then "Try it out" as that client.
import { fileURLToPath } from 'node:url'
import type { AddressInfo } from 'node:net'
import t from 'tap'
import type { BrowserContext, Request } from 'playwright-core'
import { buildDemo, DEMO_SCOPES } from '../../demo/app.js'
import { startIdentityProvider, type IdentityProvider } from '../../demo/identity-provider.js'
import { browserSkipReason, launchBrowser, screenshotter } from '../fixtures/browser.js'

const SCREENSHOTS = fileURLToPath(new URL('./screenshots/machine/', import.meta.url))
const AUDIENCE = 'urn:fastify-oauth-guard:e2e-machine'
const STEP_TIMEOUT = 15_000 // ms, per browser action

const skip = browserSkipReason()
if (skip !== null) {
  t.test('Swagger UI client credentials login in a real browser', { skip }, async () => {})
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
  const machine = idp.clients.machine

  const context: BrowserContext = await launchBrowser(t)
  context.setDefaultTimeout(STEP_TIMEOUT)
  const page = await context.newPage()
  const shot = await screenshotter(SCREENSHOTS)
  const requests: Request[] = []
  page.on('request', (request) => { requests.push(request) })
  const section = page.locator('.auth-container', { has: page.locator('h4', { hasText: 'clientCredentials' }) })

  t.test('the Authorize dialog offers a client credentials section whose token URL is the relay', async (t) => {
    await page.goto(`${origin}/docs`)
    await page.locator('.auth-wrapper .authorize').click()
    await section.waitFor()
    await shot(page, '01-authorize-dialog')
    t.match(await section.locator('p', { hasText: 'Token URL' }).textContent(), /Token URL:\s*\/docs\/token$/)
    t.equal(await page.inputValue('#client_secret_clientCredentials'), '', 'no secret is shipped to the page')
  })

  t.test('filling in the machine client\'s ID and secret gets a token through the relay, not from the provider', async (t) => {
    await page.fill('#client_id_clientCredentials', machine.clientId)
    await page.fill('#client_secret_clientCredentials', machine.clientSecret)
    const readScope = section.locator('input[data-value="items:read"]')
    if (!await readScope.isChecked()) await section.locator('label[for="items:read-clientCredentials-checkbox-oauth2"]').click()
    const writeScope = section.locator('input[data-value="items:write"]')
    if (await writeScope.isChecked()) await section.locator('label[for="items:write-clientCredentials-checkbox-oauth2"]').click()
    t.notOk(await writeScope.isChecked(), 'items:write unselected')
    const tokenBefore = idp.requests.filter((r) => r.path === '/token').length
    await section.locator('.auth-btn-wrapper .authorize').click()
    await section.locator('.auth-btn-wrapper button', { hasText: 'Logout' }).waitFor()
    await shot(page, '02-authorized')
    const relayed = requests.filter((r) => r.method() === 'POST' && r.url() === `${origin}/docs/token`)
    t.equal(relayed.length, 1, 'Swagger UI posted to the relay')
    t.equal(new URLSearchParams(relayed[0].postData() ?? '').get('grant_type'), 'client_credentials')
    t.notOk(requests.some((r) => r.url().startsWith(idp.issuer)), 'the browser never called the provider')
    const seen = idp.requests.filter((r) => r.path === '/token').slice(tokenBefore)
    t.equal(seen.length, 1, 'the provider got one token request')
    t.equal(seen[0].origin, undefined, 'without a browser Origin')
    t.equal(seen[0].secFetchSite, undefined, 'nor any other browser header')
    await page.locator('.modal-ux .close-modal').click()
  })

  t.test('"Try it out" on GET /user shows 200 with request.auth.clientId the machine client', async (t) => {
    const operation = page.locator('#operations-user-getUser')
    await operation.locator('.opblock-summary').click()
    await operation.locator('.try-out__btn').click()
    await operation.locator('.execute').click()
    const response = operation.locator('.live-responses-table .response').first()
    const status = (await response.locator('.response-col_status').textContent() ?? '').trim()
    const body = await response.locator('.response-col_description pre').first().textContent() ?? ''
    await shot(page, '03-get-user-200')
    t.equal(status, '200')
    t.match(JSON.parse(body), { id: machine.clientId, clientId: machine.clientId, scopes: ['items:read'] })
  })
}
