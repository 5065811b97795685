import t from 'tap'
import { DPoPNonces } from '../../lib/token/dpop-nonce.js'

t.test('a nonce is accepted in its slot and the next, then refused', async (t) => {
  const clock = t.capture(Date, 'now', () => now)
  let now = 1_000_000
  const nonces = new DPoPNonces({ lifetime: 1000 })
  const nonce = nonces.current()
  t.equal(nonces.current(), nonce, 'one nonce per slot')
  t.equal(nonces.accepts(nonce), true)
  now += 1000
  t.not(nonces.current(), nonce)
  t.equal(nonces.accepts(nonce), true, 'the previous slot is still accepted')
  now += 1000
  t.equal(nonces.accepts(nonce), false)
  t.ok(clock.args().length > 0)
})

t.test('only nonces made with the same secret are accepted', async (t) => {
  const secret = 's'.repeat(32)
  const a = new DPoPNonces({ secret, lifetime: 60_000 })
  const b = new DPoPNonces({ secret, lifetime: 60_000 })
  const other = new DPoPNonces({ lifetime: 60_000 })
  t.equal(b.accepts(a.current()), true, 'another instance with the same secret')
  t.equal(other.accepts(a.current()), false)
  for (const bad of [undefined, 42, '', 'abc', `${a.current()}x`, `zz.${a.current().split('.')[1]}`, 'x'.repeat(100)]) t.equal(a.accepts(bad), false, String(bad))
})
