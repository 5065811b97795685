// Type tests for the dpop option and request.auth.jkt (npm run typecheck).
import Fastify from 'fastify'
import oauthGuard, { type DPoPMode, type DPoPOptions, type OAuthGuardOptions } from '../../lib/index.js'

const app = Fastify()
await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api', dpop: 'required' })
await app.register(oauthGuard, {
  issuer: 'https://id.example.com',
  audience: 'api',
  dpop: { mode: 'allowed', algorithms: ['ES256', 'EdDSA'], iatWindow: 30_000, nonce: { secret: 'x'.repeat(32), lifetime: 60_000 }, replayMaxEntries: 1000 }
})

export const modes: DPoPMode[] = ['off', 'allowed', 'required']
export const withNonce: DPoPOptions = { nonce: true }

app.get('/me', { onRequest: app.authenticate }, async (request) => {
  const jkt: string | undefined = request.auth?.jkt
  return { jkt }
})

// @ts-expect-error the mode is one of off, allowed, required
export const badMode: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', dpop: 'optional' }
// @ts-expect-error iatWindow is a number of milliseconds
export const badWindow: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', dpop: { iatWindow: '60s' } }
// @ts-expect-error nonce is a boolean or settings
export const badNonce: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'a', dpop: { nonce: 'yes' } }
