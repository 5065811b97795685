import t from 'tap'
import { InvalidTokenError, ProviderUnavailableError } from '../../lib/errors.js'
import { IssuerMismatchError, UnsafeEndpointError } from '../../lib/token/discovery.js'
import { ProviderRequestError } from '../../lib/token/http.js'
import { JWKSUnavailableError } from '../../lib/token/jwks-cache.js'
import { asHTTPError, describeProviderFailure } from '../../lib/token/provider-failure.js'

t.test('a verdict on the token passes through as it is', async (t) => {
  const verdict = new InvalidTokenError()
  t.equal(asHTTPError(verdict, 5000), verdict)
})

t.test('any other failure is a 503 whose Retry-After is the option in seconds, with the failure as cause', async (t) => {
  const failure = new ProviderRequestError('timeout', 'https://idp.example/jwks')
  const error = asHTTPError(failure, 7000, { realm: 'api' })
  t.ok(error instanceof ProviderUnavailableError)
  t.equal(error.statusCode, 503)
  t.same(error.headers, { 'retry-after': '7' })
  t.equal(error.cause, failure)
  t.equal(asHTTPError(new TypeError('bug'), 5000).statusCode, 503, 'an unexpected error fails closed')
})

const URL_WITH_SECRETS = 'https://user:pass@idp.example/oauth/token?client_secret=s3cret#frag'

t.test('each request failure is described with its kind and the URL without credentials or query', async (t) => {
  const cases: Array<[ProviderRequestError, string]> = [
    [new ProviderRequestError('timeout', URL_WITH_SECRETS), 'timed out from https://idp.example/oauth/token'],
    [new ProviderRequestError('status', URL_WITH_SECRETS, 500), 'HTTP status 500 from https://idp.example/oauth/token'],
    [new ProviderRequestError('status', URL_WITH_SECRETS), 'HTTP status ? from https://idp.example/oauth/token'],
    [new ProviderRequestError('redirect', URL_WITH_SECRETS, 302), 'redirect (HTTP 302, not followed) from https://idp.example/oauth/token'],
    [new ProviderRequestError('redirect', URL_WITH_SECRETS), 'redirect (HTTP ?, not followed) from https://idp.example/oauth/token'],
    [new ProviderRequestError('invalid-json', URL_WITH_SECRETS), 'not a JSON object from https://idp.example/oauth/token'],
    [new ProviderRequestError('too-large', URL_WITH_SECRETS), 'response too large from https://idp.example/oauth/token'],
    [new ProviderRequestError('insecure-url', 'http://idp.example/jwks'), 'refused URL (https, or http on a loopback host only) from http://idp.example/jwks'],
    [new ProviderRequestError('duplicate-members', URL_WITH_SECRETS), 'a JSON object with a repeated member name from https://idp.example/oauth/token'],
    [new ProviderRequestError('status', 'not a url', 400, { oauthError: 'invalid_client' }), 'HTTP status 400 from <invalid URL>']
  ]
  for (const [err, description] of cases) t.equal(describeProviderFailure(err), description, err.failure)
})

t.test('a network failure names the deepest code in the cause chain', async (t) => {
  const coded = (code: string | undefined, message = 'socket failure', cause?: unknown) => Object.assign(new Error(message, { cause }), code === undefined ? {} : { code })
  const network = (cause: unknown) => describeProviderFailure(new ProviderRequestError('network', 'https://idp.example/jwks', undefined, { cause }))
  t.equal(network(new TypeError('fetch failed', { cause: coded('ECONNREFUSED') })), 'connection refused (ECONNREFUSED) from https://idp.example/jwks')
  t.equal(network(coded('EAI_AGAIN')), 'DNS lookup failed (EAI_AGAIN) from https://idp.example/jwks')
  t.equal(network(coded('ENOTFOUND')), 'DNS lookup failed (ENOTFOUND) from https://idp.example/jwks')
  t.equal(network(coded('ECONNRESET')), 'connection reset (ECONNRESET) from https://idp.example/jwks')
  t.equal(network(coded('ERR_TLS_CERT_ALTNAME_INVALID')), 'TLS failure (ERR_TLS_CERT_ALTNAME_INVALID) from https://idp.example/jwks')
  t.equal(network(coded('ERR_SSL_WRONG_VERSION_NUMBER')), 'TLS failure (ERR_SSL_WRONG_VERSION_NUMBER) from https://idp.example/jwks')
  t.equal(network(coded('DEPTH_ZERO_SELF_SIGNED_CERT')), 'TLS failure (DEPTH_ZERO_SELF_SIGNED_CERT) from https://idp.example/jwks')
  t.equal(network(coded('UNABLE_TO_VERIFY_LEAF_SIGNATURE')), 'TLS failure (UNABLE_TO_VERIFY_LEAF_SIGNATURE) from https://idp.example/jwks')
  t.equal(network(coded('EPIPE')), 'network error ("EPIPE") from https://idp.example/jwks')
  t.equal(network(new Error('other side hung up')), 'network error ("other side hung up") from https://idp.example/jwks')
  t.equal(network(undefined), 'network error ("unknown") from https://idp.example/jwks')
  t.equal(network(coded('ECONNREFUSED', 'outer', coded('ENOTFOUND'))), 'DNS lookup failed (ENOTFOUND) from https://idp.example/jwks', 'the deepest code wins')
  // Past five levels the chain is not followed (a cycle or a hostile chain ends there).
  const deep = coded(undefined, 'l0', coded(undefined, 'l1', coded(undefined, 'l2', coded(undefined, 'l3', coded(undefined, 'l4', coded('ECONNRESET', 'l5'))))))
  t.equal(network(deep), 'network error ("l4") from https://idp.example/jwks')
  const cycle: Error & { cause?: unknown } = new Error('loop')
  cycle.cause = cycle
  t.equal(network(cycle), 'network error ("loop") from https://idp.example/jwks')
})

t.test('JWKS, issuer mismatch and refused endpoint failures keep their own sentence', async (t) => {
  t.equal(describeProviderFailure(new JWKSUnavailableError(new ProviderRequestError('status', 'https://idp.example/jwks', 503))), 'JWKS: HTTP status 503 from https://idp.example/jwks')
  t.equal(describeProviderFailure(new IssuerMismatchError('https://idp.example', 'https://evil.example')), 'issuer mismatch: discovery returned issuer "https://evil.example", expected exactly "https://idp.example"')
  t.equal(describeProviderFailure(new UnsafeEndpointError('jwks_uri', 'http://evil.example/jwks', 'not https')), 'discovered jwks_uri refused: not https, received "http://evil.example/jwks"')
})

t.test('any other error or thrown value is described log-safely: escaped, cut and never a crash', async (t) => {
  t.equal(describeProviderFailure(new RangeError('bad\nline\u2028x')), 'RangeError: "bad\\nline\\u2028x"')
  t.equal(describeProviderFailure('a string'), '"a string"')
  t.equal(describeProviderFailure(undefined), 'undefined')
  t.equal(describeProviderFailure(Symbol('s')), 'Symbol(s)')
  t.equal(describeProviderFailure(10n), '[object BigInt]', 'JSON.stringify throws on a BigInt')
  const circular: Record<string, unknown> = {}
  circular.self = circular
  t.equal(describeProviderFailure(circular), '[object Object]')
  t.equal(describeProviderFailure('\u0085\u009f\u007f'), '"\\u0085\\u009f\\u007f"', 'C1 controls JSON leaves as they are are escaped')
  const long = describeProviderFailure('x'.repeat(500))
  t.equal(long.length, 100)
  t.equal(long, `"${'x'.repeat(98)}…`)
})
