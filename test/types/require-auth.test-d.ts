// Type tests for request.requireAuth(): a non-null AuthContext on protected routes.
import Fastify from 'fastify'
import oauthGuard, { type AuthContext } from '../../lib/index.js'

declare module '../../lib/index.js' {
  interface AccessTokenClaims {
    tenant?: string
  }
}

const app = Fastify()
await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'https://api.example.com' })

app.get('/me', { onRequest: app.authenticate }, async (request) => {
  const auth: AuthContext = request.requireAuth()
  const id: string = request.requireAuth().id
  const tenant: string | undefined = request.requireAuth().claims.tenant
  // @ts-expect-error request.auth stays nullable: one type covers every route
  const unchecked: AuthContext = request.auth
  // @ts-expect-error requireAuth() is never null, but does not make the claims of another shape
  const wrong: number = auth.claims.tenant
  return { id, tenant, unchecked, wrong }
})

// @ts-expect-error requireAuth takes no arguments
app.get('/x', async (request) => request.requireAuth({ scopes: ['a'] }))
