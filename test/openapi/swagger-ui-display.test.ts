// Swagger UI in headless Chromium before sign-in: a padlock only on operations that take a token,
// open until the login, and no client_secret row in the PKCE dialog (issue 12).
import type { AddressInfo } from 'node:net'
import t from 'tap'
import { buildDemo } from '../../demo/app.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { swaggerUIDisplay } from '../../lib/openapi/swagger-ui-display.js'
import { browserSkipReason, launchBrowser } from '../fixtures/browser.js'

t.test('the user\'s own Swagger UI plugins and CSS files are kept, ours appended', async (t) => {
  const mine = () => ({})
  const display = swaggerUIDisplay({ uiConfig: { plugins: [mine], deepLinking: false }, theme: { title: 'T', css: [{ filename: 'a.css', content: 'a{}' }] } })
  t.equal(display.uiConfig.deepLinking, false)
  t.equal((display.uiConfig.plugins as unknown[])[0], mine)
  t.equal((display.uiConfig.plugins as unknown[]).length, 2)
  t.match(display.theme.css, [{ filename: 'a.css', content: 'a{}' }, { filename: 'oauth-guard.css', content: /client_secret_/ }])
  t.equal(display.theme.title, 'T')
})

const skip = browserSkipReason()
t.test('before sign-in, Swagger UI shows open padlocks on token operations only and no client_secret', { skip: skip ?? false }, async (t) => {
  const issuer = await createLocalIssuer()
  t.teardown(() => issuer.close())
  const app = await buildDemo({ issuer: issuer.issuer, audience: issuer.audience, clientId: 'swagger-ui', logger: false })
  t.teardown(() => app.close())
  await app.listen({ host: '127.0.0.1', port: 0 })
  const context = await launchBrowser(t)
  const page = await context.newPage()
  await page.goto(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}/docs`)
  await page.locator('#operations-public-health').waitFor()
  const padlock = async (id: string) => {
    const button = page.locator(`#operations-${id} .authorization__btn`)
    return await button.count() === 0 ? 'none' : await button.getAttribute('aria-label')
  }
  t.equal(await padlock('public-health'), 'none', 'security: [] has no padlock')
  t.equal(await padlock('public-greeting'), 'authorization button unlocked', 'an optional token: open padlock before sign-in')
  t.equal(await padlock('user-getUser'), 'authorization button unlocked', 'a required token: open padlock before sign-in')

  await page.locator('.auth-wrapper .authorize').click()
  const dialog = page.locator('.auth-container').first()
  await dialog.locator('label[for^="client_id_"]').waitFor()
  t.equal(await dialog.locator('label[for="client_secret_authorizationCode"]').isVisible(), false, 'no client_secret row for the PKCE login')
  t.equal(await dialog.locator('label[for^="client_id_"]').isVisible(), true, 'the client_id row stays')
  await page.screenshot({ path: new URL('../e2e/screenshots/swagger-ui-display.png', import.meta.url).pathname, fullPage: true })
})
