// Type tests, checked by `tsc -p test/types` (npm run typecheck). Each line after an
// expect-error directive must fail to compile; everything else must compile.
import Fastify, { type FastifyRequest } from 'fastify'
import oauthGuard, {
  oauthGuard as named,
  InsufficientScopeError,
  type AuthContext,
  type AuthenticateOptions,
  type OAuthGuardOptions
} from '../../lib/index.js'

declare module '../../lib/index.js' {
  // Users type their own claims by augmenting AccessTokenClaims.
  interface AccessTokenClaims {
    tenant?: string
  }
}

const app = Fastify()
await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'https://api.example.com' })
await app.register(named, { issuer: 'https://id.example.com', dangerouslyAllowAnyAudience: true })

app.get('/user', { onRequest: app.authenticate }, async (request) => {
  const auth: AuthContext | null = request.auth
  if (auth === null) return null
  const id: string = auth.id
  const scopes: readonly string[] = auth.scopes
  const token: string = auth.token
  const expiresAt: Date = auth.expiresAt
  const tenant: string | undefined = auth.claims.tenant
  // @ts-expect-error claims are read-only
  auth.claims.sub = 'other'
  return { id, scopes, token, expiresAt, tenant }
})
app.get('/admin', { onRequest: app.authenticate({ scopes: ['admin'] }) }, async () => 'ok')
app.get('/maybe', { onRequest: [app.authenticate({ optional: true, acr: 'mfa', permissions: ['read'], claims: (c) => c.tenant === 'a' })] }, async () => 'ok')
app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (request: FastifyRequest) => request.auth?.id)

// @ts-expect-error scopes must be strings
app.authenticate({ scopes: [1] })
// @ts-expect-error unknown authenticate option
app.authenticate({ scope: ['x'] })
// @ts-expect-error optional is a boolean
app.authenticate({ optional: 'yes' })

const options: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: ['a', 'b'], cache: false, validation: 'auto' }
// @ts-expect-error issuer is required
const noIssuer: OAuthGuardOptions = { audience: 'a' }
// @ts-expect-error validation is one of jwt, introspection, auto
const badMode: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', validation: 'remote' }
// @ts-expect-error the plugin refuses unknown options
await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'a', audiance: 'typo' })

const hookOptions: AuthenticateOptions = { scopes: ['a'], optional: true }
const error = new InsufficientScopeError(['a'])
const status: number = error.statusCode
const challenge: string | undefined = error.headers['www-authenticate']
export const used = [options, noIssuer, badMode, hookOptions, status, challenge]
