// The package as users get it: the built files, through the `exports` map, from ESM and CommonJS.
import { createRequire } from 'node:module'
import t from 'tap'

t.test('ESM: the plugin (default and named), errors and the testing entry point', async (t) => {
  const main = await import('fastify-oauth-guard')
  t.type(main.default, 'function')
  t.equal(main.default, main.oauthGuard)
  t.type(main.InvalidTokenError, 'function')
  t.type(main.oauthGuardDocs, 'function')
  t.type(main.pendingSchemes, 'function')
  const testing = await import('fastify-oauth-guard/testing')
  t.type(testing.createLocalIssuer, 'function')
})

t.test('CommonJS can require() it (Node ^20.19 and >=22.12)', async (t) => {
  const require = createRequire(import.meta.url)
  const main = require('fastify-oauth-guard') as { default: unknown, oauthGuard: unknown }
  t.equal(main.default, main.oauthGuard)
})
