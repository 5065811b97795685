// The shared level's rare paths, through a SharedStore of the test's own (the interface a user may
// implement for another store): what each answer maps to, the timeout, the outage's one warning,
// probes once per interval and one at a time, recovery with one info line, and errors that are
// not Errors. The clock is faked where the level reads it (Date.now); no fixed sleeps.
import t, { type Test } from 'tap'
import { SharedLevel, STORE_RETRY_INTERVAL, type SharedStore } from '../../lib/token/shared-store.js'

const UNAVAILABLE = 'fastify-oauth-guard: the shared store is unavailable; test fallback until it answers again (probed every 1000 ms)'
const RECOVERED = 'fastify-oauth-guard: the shared store answers again; shared caching resumed'

/** A store whose every call runs `behave`, counting calls. */
function store (behave: (method: string, args: unknown[]) => Promise<unknown>) {
  const calls: string[] = []
  const run = (method: string) => async (...args: unknown[]) => { calls.push(method); return await behave(method, args) }
  const shared = { get: run('get'), set: run('set'), add: run('add'), delete: run('delete') } as unknown as SharedStore
  return { shared, calls }
}

/** A level over `shared` with a logger that keeps its lines. */
function level (shared: SharedStore, timeout = 1000) {
  const lines: Array<[string, object, string]> = []
  const log = { warn: (details: object, message: string) => { lines.push(['warn', details, message]) }, info: (details: object, message: string) => { lines.push(['info', details, message]) } }
  return { level: new SharedLevel(shared, { timeout, log, fallback: 'test fallback' }), lines }
}

/** A fake clock for the level's retry schedule. */
function clock (t: Test) {
  const state = { now: 1_700_000_000_000 }
  t.capture(Date, 'now', () => state.now)
  return state
}

/** A promise settled from outside. */
function deferred<T> () {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((_resolve, _reject) => { resolve = _resolve; reject = _reject })
  return { promise, resolve, reject }
}

t.test('answers are normalised: an absent value is null, an add that is not true is false, set and delete report success', async (t) => {
  const answers: Record<string, unknown> = { get: undefined, add: 'OK', set: 'OK', delete: 0 }
  const { shared } = store(async (method) => answers[method])
  const { level: l, lines } = level(shared)
  t.equal(await l.get('k'), null)
  t.equal(await l.add('k', '1', 10), false, 'only true means added')
  t.equal(await l.set('k', 'v', 10), true)
  t.equal(await l.delete('k'), true)
  answers.get = 'v'
  answers.add = true
  t.equal(await l.get('k'), 'v')
  t.equal(await l.add('k', '1', 10), true)
  t.same(lines, [])
  t.equal(l.down, false)
})

t.test('the first failure opens an outage with one warning naming the error; calls within the interval are skipped without reaching the store', async (t) => {
  const time = clock(t)
  const { shared, calls } = store(async () => { throw new Error('connect ECONNREFUSED 127.0.0.1:6379') })
  const { level: l, lines } = level(shared)
  t.equal(await l.get('k'), undefined)
  t.equal(l.down, true)
  time.now += STORE_RETRY_INTERVAL - 1
  t.equal(await l.set('k', 'v', 10), false)
  t.equal(await l.add('k', '1', 10), undefined)
  t.equal(await l.delete('k'), false)
  t.same(calls, ['get'], 'skipped while the outage is open')
  t.same(lines, [['warn', { cause: 'Error: connect ECONNREFUSED 127.0.0.1:6379' }, UNAVAILABLE]])
})

t.test('a rejection that is not an Error is logged as an unknown error, never as the value it carries', async (t) => {
  const { shared } = store(async () => { throw 'secret-value-in-a-string' }) // eslint-disable-line no-throw-literal
  const { level: l, lines } = level(shared)
  t.equal(await l.get('k'), undefined)
  t.same(lines, [['warn', { cause: 'unknown error' }, UNAVAILABLE]])
  t.notMatch(JSON.stringify(lines), /secret-value/)
})

t.test('a store method that throws synchronously counts as unavailable, not as a crash', async (t) => {
  const shared = { get: () => { throw new TypeError('client is closed') }, set: async () => {}, add: async () => true, delete: async () => {} } as unknown as SharedStore
  const { level: l, lines } = level(shared)
  t.equal(await l.get('k'), undefined)
  t.same(lines, [['warn', { cause: 'TypeError: client is closed' }, UNAVAILABLE]])
})

t.test('a late store is given up at the timeout, and its failing afterwards is no unhandled rejection', async (t) => {
  const late = deferred<string>()
  const { shared } = store(async () => await late.promise)
  const { level: l, lines } = level(shared, 20)
  const unhandled: unknown[] = []
  const onUnhandled = (reason: unknown): void => { unhandled.push(reason) }
  process.on('unhandledRejection', onUnhandled)
  t.teardown(() => { process.off('unhandledRejection', onUnhandled) })
  t.equal(await l.get('k'), undefined)
  t.same(lines, [['warn', { cause: 'StoreTimeoutError: no answer within 20 ms' }, UNAVAILABLE]])
  late.reject(new Error('connection reset'))
  // Two turns of the event loop: enough for Node to report an unhandled rejection.
  await new Promise((resolve) => setImmediate(resolve))
  await new Promise((resolve) => setImmediate(resolve))
  t.same(unhandled, [])
})

t.test('while down, one probe per interval and one at a time; a failed probe does not warn again; a successful one closes the outage with one info line', async (t) => {
  const time = clock(t)
  let answer = deferred<unknown>()
  answer.reject(new Error('down'))
  answer.promise.catch(() => {})
  const { shared, calls } = store(async () => await answer.promise)
  const { level: l, lines } = level(shared)
  t.equal(await l.get('k'), undefined, 'the failure that opens the outage')

  time.now += STORE_RETRY_INTERVAL
  answer = deferred()
  const probe = l.get('k')
  t.equal(await l.get('k'), undefined, 'a call during the probe is skipped')
  t.same(calls, ['get', 'get'], 'the probe reached the store, the concurrent call did not')
  answer.reject(new Error('still down'))
  t.equal(await probe, undefined)
  t.equal(l.down, true)
  t.equal(lines.length, 1, 'no second warning for a failed probe')

  time.now += STORE_RETRY_INTERVAL - 1
  t.equal(await l.get('k'), undefined)
  t.equal(calls.length, 2, 'the next probe waits a whole interval after the failed one')

  time.now += 1
  answer = deferred()
  answer.resolve('v')
  t.equal(await l.get('k'), 'v', 'the probe answers')
  t.equal(l.down, false)
  t.equal(await l.get('k'), 'v', 'calls go through again')
  t.same(lines.map(([level, , message]) => [level, message]), [['warn', UNAVAILABLE], ['info', RECOVERED]])
})

t.test('each outage is warned about once: a new failure after a recovery warns again', async (t) => {
  const time = clock(t)
  let fail = true
  const { shared } = store(async () => { if (fail) throw new Error('down'); return 'v' })
  const { level: l, lines } = level(shared)
  await l.get('k')
  time.now += STORE_RETRY_INTERVAL
  fail = false
  await l.get('k')
  fail = true
  await l.get('k')
  t.same(lines.map(([level]) => level), ['warn', 'info', 'warn'])
})
