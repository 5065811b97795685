import t from 'tap'
import { RelayRateLimit } from '../../lib/openapi/relay-rate-limit.js'

t.test('each address gets perMinute requests a window, then the seconds left until the next one', async (t) => {
  const limit = new RelayRateLimit(2)
  t.equal(limit.take('a', 1_000), 0)
  t.equal(limit.take('a', 2_000), 0)
  t.equal(limit.take('a', 31_000), 30, 'refused: 30 s left in the window')
  t.equal(limit.take('b', 31_000), 0, 'another address has its own count')
  t.equal(limit.take('a', 61_000), 0, 'a new window starts after 60 s')
})

t.test('the whole relay takes ten times the per-address limit a window', async (t) => {
  const limit = new RelayRateLimit(1)
  for (let i = 0; i < 10; i++) t.equal(limit.take(`addr-${i}`, 0), 0)
  t.equal(limit.take('addr-10', 0), 60)
})
