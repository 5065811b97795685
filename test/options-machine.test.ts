import t from 'tap'
import { InvalidOptionsError } from '../lib/errors.js'
import { resolveOptions } from '../lib/options.js'
import type { OAuthGuardOptions } from '../lib/types.js'

const base = { issuer: 'https://id.example.com', audience: 'https://api.example.com' }

t.test('claims.clientId defaults to client_id, azp, cid; clients to any client', async (t) => {
  const options = resolveOptions(base)
  t.same(options.claims.clientId, ['client_id', 'azp', 'cid'])
  t.equal(options.clients, null)
  t.ok(Object.isFrozen(options.claims.clientId))
})

t.test('claims.clientId and clients are kept as given, frozen, without repeats', async (t) => {
  const options = resolveOptions({ ...base, claims: { clientId: ['cid'] }, clients: ['a', 'b', 'a'] })
  t.same(options.claims.clientId, ['cid'])
  t.same(options.clients, ['a', 'b'])
  t.ok(Object.isFrozen(options.clients))
})

t.test('claims.clientId and clients must be non-empty lists of non-empty strings', async (t) => {
  const err = t.throws(() => resolveOptions({ ...base, claims: { clientId: [] }, clients: [''] } as unknown as OAuthGuardOptions)) as InvalidOptionsError
  t.type(err, InvalidOptionsError)
  t.match(err.problems.join('\n'), /options\.claims\.clientId: expected array length to be greater or equal to 1, received \[\]/)
  t.match(err.problems.join('\n'), /options\.clients\.0: expected string length greater or equal to 1, received ""/)
  t.throws(() => resolveOptions({ ...base, clients: 'billing' } as unknown as OAuthGuardOptions), InvalidOptionsError)
})
