import t from 'tap'
import { InvalidRouteSecurityError } from '../../lib/errors.js'
import { compileRequirement, evaluateScopes, requirementScopes } from '../../lib/token/scopes.js'

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

t.test('an empty object makes anonymous access one of the alternatives', async (t) => {
  const r = compile([{}, { oauth2: ['a'] }])!
  t.equal(r.tokenOptional, true)
  t.equal(evaluateScopes(r, null), null)
  t.equal(evaluateScopes(r, []), null)
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
  t.throws(() => compile([{ oauth2: 'a' as never }]), /must be an array of scope strings/)
  t.throws(() => compile([{ oauth2: ['a b'] }]), /without spaces/)
  t.throws(() => compile([{ oauth2: [''] }]), /scope strings/)
})

t.test('requirementScopes lists every scope named', async (t) => {
  t.same(requirementScopes(compile([{}, { oauth2: ['a', 'b'] }, { oauth2: ['c'] }])!), ['a', 'b', 'c'])
})
