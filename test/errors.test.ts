// Every error class of lib/errors.ts as Fastify's default error handler sends it: status, code,
// the exact WWW-Authenticate (or Retry-After, DPoP-Nonce) and a body with nothing but fixed texts.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import {
  ClaimsRejectedError,
  ClientNotAllowedError,
  InsufficientPermissionsError,
  InsufficientScopeError,
  InsufficientUserAuthenticationError,
  InvalidDPoPProofError,
  InvalidOptionsError,
  InvalidRequestError,
  InvalidRouteSecurityError,
  InvalidTokenError,
  MissingTokenError,
  OAuthGuardError,
  OAuthGuardHTTPError,
  ProviderUnavailableError,
  StoreUnavailableError,
  TokenBindingError,
  TokenExpiredError,
  UseDPoPNonceError,
  UserinfoError
} from '../lib/index.js'

const OFFER = { algs: 'ES256 EdDSA', bearer: true }

/** What a client receives when a route throws `error`. */
async function sent (t: Test, error: Error) {
  const app = Fastify()
  t.teardown(() => app.close())
  app.get('/', async () => { throw error })
  const res = await app.inject('/')
  return { status: res.statusCode, headers: res.headers, body: res.json() }
}

const HTTP_ERRORS: Array<{ error: OAuthGuardHTTPError, status: number, code: string, message: string, challenge: string | undefined }> = [
  { error: new MissingTokenError(), status: 401, code: 'OAUTH_GUARD_MISSING_TOKEN', message: 'Bearer access token required', challenge: 'Bearer' },
  { error: new InvalidRequestError('malformed'), status: 400, code: 'OAUTH_GUARD_INVALID_REQUEST', message: 'Malformed Bearer credentials', challenge: 'Bearer error="invalid_request", error_description="Malformed Bearer credentials"' },
  { error: new InvalidRequestError('malformed-dpop'), status: 400, code: 'OAUTH_GUARD_INVALID_REQUEST', message: 'Malformed DPoP credentials', challenge: 'Bearer error="invalid_request", error_description="Malformed DPoP credentials"' },
  { error: new InvalidRequestError('multiple-headers'), status: 400, code: 'OAUTH_GUARD_INVALID_REQUEST', message: 'More than one Authorization header', challenge: 'Bearer error="invalid_request", error_description="More than one Authorization header"' },
  { error: new InvalidRequestError('query-token'), status: 400, code: 'OAUTH_GUARD_INVALID_REQUEST', message: 'Access tokens are not accepted in the query string', challenge: 'Bearer error="invalid_request", error_description="Access tokens are not accepted in the query string"' },
  { error: new InvalidTokenError(), status: 401, code: 'OAUTH_GUARD_INVALID_TOKEN', message: 'The access token is invalid', challenge: 'Bearer error="invalid_token", error_description="The access token is invalid"' },
  { error: new TokenExpiredError(), status: 401, code: 'OAUTH_GUARD_TOKEN_EXPIRED', message: 'The access token expired or is not yet valid', challenge: 'Bearer error="invalid_token", error_description="The access token expired or is not yet valid"' },
  { error: new InsufficientScopeError(['items:read', 'items:write']), status: 403, code: 'OAUTH_GUARD_INSUFFICIENT_SCOPE', message: 'The access token does not grant the required scope', challenge: 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="items:read items:write"' },
  { error: new InsufficientScopeError([]), status: 403, code: 'OAUTH_GUARD_INSUFFICIENT_SCOPE', message: 'The access token does not grant the required scope', challenge: 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope"' },
  { error: new InsufficientPermissionsError(['delete:items']), status: 403, code: 'OAUTH_GUARD_INSUFFICIENT_PERMISSIONS', message: 'The access token does not grant the required permissions', challenge: 'Bearer error="insufficient_scope", error_description="The access token does not grant the required permissions"' },
  { error: new ClaimsRejectedError(), status: 403, code: 'OAUTH_GUARD_CLAIMS_REJECTED', message: 'The access token is not allowed to access this resource', challenge: 'Bearer error="insufficient_scope", error_description="The access token is not allowed to access this resource"' },
  { error: new ClientNotAllowedError(), status: 403, code: 'OAUTH_GUARD_CLIENT_NOT_ALLOWED', message: 'The client this access token was issued to is not allowed here', challenge: 'Bearer error="insufficient_scope", error_description="The client this access token was issued to is not allowed here"' },
  { error: new InsufficientUserAuthenticationError(['urn:mfa', 'urn:hwk'], { maxAge: 300 }), status: 401, code: 'OAUTH_GUARD_INSUFFICIENT_USER_AUTHENTICATION', message: 'A stronger authentication level is required', challenge: 'Bearer error="insufficient_user_authentication", error_description="A stronger authentication level is required", acr_values="urn:mfa urn:hwk", max_age="300"' },
  { error: new InsufficientUserAuthenticationError([], { maxAge: 60 }), status: 401, code: 'OAUTH_GUARD_INSUFFICIENT_USER_AUTHENTICATION', message: 'A stronger authentication level is required', challenge: 'Bearer error="insufficient_user_authentication", error_description="A stronger authentication level is required", max_age="60"' },
  { error: new InvalidDPoPProofError('replayed'), status: 401, code: 'OAUTH_GUARD_INVALID_DPOP_PROOF', message: 'The DPoP proof was already used', challenge: 'DPoP error="invalid_dpop_proof", error_description="The DPoP proof was already used"' },
  { error: new TokenBindingError('bound-as-bearer'), status: 401, code: 'OAUTH_GUARD_TOKEN_BINDING', message: 'The access token is bound to a key: send it with the DPoP scheme and a proof', challenge: 'Bearer error="invalid_token", error_description="The access token is bound to a key: send it with the DPoP scheme and a proof"' },
  { error: new TokenBindingError('not-bound', { scheme: 'DPoP' }), status: 401, code: 'OAUTH_GUARD_TOKEN_BINDING', message: 'The access token is not bound to a key: send it with the Bearer scheme', challenge: 'DPoP error="invalid_token", error_description="The access token is not bound to a key: send it with the Bearer scheme"' },
  { error: new UserinfoError(), status: 502, code: 'OAUTH_GUARD_USERINFO_FAILED', message: 'The identity provider refused the userinfo request', challenge: undefined }
]

for (const { error, status, code, message, challenge } of HTTP_ERRORS) {
  t.test(`${code} (${error.constructor.name}, "${message}") is sent with status ${status} and its exact challenge`, async (t) => {
    const res = await sent(t, error)
    t.equal(res.status, status)
    t.equal(res.headers['www-authenticate'], challenge)
    t.same(res.body, { statusCode: status, code, error: res.body.error, message })
    t.notMatch(JSON.stringify(res.body), /stack|at \//, 'no stack in the body')
    t.equal(error.name, error.constructor.name)
    t.ok(error instanceof OAuthGuardError)
  })
}

t.test('each DPoP proof reason has its own fixed description on the DPoP challenge', async (t) => {
  const reasons = ['missing', 'multiple', 'malformed', 'header', 'signature', 'claims', 'htm', 'htu', 'iat', 'ath', 'replayed'] as const
  const descriptions = new Set<string>()
  for (const reason of reasons) {
    const error = new InvalidDPoPProofError(reason)
    t.equal(error.reason, reason)
    t.equal(error.error, 'invalid_dpop_proof')
    t.match(error.headers['www-authenticate'], /^DPoP error="invalid_dpop_proof", error_description="[^"]+"$/)
    descriptions.add(error.message)
  }
  t.equal(descriptions.size, reasons.length)
})

t.test('each token binding reason has its own fixed description', async (t) => {
  const reasons = ['bound-as-bearer', 'not-bound', 'key-mismatch', 'dpop-required'] as const
  t.same(reasons.map((reason) => new TokenBindingError(reason).message), [
    'The access token is bound to a key: send it with the DPoP scheme and a proof',
    'The access token is not bound to a key: send it with the Bearer scheme',
    'Invalid DPoP key binding',
    'This resource requires a DPoP-bound access token'
  ])
})

t.test('use_dpop_nonce is a 401 on the DPoP challenge with the fresh nonce in DPoP-Nonce', async (t) => {
  const res = await sent(t, new UseDPoPNonceError('n-123', { realm: 'api' }))
  t.equal(res.status, 401)
  t.equal(res.headers['www-authenticate'], 'DPoP realm="api", error="use_dpop_nonce", error_description="The DPoP proof must carry the nonce this server provides"')
  t.equal(res.headers['dpop-nonce'], 'n-123')
  t.same(res.body, { statusCode: 401, code: 'OAUTH_GUARD_USE_DPOP_NONCE', error: 'Unauthorized', message: 'The DPoP proof must carry the nonce this server provides' })
})

t.test('the provider unavailable is a 503 with Retry-After in seconds and no challenge', async (t) => {
  const res = await sent(t, new ProviderUnavailableError(7, { cause: new Error('connect ECONNREFUSED 127.0.0.1:9'), detail: 'connection refused' }))
  t.equal(res.status, 503)
  t.equal(res.headers['retry-after'], '7')
  t.equal(res.headers['www-authenticate'], undefined)
  t.same(res.body, { statusCode: 503, code: 'OAUTH_GUARD_PROVIDER_UNAVAILABLE', error: 'Service Unavailable', message: 'The identity provider is unavailable, retry later' })
})

t.test('the shared store unavailable is a 503 with Retry-After in seconds and no challenge', async (t) => {
  const res = await sent(t, new StoreUnavailableError(3))
  t.equal(res.status, 503)
  t.equal(res.headers['retry-after'], '3')
  t.equal(res.headers['www-authenticate'], undefined)
  t.same(res.body, { statusCode: 503, code: 'OAUTH_GUARD_STORE_UNAVAILABLE', error: 'Service Unavailable', message: 'A shared store the API depends on is unavailable, retry later' })
})

t.test('the cause and the detail are kept on the error and never sent', async (t) => {
  const cause = new Error('upstream said: secret-token-value')
  const error = new InvalidTokenError({ cause, detail: 'aud: expected ["a"], received "b"' })
  t.equal(error.cause, cause)
  t.equal(error.detail, 'aud: expected ["a"], received "b"')
  const res = await sent(t, error)
  t.notMatch(JSON.stringify(res), /secret-token-value|aud: expected/)
})

t.test('withRealm and withResourceMetadata add their attributes; undefined leaves the challenge as it is', async (t) => {
  const error = new InsufficientScopeError(['a'])
  const before = error.headers['www-authenticate']
  t.equal(error.withRealm(undefined).withResourceMetadata(undefined).headers['www-authenticate'], before)
  error.withRealm('my "api"').withResourceMetadata('https://api.example/.well-known/oauth-protected-resource')
  t.equal(error.headers['www-authenticate'], 'Bearer realm="my \\"api\\"", error="insufficient_scope", error_description="The access token does not grant the required scope", scope="a", resource_metadata="https://api.example/.well-known/oauth-protected-resource"')
})

t.test('a 401 offers DPoP beside Bearer, with the error on Bearer only', async (t) => {
  const error = new InvalidTokenError({ realm: 'api' }).withDPoP(OFFER)
  t.equal(error.headers['www-authenticate'], 'Bearer realm="api", error="invalid_token", error_description="The access token is invalid", DPoP realm="api", algs="ES256 EdDSA"')
  t.equal(new MissingTokenError().withDPoP(OFFER).headers['www-authenticate'], 'Bearer, DPoP algs="ES256 EdDSA"')
  t.equal(new MissingTokenError().withDPoP({ algs: 'ES256', bearer: false }).headers['www-authenticate'], 'DPoP algs="ES256"', 'DPoP required: Bearer is not offered')
})

t.test('withDPoP(null) leaves the Bearer challenge alone', async (t) => {
  t.equal(new InvalidTokenError().withDPoP(null).headers['www-authenticate'], 'Bearer error="invalid_token", error_description="The access token is invalid"')
})

t.test('onScheme moves the error to the DPoP challenge the client used', async (t) => {
  const error = new InvalidTokenError().withDPoP(OFFER).onScheme('DPoP')
  t.equal(error.headers['www-authenticate'], 'Bearer, DPoP error="invalid_token", error_description="The access token is invalid", algs="ES256 EdDSA"')
  t.equal(new InvalidTokenError().onScheme('DPoP').headers['www-authenticate'], 'DPoP error="invalid_token", error_description="The access token is invalid"', 'without an offer, DPoP alone')
})

t.test('a 403 carries no DPoP offer on Bearer, but keeps it for a client that used DPoP', async (t) => {
  t.equal(new InsufficientScopeError(['a']).withDPoP(OFFER).headers['www-authenticate'], 'Bearer error="insufficient_scope", error_description="The access token does not grant the required scope", scope="a"')
  t.equal(new InsufficientScopeError(['a']).withDPoP(OFFER).onScheme('DPoP').headers['www-authenticate'], 'Bearer, DPoP error="insufficient_scope", error_description="The access token does not grant the required scope", scope="a", algs="ES256 EdDSA"')
})

t.test('an error without a challenge ignores realm, resource metadata, DPoP and scheme', async (t) => {
  const error = new ProviderUnavailableError(5).withRealm('api').withResourceMetadata('https://api.example/m').withDPoP(OFFER).onScheme('DPoP')
  t.same(error.headers, { 'retry-after': '5' })
})

t.test('the scope and acr attributes are kept on the error for custom handlers', async (t) => {
  t.same(new InsufficientScopeError(['a', 'b']).requiredScopes, ['a', 'b'])
  t.same(new InsufficientPermissionsError(['p']).requiredPermissions, ['p'])
  const step = new InsufficientUserAuthenticationError(['urn:mfa'])
  t.same(step.acrValues, ['urn:mfa'])
  t.equal(step.maxAge, undefined)
  t.equal(step.headers['www-authenticate'], 'Bearer error="insufficient_user_authentication", error_description="A stronger authentication level is required", acr_values="urn:mfa"')
  t.equal(new InvalidRequestError('query-token').reason, 'query-token')
})

t.test('InvalidOptionsError lists every problem in its message and in problems', async (t) => {
  const error = new InvalidOptionsError(['options.issuer: expected a URL, received 1', 'options.timeout: expected an integer, received "x"'])
  t.equal(error.code, 'OAUTH_GUARD_INVALID_OPTIONS')
  t.equal(error.message, 'Invalid fastify-oauth-guard options:\n- options.issuer: expected a URL, received 1\n- options.timeout: expected an integer, received "x"')
  t.same(error.problems, ['options.issuer: expected a URL, received 1', 'options.timeout: expected an integer, received "x"'])
  t.equal(error.name, 'InvalidOptionsError')
})

t.test('InvalidRouteSecurityError has its code and the message it was given', async (t) => {
  const error = new InvalidRouteSecurityError('GET /a: schema.security names an unknown scheme "x"')
  t.equal(error.code, 'OAUTH_GUARD_INVALID_ROUTE_SECURITY')
  t.equal(error.message, 'GET /a: schema.security names an unknown scheme "x"')
  t.notOk(error instanceof OAuthGuardHTTPError)
})
