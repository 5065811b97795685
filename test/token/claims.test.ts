import t from 'tap'
import { InvalidTokenError } from '../../lib/errors.js'
import { buildAuthContext, DEFAULT_CLAIM_NAMES, readPath } from '../../lib/token/claims.js'

const exp = Math.floor(Date.now() / 1000) + 60
const build = (claims: Record<string, unknown>, names = DEFAULT_CLAIM_NAMES) => buildAuthContext({ sub: 'u1', exp, ...claims }, 'tok', names, 'jwt')

t.test('builds id, scopes, permissions, token, claims and expiresAt', async (t) => {
  const auth = build({ scope: 'a b', permissions: ['p1'] })
  t.equal(auth.id, 'u1')
  t.same(auth.scopes, ['a', 'b'])
  t.same(auth.permissions, ['p1'])
  t.equal(auth.token, 'tok')
  t.equal(auth.expiresAt.getTime(), exp * 1000)
  t.equal(auth.method, 'jwt')
})

t.test('scopes merge scope and scp, string or array, without duplicates or empty items', async (t) => {
  t.same(build({ scope: ' a  b ', scp: ['b', 'c'] }).scopes, ['a', 'b', 'c'])
  t.same(build({ scp: 'x y' }).scopes, ['x', 'y'])
  t.same(build({}).scopes, [])
})

t.test('claims of the wrong type make the token invalid', async (t) => {
  t.throws(() => build({ scope: 42 }), InvalidTokenError)
  t.throws(() => build({ scp: ['a', 1] }), InvalidTokenError)
  t.throws(() => build({ scp: { a: 1 } }), InvalidTokenError)
  t.throws(() => build({ permissions: { read: true } }), InvalidTokenError)
  t.throws(() => build({ sub: 12 }), InvalidTokenError)
  t.throws(() => build({ sub: '' }), InvalidTokenError)
  t.throws(() => build({ sub: undefined }), InvalidTokenError)
  t.throws(() => build({ exp: '123' }), InvalidTokenError)
  t.throws(() => build({ exp: Infinity }), InvalidTokenError)
})

t.test('permissions may also be a space-separated string', async (t) => {
  t.same(build({ permissions: 'a b' }).permissions, ['a', 'b'])
})

t.test('claim names are configurable, dotted paths reach nested claims', async (t) => {
  const auth = build({ uid: 'okta-1', realm_access: { roles: ['r1'] } }, { id: 'uid', scopes: ['scp'], permissions: 'realm_access.roles', clientId: ['cid'] })
  t.equal(auth.id, 'okta-1')
  t.same(auth.permissions, ['r1'])
  t.equal(readPath({ 'a.b': 1 }, 'a.b'), 1, 'a claim whose name has a dot wins')
  t.equal(readPath({ a: null }, 'a.b'), undefined)
  t.equal(readPath({ a: { b: 2 } }, 'a.c'), undefined)
})

t.test('a single claim repeating a scope gives it once; lists never share the claims\' arrays', async (t) => {
  t.same(build({ scope: 'a a b' }).scopes, ['a', 'b'])
  const scp = ['x', 'y']
  const permissions = ['p']
  const auth = build({ scp, permissions })
  t.not(auth.scopes, scp)
  t.not(auth.permissions, permissions)
  scp.push('z')
  t.same(auth.scopes, ['x', 'y'])
})

t.test('the context is plain data: every field is an own enumerable property', async (t) => {
  const auth = build({ scope: 'a' })
  t.same(Object.keys(auth), ['id', 'clientId', 'scopes', 'permissions', 'token', 'claims', 'expiresAt', 'method', 'jkt'])
  t.same(JSON.parse(JSON.stringify(auth)), { id: 'u1', clientId: null, scopes: ['a'], permissions: [], token: 'tok', claims: { sub: 'u1', exp, scope: 'a' }, expiresAt: new Date(exp * 1000).toISOString(), method: 'jwt' })
})

t.test('clientId is read from client_id, then azp, then cid', async (t) => {
  t.equal(build({ client_id: 'c1', azp: 'a1', cid: 'o1' }).clientId, 'c1')
  t.equal(build({ azp: 'a1', cid: 'o1' }).clientId, 'a1')
  t.equal(build({ cid: 'o1' }).clientId, 'o1')
  t.equal(build({}).clientId, null)
})

t.test('the order of the client ID claims is configurable', async (t) => {
  t.equal(build({ client_id: 'c1', cid: 'o1' }, { ...DEFAULT_CLAIM_NAMES, clientId: ['cid', 'client_id'] }).clientId, 'o1')
})

t.test('without the ID claim, id falls back to the client ID (RFC 9068 §2.2)', async (t) => {
  const auth = build({ sub: undefined, client_id: 'machine' })
  t.equal(auth.id, 'machine')
  t.equal(auth.clientId, 'machine')
  t.equal(build({ uid: undefined, cid: 'okta-app' }, { ...DEFAULT_CLAIM_NAMES, id: 'uid' }).id, 'okta-app')
})

t.test('a token with neither the ID claim nor a client ID is invalid', async (t) => {
  t.throws(() => build({ sub: undefined }), InvalidTokenError)
})

t.test('a client ID claim of the wrong type makes the token invalid, even after a good one', async (t) => {
  t.throws(() => build({ client_id: 7 }), InvalidTokenError)
  t.throws(() => build({ azp: '' }), InvalidTokenError)
  t.throws(() => build({ client_id: 'c1', azp: ['a1'] }), InvalidTokenError)
  t.throws(() => build({ sub: undefined, client_id: null }), InvalidTokenError)
})

t.test('a null scope or permissions claim is invalid, not "none granted"', async (t) => {
  t.throws(() => build({ scope: null }), InvalidTokenError)
  t.throws(() => build({ scp: null }), InvalidTokenError)
  t.throws(() => build({ permissions: null }), InvalidTokenError)
})
