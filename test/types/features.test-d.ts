// Type tests for the remote-validation, docs and routing options (npm run typecheck).
import Fastify from 'fastify'
import oauthGuard, { oauthGuardDocs, pendingSchemes, type OAuthGuardOptions, type UserInfo } from '../../lib/index.js'

const app = Fastify()
await app.register(oauthGuard, {
  issuer: 'https://id.example.com',
  audience: 'api',
  validation: 'introspection',
  introspection: { clientId: 'api', clientSecret: 's', authMethod: 'client_secret_post', cacheMaxTTL: 30_000 },
  userinfo: { ttl: 60_000 },
  scopes: { 'items:read': 'Read items' },
  protectAllRoutes: { exclude: ['/health'], scopes: ['api'] },
  docs: { clientId: 'swagger-ui', authorizationParams: { audience: 'api' }, openapi: { info: { title: 'API', version: '1' } } }
})

app.get('/me', { onRequest: app.authenticate({ acr: ['mfa'], maxAge: 600, permissions: ['read'] }) }, async (request) => {
  const info: UserInfo = await request.userinfo()
  const sub: string = info.sub
  return { sub, email: info.email }
})

const docs = oauthGuardDocs(app, { clientId: 'swagger-ui' })
export const pieces = [docs.swagger, docs.swaggerUI]

// @ts-expect-error authMethod is one of the two client secret methods
export const badMethod: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', introspection: { clientId: 'a', clientSecret: 'b', authMethod: 'private_key_jwt' } }
// @ts-expect-error protectAllRoutes.exclude is a list of paths
export const badExclude: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', protectAllRoutes: { exclude: '/health' } }
// @ts-expect-error maxAge is a number of seconds
app.authenticate({ maxAge: '10m' })

export const withCheck: OAuthGuardOptions = { issuer: 'https://id.example.com', dangerouslyAllowAnyAudience: true, validateClaims: (claims) => claims.token_use === 'access' }
// @ts-expect-error validateClaims is synchronous
export const asyncCheck: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', validateClaims: async () => true }

// pendingSchemes: what an external-scheme hook must still verify.
app.addHook('preParsing', async (request) => {
  const pending: string[][] | null = pendingSchemes(request)
  // @ts-expect-error it may be null: the plugin settled the request alone
  const groups: string[][] = pendingSchemes(request)
  return pending === null ? undefined : groups.length === 0 ? undefined : undefined
})
