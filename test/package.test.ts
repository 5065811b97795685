// The package as users get it: the built files, through the `exports` map, from ESM and CommonJS.
import { createRequire } from 'node:module'
import t from 'tap'

t.test('ESM: the plugin (default and named), errors, the testing and redis entry points', async (t) => {
  const main = await import('fastify-oauth-guard')
  t.type(main.default, 'function')
  t.equal(main.default, main.oauthGuard)
  t.type(main.InvalidTokenError, 'function')
  t.type(main.oauthGuardDocs, 'function')
  t.type(main.pendingSchemes, 'function')
  const testing = await import('fastify-oauth-guard/testing')
  t.type(testing.createLocalIssuer, 'function')
  const redis = await import('fastify-oauth-guard/redis')
  t.type(redis.redisStore, 'function')
})

t.test('the main entry exports exactly the documented surface (docs/api.md), no internals', async (t) => {
  const main = await import('fastify-oauth-guard')
  t.strictSame(Object.keys(main).sort(), [
    'ClaimsRejectedError', 'ClientNotAllowedError', 'InsufficientPermissionsError', 'InsufficientScopeError',
    'InsufficientUserAuthenticationError', 'InvalidDPoPProofError', 'InvalidOptionsError', 'InvalidRequestError', 'InvalidRouteSecurityError',
    'InvalidTokenError', 'MissingTokenError', 'OAuthGuardError', 'OAuthGuardHTTPError', 'ProviderUnavailableError',
    'StoreUnavailableError', 'TokenBindingError', 'TokenExpiredError', 'UseDPoPNonceError', 'UserinfoError',
    'default', 'errorResponseSchema', 'logSerializers', 'oauthGuard', 'oauthGuardDocs', 'pendingSchemes', 'swaggerUIRedirectURI'
  ])
})

t.test('errorResponseSchema is plain JSON Schema: no TypeBox symbols, frozen', async (t) => {
  const { errorResponseSchema } = await import('fastify-oauth-guard')
  t.strictSame(Object.getOwnPropertySymbols(errorResponseSchema), [])
  t.strictSame(errorResponseSchema.required, ['statusCode', 'code', 'error', 'message'])
  t.ok(Object.isFrozen(errorResponseSchema))
})

t.test('CommonJS can require() it (Node ^20.19 and >=22.12)', async (t) => {
  const require = createRequire(import.meta.url)
  const main = require('fastify-oauth-guard') as { default: unknown, oauthGuard: unknown }
  t.equal(main.default, main.oauthGuard)
})
