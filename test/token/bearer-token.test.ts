import t from 'tap'
import { InvalidRequestError, InvalidTokenError } from '../../lib/errors.js'
import { DEFAULT_MAX_TOKEN_LENGTH, parseBearerCredentials, readBearerToken } from '../../lib/token/bearer-token.js'

t.test('reads a b64token after the Bearer scheme, any case, one or more spaces', async (t) => {
  t.equal(parseBearerCredentials('Bearer abc.DEF-_~+/='), 'abc.DEF-_~+/=')
  t.equal(parseBearerCredentials('bearer abc'), 'abc')
  t.equal(parseBearerCredentials('BEARER abc'), 'abc')
  t.equal(parseBearerCredentials('Bearer    abc'), 'abc')
  t.equal(parseBearerCredentials('  Bearer abc  '), 'abc')
  t.equal(parseBearerCredentials('Bearer abc=='), 'abc==')
})

t.test('another scheme is no Bearer credentials', async (t) => {
  t.equal(parseBearerCredentials('Basic dXNlcjpwYXNz'), null)
  t.equal(parseBearerCredentials('Bearerabc'), null)
  t.equal(parseBearerCredentials('DPoP abc'), null)
  t.equal(readBearerToken({ authorization: undefined }), null)
  t.equal(readBearerToken({ authorization: '' }), null)
})

t.test('a malformed Bearer credential is invalid_request', async (t) => {
  for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b', 'Bearer\tabc', 'Bearer "abc"', 'Bearer abc=def', 'Bearer ab\u00e9', 'Bearer a\u0000b', 'Bearer =abc']) {
    t.throws(() => parseBearerCredentials(header), InvalidRequestError, JSON.stringify(header))
  }
})

t.test('several Authorization headers are invalid_request, even though Node keeps only one', async (t) => {
  const rawHeaders = ['Host', 'x', 'Authorization', 'Bearer a', 'authorization', 'Bearer b']
  t.throws(() => readBearerToken({ authorization: 'Bearer a', rawHeaders }), { code: 'OAUTH_GUARD_INVALID_REQUEST', reason: 'multiple-headers' })
  t.equal(readBearerToken({ authorization: 'Bearer a', rawHeaders: ['Authorization', 'Bearer a', 'X-Authorization', 'b'] }), 'a')
})

t.test('a token in the query string is refused, with or without a header', async (t) => {
  t.throws(() => readBearerToken({ authorization: undefined, url: '/items?access_token=abc' }), { name: 'InvalidRequestError', reason: 'query-token' })
  t.throws(() => readBearerToken({ authorization: 'Bearer abc', url: '/items?x=1&access_token=' }), { name: 'InvalidRequestError', reason: 'query-token' })
  t.equal(readBearerToken({ authorization: 'Bearer abc', url: '/items?my_access_token_hint=1' }), 'abc')
  t.equal(readBearerToken({ authorization: 'Bearer abc', url: '/access_token' }), 'abc')
})

t.test('a token longer than the limit is invalid_token', async (t) => {
  const long = 'a'.repeat(DEFAULT_MAX_TOKEN_LENGTH + 1)
  t.throws(() => readBearerToken({ authorization: `Bearer ${long}` }), InvalidTokenError)
  t.equal(readBearerToken({ authorization: 'Bearer abcdef' }, { maxTokenLength: 6 }), 'abcdef')
  t.throws(() => readBearerToken({ authorization: 'Bearer abcdefg' }, { maxTokenLength: 6 }), InvalidTokenError)
})

t.test('errors carry the realm of the options', async (t) => {
  t.throws(() => parseBearerCredentials('Bearer', { realm: 'api' }), {
    name: 'InvalidRequestError',
    headers: { 'www-authenticate': 'Bearer realm="api", error="invalid_request", error_description="Malformed Bearer credentials"' }
  })
})
