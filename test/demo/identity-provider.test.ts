import { createHash, randomBytes } from 'node:crypto'
import t from 'tap'
import type { Test } from 'tap'
import { createRemoteJWKSet, decodeProtectedHeader, jwtVerify } from 'jose'
import { startIdentityProvider } from '../../demo/identity-provider.js'
import type { IdentityProvider } from '../../demo/identity-provider.js'

const RESOURCE = 'urn:example:api'
const API_SCOPES = { 'items:read': 'Read items', 'items:write': 'Write items', admin: 'Admin' }
const REDIRECT_URI = 'http://127.0.0.1:9/docs/static/oauth2-redirect.html'
const SWAGGER_ORIGIN = 'http://127.0.0.1:9'

interface Discovery { issuer: string, jwks_uri: string, introspection_endpoint: string, token_endpoint: string, scopes_supported: string[] }

const idp = await startIdentityProvider({
  resource: RESOURCE,
  apiScopes: API_SCOPES,
  extraAccessTokenClaims: (subject) => ({ permissions: [`read:${subject}`] })
})
t.teardown(() => idp.close())
idp.addRedirectUri(REDIRECT_URI)

async function discover (provider: IdentityProvider): Promise<Discovery> {
  const response = await fetch(`${provider.issuer}/.well-known/openid-configuration`)
  return await response.json() as Discovery
}

