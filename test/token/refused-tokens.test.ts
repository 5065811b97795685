import t from 'tap'
import { RefusedTokens } from '../../lib/token/refused-tokens.js'
import { freezeClock } from '../fixtures/oauth-endpoints.js'

t.test('a refused token stays refused until the time given, then is forgotten', async (t) => {
  const clock = freezeClock(t)
  const refused = new RefusedTokens()
  const now = Date.now()
  refused.add('token-a', now + 60_000)
  t.ok(refused.has('token-a'))
  t.notOk(refused.has('token-b'))
  refused.add('token-c', now + 1000)
  clock.ms = 999
  t.ok(refused.has('token-c'))
  clock.ms = 1000
  t.notOk(refused.has('token-c'), 'expired')
  t.equal(refused.size, 1, 'an expired entry is dropped when looked up')
})

t.test('an already expired token is not remembered', async (t) => {
  const refused = new RefusedTokens()
  refused.add('token-a', Date.now() - 1)
  t.equal(refused.size, 0)
})

t.test('bounded: past maxEntries the oldest refusal is forgotten first', async (t) => {
  const refused = new RefusedTokens(2)
  const later = Date.now() + 60_000
  refused.add('token-1', later)
  refused.add('token-2', later)
  refused.add('token-3', later)
  t.equal(refused.size, 2)
  t.notOk(refused.has('token-1'))
  t.ok(refused.has('token-2') && refused.has('token-3'))
})
