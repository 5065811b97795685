import t from 'tap'
import { LocalReplayStore } from '../../lib/token/local-replay-store.js'

t.test('a key is a first use once, a replay until its deadline, and free again after it', async (t) => {
  const store = new LocalReplayStore(10)
  const until = Date.now() + 1000
  t.equal(store.firstUse('k', until), true)
  t.equal(store.firstUse('k', until), false)
  t.equal(store.firstUse('expired', Date.now() - 1), true, 'a past deadline records nothing')
  t.equal(store.firstUse('expired', Date.now() - 1), true)
})

t.test('bounded: beyond maxEntries the oldest key goes', async (t) => {
  const store = new LocalReplayStore(3)
  const until = Date.now() + 60_000
  for (const key of ['a', 'b', 'c', 'd']) t.equal(store.firstUse(key, until), true)
  t.equal(store.size, 3)
  t.equal(store.firstUse('d', until), false)
  t.equal(store.firstUse('a', until), true, 'the oldest was evicted')
})