async function introspect (token: string, as: 'resourceServer' | 'resourceServerPost') {
  const { introspection_endpoint: endpoint } = await discover(idp)
  const { clientId, clientSecret } = idp.clients[as]
  const form = new URLSearchParams({ token })
  const headers: Record<string, string> = {}
  if (as === 'resourceServer') {
    headers.authorization = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`
  } else {
    form.set('client_id', clientId)
    form.set('client_secret', clientSecret)
  }
  const response = await fetch(endpoint, { method: 'POST', headers, body: form })
  return await response.json() as Record<string, unknown>
}

/** Follows one browser step by hand, keeping the provider's cookies. */
function browser (issuer: string) {
  const jar = new Map<string, string>()
  return async (url: string, init: RequestInit = {}) => {
    const cookie = [...jar].map(([name, value]) => `${name}=${value}`).join('; ')
    const response = await fetch(new URL(url, issuer), { ...init, redirect: 'manual', headers: { cookie } })
    for (const line of response.headers.getSetCookie()) {
      const [name, value] = line.split(';')[0].split('=')
      if (value) jar.set(name, value)
      else jar.delete(name)
    }
    return response
  }
}

function pkce () {
  const verifier = randomBytes(32).toString('base64url')
  return { verifier, challenge: createHash('sha256').update(verifier).digest('base64url') }
}

function authorizationURL (challenge: string): string {
  return `${idp.issuer}/auth?${new URLSearchParams({
    client_id: idp.clients.swaggerUI.clientId,
    response_type: 'code',
    redirect_uri: REDIRECT_URI,
    scope: 'openid profile email offline_access items:read',
    state: 'state-1',
    // OpenID Connect Core 11: offline_access needs prompt=consent, or no refresh token is issued
    prompt: 'consent',
    code_challenge: challenge,
    code_challenge_method: 'S256'
  })}`
}

t.test('discovery answers with the exact issuer and lists the API scopes', async (t) => {
  const metadata = await discover(idp)
  t.equal(metadata.issuer, idp.issuer)
  t.match(idp.issuer, /^http:\/\/127\.0\.0\.1:\d+$/)
  t.ok(metadata.scopes_supported.includes('items:write'))
  t.ok(idp.hits['/.well-known/openid-configuration'] >= 1)
})

t.test('machine gets a JWT access token that verifies against the discovered JWKS', async (t) => {
  const token = await idp.clientCredentialsToken('machine', 'items:read items:write')
  t.equal(token.split('.').length, 3)
  t.equal(decodeProtectedHeader(token).typ, 'at+jwt')
  const { jwks_uri: jwksUri } = await discover(idp)
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(jwksUri)), {
    issuer: idp.issuer, audience: RESOURCE, typ: 'at+jwt', algorithms: ['RS256']
  })
  t.match(payload, {
    scope: 'items:read items:write',
    client_id: 'machine',
    sub: 'machine',
    permissions: ['read:machine'],
    exp: Number
  })
  t.ok(idp.hits['/jwks'] >= 1)
})

t.test('machineOpaque gets an opaque token that both resource server clients introspect, without sub as real providers answer', async (t) => {
  const token = await idp.clientCredentialsToken('machineOpaque', 'items:read')
  t.notOk(/^[\w-]+\.[\w-]+\.[\w-]+$/.test(token), 'not JWT-shaped')
  for (const as of ['resourceServer', 'resourceServerPost'] as const) {
    const answer = await introspect(token, as)
    t.notOk('sub' in answer, 'no user, no sub (RFC 7662 §2.2)')
    t.match(answer, {
      active: true,
      scope: 'items:read',
      aud: RESOURCE,
      iss: idp.issuer,
      exp: Number,
      client_id: 'machine-opaque',
      token_type: 'Bearer',
      permissions: ['read:machine-opaque']
    }, as)
  }
})

t.test('a revoked opaque token introspects as inactive', async (t) => {
  const token = await idp.clientCredentialsToken('machineOpaque', 'items:read')
  await idp.revoke(token, 'machineOpaque')
  t.same(await introspect(token, 'resourceServer'), { active: false })
})

t.test('ES256 access tokens when accessTokenAlg is ES256', async (t) => {
  const es = await startIdentityProvider({ resource: RESOURCE, apiScopes: API_SCOPES, accessTokenAlg: 'ES256', accessTokenTTL: 120 })
  t.teardown(() => es.close())
  const token = await es.clientCredentialsToken('machine', 'admin', { resource: RESOURCE })
  const { payload, protectedHeader } = await jwtVerify(token, createRemoteJWKSet(new URL(`${es.issuer}/jwks`)), { audience: RESOURCE })
  t.equal(protectedHeader.alg, 'ES256')
  t.equal(payload.exp! - payload.iat!, 120)
})

t.test('an unknown resource indicator is rejected', async (t) => {
  await t.rejects(idp.clientCredentialsToken('machine', 'items:read', { resource: 'urn:other' }), /invalid_target/)
})

t.test('an authorization request with PKCE leads to the login form', async (t) => {
  const step = browser(idp.issuer)
  const auth = await step(authorizationURL(pkce().challenge))
  t.equal(auth.status, 303)
  const location = auth.headers.get('location') ?? ''
  t.match(location, /^\/interaction\/[\w-]+$/)
  const login = await step(location)
  t.equal(login.status, 200)
  const html = await login.text()
  t.match(html, /<form method="post" action="\/interaction\/[\w-]+\/login">/)
  t.match(html, /name="username"/)
  t.match(html, /name="password"/)
  t.match(html, /<button type="submit">Sign in<\/button>/)
})

/** A token request as Swagger UI sends it from another origin. */
async function tokenRequest (t: Test, form: Record<string, string>) {
  const response = await fetch(`${idp.issuer}/token`, {
    method: 'POST',
    headers: { origin: SWAGGER_ORIGIN },
    body: new URLSearchParams({ ...form, client_id: idp.clients.swaggerUI.clientId })
  })
  t.equal(response.status, 200, await response.clone().text())
  t.equal(response.headers.get('access-control-allow-origin'), SWAGGER_ORIGIN)
  return await response.json() as { access_token: string, id_token: string, refresh_token: string }
}

async function verifyUserToken (t: Test, token: string) {
  const { payload } = await jwtVerify(token, createRemoteJWKSet(new URL(`${idp.issuer}/jwks`)), {
    issuer: idp.issuer, audience: RESOURCE, typ: 'at+jwt'
  })
  t.match(payload, { sub: idp.user.sub, scope: 'items:read', client_id: 'swagger-ui', permissions: ['read:demo-user'] })
}

t.test('code flow and refresh: JWTs for the resource with the granted API scopes', async (t) => {
  const step = browser(idp.issuer)
  const { verifier, challenge } = pkce()
  const loginURL = (await step(authorizationURL(challenge))).headers.get('location') ?? ''
  const post = (url: string, form: Record<string, string> = {}) =>
    step(url, { method: 'POST', body: new URLSearchParams(form) })

  const wrong = await post(`${loginURL}/login`, { username: idp.user.username, password: 'nope' })
  t.equal(wrong.status, 400)
  t.match(await wrong.text(), /Invalid username or password/)

  const signedIn = await post(`${loginURL}/login`, { username: idp.user.username, password: idp.user.password })
  t.equal(signedIn.status, 303)
  const consentURL = (await step(signedIn.headers.get('location') ?? '')).headers.get('location') ?? ''
  const consent = await (await step(consentURL)).text()
  t.match(consent, /<li>items:read<\/li>/)
  t.match(consent, /<button type="submit">Allow<\/button>/)

  const allowed = await post(`${consentURL}/confirm`)
  const callback = new URL((await step(allowed.headers.get('location') ?? '')).headers.get('location') ?? '')
  t.equal(`${callback.origin}${callback.pathname}`, REDIRECT_URI)
  t.equal(callback.searchParams.get('state'), 'state-1')

  const body = await tokenRequest(t, {
    grant_type: 'authorization_code',
    code: callback.searchParams.get('code') ?? '',
    redirect_uri: REDIRECT_URI,
    code_verifier: verifier
  })
  t.ok(body.id_token)
  await verifyUserToken(t, body.access_token)

  const refreshed = await tokenRequest(t, { grant_type: 'refresh_token', refresh_token: body.refresh_token })
  await verifyUserToken(t, refreshed.access_token)
})

t.test('an interaction page without its cookie answers 400, not 500', async (t) => {
  const response = await fetch(`${idp.issuer}/interaction/unknown-uid`)
  t.equal(response.status, 400)
  t.match(await response.text(), /Sign-in expired/)
})

t.test('Deny on the consent page sends access_denied to the redirect URI', async (t) => {
  const step = browser(idp.issuer)
  const loginURL = (await step(authorizationURL(pkce().challenge))).headers.get('location') ?? ''
  const form = new URLSearchParams({ username: idp.user.username, password: idp.user.password })
  const signedIn = await step(`${loginURL}/login`, { method: 'POST', body: form })
  const consentURL = (await step(signedIn.headers.get('location') ?? '')).headers.get('location') ?? ''
  const denied = await step(`${consentURL}/abort`, { method: 'POST' })
  const callback = new URL((await step(denied.headers.get('location') ?? '')).headers.get('location') ?? '')
  t.equal(callback.searchParams.get('error'), 'access_denied')
})

t.test('provider errors render without external assets', async (t) => {
  const response = await fetch(`${idp.issuer}/auth?client_id=unknown&response_type=code&scope=openid`)
  t.equal(response.status, 400)
  const html = await response.text()
  t.match(html, /invalid_client/)
  t.notMatch(html, /@import|<link|<script|src=/)
})
