import t from 'tap'
import { InvalidRequestError, InvalidTokenError } from '../../lib/errors.js'
import { DEFAULT_MAX_TOKEN_LENGTH, hasQueryToken, parseBearer, singleAuthorization } from '../../lib/token/bearer-token.js'

const parse = (header: string) => parseBearer(header, DEFAULT_MAX_TOKEN_LENGTH)

t.test('the Bearer scheme is matched case-insensitively; the token is a b64token', async (t) => {
  t.equal(parse('Bearer abc.DEF-_~+/='), 'abc.DEF-_~+/=')
  t.equal(parse('bearer abc'), 'abc')
  t.equal(parse('BEARER abc'), 'abc')
  t.equal(parse('Bearer    abc'), 'abc')
  t.equal(parse('  Bearer abc  '), 'abc')
  t.equal(parse('Bearer abc=='), 'abc==')
})

t.test('another scheme, or no value, is no Bearer credential', async (t) => {
  t.equal(parse('Basic dXNlcjpwYXNz'), null)
  t.equal(parse('Bearerabc'), null)
  t.equal(parse('DPoP abc'), null)
  t.equal(parse(''), null)
})

t.test('a malformed Bearer credential is invalid_request', async (t) => {
  for (const header of ['Bearer', 'Bearer ', 'Bearer a b', 'Bearer a,b', 'Bearer\tabc', 'Bearer "abc"', 'Bearer abc=def', 'Bearer ab\u00e9', 'Bearer a\u0000b', 'Bearer =abc']) {
    t.throws(() => parse(header), { name: 'InvalidRequestError', reason: 'malformed' }, JSON.stringify(header))
  }
})

t.test('a token longer than the limit is invalid_token, unless it is malformed first', async (t) => {
  t.throws(() => parse(`Bearer ${'a'.repeat(DEFAULT_MAX_TOKEN_LENGTH + 1)}`), InvalidTokenError)
  t.equal(parseBearer('Bearer abcdef', 6), 'abcdef')
  t.throws(() => parseBearer('Bearer abcdefg', 6), InvalidTokenError)
  t.throws(() => parseBearer('Bearer abcdef"g', 6), InvalidRequestError)
})

t.test('several Authorization headers are invalid_request, even though Node keeps only one', async (t) => {
  const rawHeaders = ['Host', 'x', 'Authorization', 'Bearer a', 'authorization', 'Bearer b']
  t.throws(() => singleAuthorization('Bearer a', rawHeaders), { code: 'OAUTH_GUARD_INVALID_REQUEST', reason: 'multiple-headers' })
  t.throws(() => singleAuthorization(['Bearer a', 'Bearer b'], undefined), { name: 'InvalidRequestError', reason: 'multiple-headers' })
  t.equal(singleAuthorization('Bearer a', ['Authorization', 'Bearer a', 'X-Authorization', 'b']), 'Bearer a')
  t.equal(singleAuthorization(['Bearer a'], undefined), 'Bearer a')
  t.equal(singleAuthorization(undefined, ['Host', 'x']), undefined)
})

t.test('an access_token query parameter is found however it is encoded, and only then', async (t) => {
  t.ok(hasQueryToken('/items?access_token=abc'))
  t.ok(hasQueryToken('/items?x=1&access_token='))
  t.ok(hasQueryToken('/items?access%5Ftoken=abc'))
  t.notOk(hasQueryToken('/items?my_access_token_hint=1'))
  t.notOk(hasQueryToken('/access_token'))
  t.notOk(hasQueryToken('/items?a=%zz'))
})
