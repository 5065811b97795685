// DPoP end to end: a real DPoP client (oauth4webapi) gets DPoP-bound tokens from the real
// oidc-provider (features.dPoP) and calls the API with its DPoP handle; the attacks reuse what
// that client really sent.
import Fastify, { type FastifyInstance } from 'fastify'
import * as oauth from 'oauth4webapi'
import t, { type Test } from 'tap'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import oauthGuard from '../../lib/index.js'
import type { OAuthGuardOptions } from '../../lib/types.js'
import { ALGS } from '../fixtures/dpop.js'

const RESOURCE = 'urn:example:api'
const API_SCOPES = { 'items:read': 'Read items' }
const insecure = { [oauth.allowInsecureRequests]: true }

const idp = await startIdentityProvider({ resource: RESOURCE, apiScopes: API_SCOPES, dPoP: true, accessTokenAlg: 'ES256' })
t.teardown(() => idp.close())
const as = await oauth.processDiscoveryResponse(new URL(idp.issuer), await oauth.discoveryRequest(new URL(idp.issuer), insecure))

/** A machine client of the provider with its own DPoP key. */
async function dpopClient (client: 'machine' | 'machineOpaque' = 'machine') {
  const { clientId, clientSecret } = idp.clients[client]
  const metadata: oauth.Client = { client_id: clientId }
  const DPoP = oauth.DPoP(metadata, await oauth.generateKeyPair('ES256'))
  /** Every request the client sent, to replay what it really sent. */
  const sent: Request[] = []
  // Requests of this client carry no body (GET and POST without one).
  const customFetch = async (url: string, init: oauth.CustomFetchOptions<string, oauth.ProtectedResourceRequestBody>): Promise<Response> => {
    const request = new Request(url, { method: init.method, headers: init.headers, redirect: init.redirect, signal: init.signal })
    sent.push(request.clone())
    return await fetch(request)
  }
  return {
    DPoP,
    sent,
    async token (t: Test): Promise<string> {
      const response = await oauth.clientCredentialsGrantRequest(as, metadata, oauth.ClientSecretBasic(clientSecret), new URLSearchParams({ scope: 'items:read', resource: RESOURCE }), { DPoP, ...insecure })
      const result = await oauth.processClientCredentialsResponse(as, metadata, response)
      t.equal(result.token_type, 'dpop', 'the provider bound the token')
      return result.access_token
    },
    async call (token: string, url: string, method = 'GET'): Promise<Response> {
      return await oauth.protectedResourceRequest(token, method, new URL(url), new Headers(), null, { DPoP, [oauth.customFetch]: customFetch, ...insecure })
    }
  }
}

async function api (t: Test, options: Partial<OAuthGuardOptions> = {}): Promise<{ app: FastifyInstance, url: string }> {
  const app = Fastify()
  t.teardown(() => app.close())
  await app.register(oauthGuard, { issuer: idp.issuer, audience: RESOURCE, ...options })
  app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async (request) => ({ id: request.auth?.id, jkt: request.auth?.jkt }))
  app.post('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => ({ created: true }))
  app.get('/other', { schema: { security: [{ oauth2: ['items:read'] }] } }, async () => 'other')
  const url = await app.listen({ host: '127.0.0.1', port: 0 })
  return { app, url }
}

/** The error the client raises on a 401 with a challenge, or the response. */
async function attempt (call: () => Promise<Response>): Promise<Response | oauth.WWWAuthenticateChallengeError> {
  try {
    return await call()
  } catch (err) {
    if (err instanceof oauth.WWWAuthenticateChallengeError) return err
    throw err
  }
}

/** Sends `request` again, as an attacker who captured it would. */
async function replay (request: Request, changes: { method?: string, url?: string, authorization?: string } = {}): Promise<Response> {
  const headers = new Headers(request.headers)
  if (changes.authorization !== undefined) headers.set('authorization', changes.authorization)
  return await fetch(changes.url ?? request.url, { method: changes.method ?? request.method, headers })
}

t.test('oauth4webapi with a DPoP-bound token from oidc-provider gets 200 and request.auth.jkt', async (t) => {
  const { url } = await api(t)
  const client = await dpopClient()
  const token = await client.token(t)
  const res = await client.call(token, `${url}/items`)
  t.equal(res.status, 200)
  const body = await res.json() as { id: string, jkt: string }
  t.equal(body.id, idp.clients.machine.clientId)
  t.match(body.jkt, /^[A-Za-z0-9_-]{43}$/)
  t.equal(client.sent[0].headers.get('authorization'), `DPoP ${token}`)
  t.equal((await client.call(token, `${url}/items`)).status, 200, 'a second call, with a new proof, on the cached token')
})

