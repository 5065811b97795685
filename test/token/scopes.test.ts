import t from 'tap'
import { InvalidRouteSecurityError } from '../../lib/errors.js'
import { compileRequirement, evaluateScopes, isScopeToken, pendingSchemes, requirementScopes, usesToken } from '../../lib/token/scopes.js'

const compile = (security: Array<Record<string, string[]>>, external: string[] = []) => compileRequirement(security, 'oauth2', external, 'GET /x')

t.test('security: [] is public', async (t) => {
  t.equal(compile([]), null)
})

t.test('one requirement object is an AND of its scopes', async (t) => {
  const r = compile([{ oauth2: ['a', 'b'] }])!
  t.equal(r.tokenOptional, false)
  t.equal(evaluateScopes(r, ['a', 'b', 'c']), null)
  t.same(evaluateScopes(r, ['a']), ['a', 'b'])
  t.same(evaluateScopes(r, []), ['a', 'b'])
})

t.test('the array is an OR of requirement objects; the closest alternative is reported', async (t) => {
  const r = compile([{ oauth2: ['admin'] }, { oauth2: ['items:read', 'items:write'] }])!
  t.equal(evaluateScopes(r, ['admin']), null)
  t.equal(evaluateScopes(r, ['items:read', 'items:write']), null)
  t.same(evaluateScopes(r, ['items:read']), ['admin'], 'ties go to the first alternative')
  t.same(evaluateScopes(r, ['other']), ['admin'])
})

t.test('an empty object admits requests without a token, never a token that falls short', async (t) => {
  const r = compile([{}, { oauth2: ['a'] }])!
  t.equal(r.tokenOptional, true)
  t.equal(evaluateScopes(r, ['a']), null)
  t.same(evaluateScopes(r, []), ['a'], 'the token is held to the alternative that names our scheme')
})

t.test('an alternative naming only an external scheme never lends its success to a token', async (t) => {
  const r = compile([{ apiKey: [] }, { oauth2: ['admin'] }], ['apiKey'])!
  t.same(evaluateScopes(r, ['read']), ['admin'])
  t.equal(evaluateScopes(r, ['admin']), null)
})

t.test('usesToken is false when no alternative names our scheme', async (t) => {
  t.equal(usesToken(compile([{}])!), false)
  t.equal(usesToken(compile([{ apiKey: [] }], ['apiKey'])!), false)
  t.equal(usesToken(compile([{}, { oauth2: [] }])!), true)
})

t.test('pendingSchemes: what the external hook must still verify', async (t) => {
  const or = compile([{ apiKey: [] }, { oauth2: ['a'] }], ['apiKey'])!
  t.same(pendingSchemes(or, null), [['apiKey']], 'no token: the API key decides')
  t.equal(pendingSchemes(or, ['a']), null, 'a token met the token-only alternative')
  const and = compile([{ oauth2: ['a'], apiKey: [] }, { oauth2: ['b'] }], ['apiKey'])!
  t.same(pendingSchemes(and, ['a']), [['apiKey']], 'the token met an alternative that also needs the key')
  t.equal(pendingSchemes(and, ['a', 'b']), null, 'a token-only alternative is met too')
  t.same(pendingSchemes(and, null), [], 'nothing can be met without a token')
  t.equal(pendingSchemes(compile([{}, { apiKey: [] }], ['apiKey']), null), null, 'anonymous access is allowed')
  t.same(pendingSchemes(compile([{ apiKey: [], basic: [] }, { basic: [] }], ['apiKey', 'basic']), null), [['apiKey', 'basic'], ['basic']])
  t.equal(pendingSchemes(null, null), null, 'public route')
})

t.test('a scheme with no scopes requires any valid token', async (t) => {
  const r = compile([{ oauth2: [] }])!
  t.equal(r.tokenOptional, false)
  t.equal(evaluateScopes(r, []), null)
})

t.test('a scheme this plugin does not own fails when the route is added', async (t) => {
  t.throws(() => compile([{ apiKey: [] }]), InvalidRouteSecurityError)
  t.throws(() => compile([{ oauth2: ['a'], apiKey: [] }]), /externalSchemes/)
})

t.test('schemes listed as external are left to the user: alone they make the token optional', async (t) => {
  const alone = compile([{ apiKey: [] }, { oauth2: ['a'] }], ['apiKey'])!
  t.equal(alone.tokenOptional, true)
  const both = compile([{ oauth2: ['a'], apiKey: [] }], ['apiKey'])!
  t.equal(both.tokenOptional, false)
  t.same(evaluateScopes(both, []), ['a'])
})

t.test('malformed requirements are refused with a message naming the route', async (t) => {
  t.throws(() => compileRequirement({} as never, 'oauth2', [], 'GET /x'), /GET \/x: schema.security must be an array/)
  t.throws(() => compile([null as never]), /each schema.security entry must be an object/)
  t.throws(() => compile([{ oauth2: 'a' as never }]), /GET \/x: schema.security scopes of "oauth2": expected an array of scope names, received "a"/)
  t.throws(() => compile([{ oauth2: ['a b'] }]), /RFC 6749 §3.3 scope-token\), received "a b"/)
  t.throws(() => compile([{ oauth2: [''] }]), /received ""/)
})

t.test('route scopes outside RFC 6749 §3.3 scope-token are refused, the received value escaped', async (t) => {
  t.throws(() => compile([{ oauth2: ['items:\u2713'] }]), {
    name: 'InvalidRouteSecurityError',
    code: 'OAUTH_GUARD_INVALID_ROUTE_SECURITY',
    message: 'GET /x: schema.security scopes of "oauth2": expected scope names of printable ASCII without spaces, quotes or backslashes (RFC 6749 §3.3 scope-token), received "items:\\u2713"'
  })
  t.throws(() => compile([{ oauth2: ['a"b'] }]), /received "a\\"b"/)
  t.throws(() => compile([{ oauth2: ['a\\b'] }]), /scope-token/)
  t.throws(() => compile([{ oauth2: [`${'x'.repeat(100)} `] }]), /received "x{64}\\u2026"/)
})

t.test('isScopeToken follows RFC 6749 §3.3 exactly', async (t) => {
  for (const ok of ['a', 'items:read', 'https://api.example.com/read', '!#[]~']) t.ok(isScopeToken(ok), ok)
  for (const bad of ['', ' ', 'a b', '"', '\\', '\u00e9', '\u2713', '\t', 1, null]) t.notOk(isScopeToken(bad), JSON.stringify(bad))
})

t.test('requirementScopes lists every scope named', async (t) => {
  t.same(requirementScopes(compile([{}, { oauth2: ['a', 'b'] }, { oauth2: ['c'] }])!), ['a', 'b', 'c'])
})

t.test('a malformed scope list names what it received, never more', async (t) => {
  t.throws(() => compile([{ oauth2: 1 as never }]), /received number$/)
  t.throws(() => compile([{ oauth2: [null] as never }]), /received null$/)
  t.throws(() => compile([{ oauth2: [['a']] as never }]), /received an array$/)
  t.throws(() => compile([{ oauth2: null as never }]), /expected an array of scope names, received null$/)
})
