// Type tests for machine callers: request.auth.clientId, the client allow-lists, the token relay.
import Fastify from 'fastify'
import oauthGuard, { type AuthContext, type OAuthGuardOptions, type TokenRelayOptions } from '../../lib/index.js'

const app = Fastify()
await app.register(oauthGuard, {
  issuer: 'https://id.example.com',
  audience: 'api',
  clients: ['billing-service'],
  claims: { id: 'uid', clientId: ['cid', 'client_id'] },
  docs: { tokenRelay: { resource: 'https://api.example.com', audience: 'api', maxRequestsPerMinute: 10 } }
})

app.get('/machines', { onRequest: app.authenticate({ clients: ['billing-service'] }) }, async (request) => {
  const clientId: string | null = request.auth!.clientId
  const id: string = request.auth!.id
  return { clientId, id }
})

export const relay: TokenRelayOptions = { resource: ['urn:a', 'urn:b'] }
export const on: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', docs: { tokenRelay: true } }
// @ts-expect-error clientId may be null: a token need not name its client
export const sure: string = ({} as AuthContext).clientId
// @ts-expect-error clients is a list of client IDs
export const oneClient: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', clients: 'billing-service' }
// @ts-expect-error claims.clientId is a list of claim names, in order
export const oneClaim: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', claims: { clientId: 'cid' } }
// @ts-expect-error the route's clients is a list too
app.authenticate({ clients: 'billing-service' })
// @ts-expect-error maxRequestsPerMinute is a number
export const badRelay: TokenRelayOptions = { maxRequestsPerMinute: '10' }