t.test('a replayed proof is refused', async (t) => {
  const { url } = await api(t)
  const client = await dpopClient()
  const token = await client.token(t)
  t.equal((await client.call(token, `${url}/items`)).status, 200)
  const res = await replay(client.sent[0])
  t.equal(res.status, 401)
  t.equal(res.headers.get('www-authenticate'), `Bearer, DPoP error="invalid_dpop_proof", error_description="The DPoP proof was already used", algs="${ALGS}"`)
})

t.test('a proof for another method or another URL is refused', async (t) => {
  const { url } = await api(t)
  const client = await dpopClient()
  const token = await client.token(t)
  t.equal((await client.call(token, `${url}/items`)).status, 200)
  const method = await replay(client.sent[0], { method: 'POST' })
  t.equal(method.status, 401)
  t.equal(method.headers.get('www-authenticate'), `Bearer, DPoP error="invalid_dpop_proof", error_description="The DPoP proof is for another HTTP method", algs="${ALGS}"`)
  const other = await replay(client.sent[0], { url: `${url}/other` })
  t.equal(other.status, 401)
  t.equal(other.headers.get('www-authenticate'), `Bearer, DPoP error="invalid_dpop_proof", error_description="The DPoP proof is for another URL", algs="${ALGS}"`)
})

t.test('a proof made for another token is refused', async (t) => {
  const { url } = await api(t)
  const client = await dpopClient()
  const first = await client.token(t)
  const second = await client.token(t)
  t.equal((await client.call(first, `${url}/items`)).status, 200)
  const res = await replay(client.sent[0], { authorization: `DPoP ${second}` })
  t.equal(res.status, 401)
  t.equal(res.headers.get('www-authenticate'), `Bearer, DPoP error="invalid_dpop_proof", error_description="The DPoP proof is for another access token", algs="${ALGS}"`)
})

t.test('a bound token from oidc-provider sent as Bearer is refused (no downgrade)', async (t) => {
  const { url } = await api(t)
  const client = await dpopClient()
  const token = await client.token(t)
  const res = await fetch(`${url}/items`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(res.status, 401)
  t.equal(res.headers.get('www-authenticate'), `Bearer error="invalid_token", error_description="The access token is bound to a key: send it with the DPoP scheme and a proof", DPoP algs="${ALGS}"`)
})

t.test('required mode refuses a plain Bearer token from oidc-provider and accepts the DPoP client', async (t) => {
  const { url } = await api(t, { dpop: 'required' })
  const plain = await idp.clientCredentialsToken('machine', 'items:read')
  const res = await fetch(`${url}/items`, { headers: { authorization: `Bearer ${plain}` } })
  t.equal(res.status, 401)
  t.equal(res.headers.get('www-authenticate'), `Bearer error="invalid_token", error_description="This resource requires a DPoP-bound access token", DPoP algs="${ALGS}"`)
  const client = await dpopClient()
  t.equal((await client.call(await client.token(t), `${url}/items`)).status, 200)
})

t.test('server nonces: the client is told to use a nonce, retries with it and gets 200', async (t) => {
  const { url } = await api(t, { dpop: { nonce: true } })
  const client = await dpopClient()
  const token = await client.token(t)
  const first = await attempt(async () => await client.call(token, `${url}/items`))
  t.ok(first instanceof oauth.WWWAuthenticateChallengeError && oauth.isDPoPNonceError(first), 'use_dpop_nonce, as the client understands it')
  const res = await client.call(token, `${url}/items`)
  t.equal(res.status, 200)
  t.match(client.sent[1].headers.get('dpop'), /\./)
})

t.test('a bound opaque token is checked through introspection the same way', async (t) => {
  const { resourceServer } = idp.clients
  const { url } = await api(t, { validation: 'introspection', introspection: { clientId: resourceServer.clientId, clientSecret: resourceServer.clientSecret } })
  const client = await dpopClient('machineOpaque')
  const token = await client.token(t)
  t.equal((await client.call(token, `${url}/items`)).status, 200)
  t.equal((await replay(client.sent[0])).status, 401, 'replayed')
  const bearer = await fetch(`${url}/items`, { headers: { authorization: `Bearer ${token}` } })
  t.equal(bearer.status, 401)
  t.equal(bearer.headers.get('www-authenticate'), `Bearer error="invalid_token", error_description="The access token is bound to a key: send it with the DPoP scheme and a proof", DPoP algs="${ALGS}"`)
})
