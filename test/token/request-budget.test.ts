import t, { type Test } from 'tap'
import { RequestBudget } from '../../lib/token/request-budget.js'

function frozenClock (t: Test): { ms: number } {
  const real = Date.now
  const clock = { ms: real() }
  Date.now = () => clock.ms
  t.teardown(() => { Date.now = real })
  return clock
}

t.test('allows a burst of perSecond, then refills at perSecond', async (t) => {
  const clock = frozenClock(t)
  const budget = new RequestBudget(10)
  for (let i = 0; i < 10; i++) t.ok(budget.take(), `take ${i}`)
  t.notOk(budget.take(), 'spent')
  clock.ms += 100
  t.ok(budget.take(), 'one more after a tenth of a second')
  t.notOk(budget.take())
  clock.ms += 60_000
  for (let i = 0; i < 10; i++) t.ok(budget.take())
  t.notOk(budget.take(), 'the burst never exceeds perSecond')
})

t.test('0 means no limit', async (t) => {
  const budget = new RequestBudget(0)
  for (let i = 0; i < 1000; i++) if (!budget.take()) t.fail('refused')
  t.pass()
})
