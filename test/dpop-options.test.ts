// The `dpop` option at registration: every bad value is refused with one "option path: expected,
// received" line per problem, and a valid one resolves to named defaults and the verifier it builds.
import Fastify from 'fastify'
import t from 'tap'
import { InvalidOptionsError } from '../lib/errors.js'
import oauthGuard from '../lib/index.js'
import { resolveOptions } from '../lib/options.js'
import { createDPoPVerifier, resolveDPoPOptions } from '../lib/dpop-options.js'
import type { ReplayStore } from '../lib/token/replay-store.js'
import type { OAuthGuardOptions } from '../lib/types.js'

const base = { issuer: 'https://id.example.com', audience: 'https://api.example.com' }
const ALL = 'ES256, ES384, ES512, RS256, RS384, RS512, PS256, PS384, PS512, EdDSA, Ed25519'
const SHAPE = "options.dpop: expected 'off', 'allowed', 'required' or { mode, algorithms, iatWindow, nonce, replayMaxEntries }, received"

/** The problems `resolveOptions` reports for this `dpop` value (none: `[]`). */
function problems (dpop: unknown): string[] {
  try {
    resolveOptions({ ...base, dpop } as unknown as OAuthGuardOptions)
    return []
  } catch (err) {
    if (!(err instanceof InvalidOptionsError)) throw err
    return [...err.problems]
  }
}

t.test('a dpop value that is neither a mode nor an object is refused, naming what it received', async (t) => {
  t.same(problems('optional'), [`${SHAPE} "optional"`])
  t.same(problems(null), [`${SHAPE} null`])
  t.same(problems(5), [`${SHAPE} 5`])
  t.same(problems(['required']), [`${SHAPE} ["required"]`])
  t.same(problems(true), [`${SHAPE} true`])
})

t.test('a dpop value of a type JSON cannot print is refused with an options error, not a crash', async (t) => {
  t.same(problems(10n), [`${SHAPE} bigint`])
  t.same(problems(() => 'required'), [`${SHAPE} a function`], 'never the source of the function')
  t.same(problems({ nonce: 10n }), ['options.dpop.nonce: expected a boolean or { secret, lifetime }, received bigint'])
  t.same(problems({ nonce: () => true }), ['options.dpop.nonce: expected a boolean or { secret, lifetime }, received a function'])
})

t.test('a mode that is not off, allowed or required names the three', async (t) => {
  t.same(problems({ mode: 'optional' }), ["options.dpop.mode: expected 'off', 'allowed' or 'required', received \"optional\""])
})

t.test('algorithms: an empty list, a non-string and a symmetric or unknown algorithm are each refused', async (t) => {
  t.same(problems({ algorithms: [] }), ['options.dpop.algorithms: expected array length to be greater or equal to 1, received []'])
  t.same(problems({ algorithms: [5] }), ['options.dpop.algorithms.0: expected string, received 5'])
  t.same(problems({ algorithms: 'ES256' }), ['options.dpop.algorithms: expected array, received "ES256"'])
  t.same(problems({ algorithms: ['ES256', 'HS256', 'none'] }), [
    `options.dpop.algorithms: expected asymmetric JWS algorithms (${ALL}), received "HS256"`,
    `options.dpop.algorithms: expected asymmetric JWS algorithms (${ALL}), received "none"`
  ])
  t.same(problems({ algorithms: ['Ed25519', 'PS512'] }), [], 'every algorithm of the list is accepted')
})

t.test('iatWindow: whole milliseconds between one second and one hour', async (t) => {
  t.same(problems({ iatWindow: 999 }), ['options.dpop.iatWindow: expected integer to be greater or equal to 1000 (milliseconds), received 999'])
  t.same(problems({ iatWindow: 3_600_001 }), ['options.dpop.iatWindow: expected integer to be less or equal to 3600000 (milliseconds), received 3600001'])
  t.same(problems({ iatWindow: 1500.5 }), ['options.dpop.iatWindow: expected integer (milliseconds), received 1500.5'])
  t.same(problems({ iatWindow: 1000 }), [])
  t.same(problems({ iatWindow: 3_600_000 }), [])
})

t.test('nonce: a boolean or { secret, lifetime }, each setting checked', async (t) => {
  t.same(problems({ nonce: 'yes' }), ['options.dpop.nonce: expected a boolean or { secret, lifetime }, received "yes"'])
  t.same(problems({ nonce: [] }), ['options.dpop.nonce: expected a boolean or { secret, lifetime }, received []'])
  t.same(problems({ nonce: null }), ['options.dpop.nonce: expected a boolean or { secret, lifetime }, received null'])
  t.same(problems({ nonce: { secret: 5, lifetime: 999, rotate: true } }), [
    'options.dpop.nonce.rotate: unexpected property, received true',
    'options.dpop.nonce.secret: expected string, received 5',
    'options.dpop.nonce.lifetime: expected integer to be greater or equal to 1000 (milliseconds), received 999'
  ])
  t.same(problems({ nonce: { secret: 's'.repeat(31) } }), [`options.dpop.nonce.secret: expected string length greater or equal to 32, received "${'s'.repeat(31)}"`])
  t.same(problems({ nonce: {} }), [], 'settings may all be left to their defaults')
})

t.test('replayMaxEntries: a positive integer', async (t) => {
  t.same(problems({ replayMaxEntries: 0 }), ['options.dpop.replayMaxEntries: expected integer to be greater or equal to 1, received 0'])
  t.same(problems({ replayMaxEntries: '10' }), ['options.dpop.replayMaxEntries: expected integer, received "10"'])
})

t.test('an unknown dpop setting is refused, and every problem of one value is reported together', async (t) => {
  t.same(problems({ mode: 'allowed', nonces: true }), ['options.dpop.nonces: unexpected property, received true'])
  t.equal(problems({ mode: 'x', algorithms: ['HS256'], iatWindow: 1, nonce: 'x', replayMaxEntries: -1 }).length, 5)
})

t.test('registering the plugin with a bad dpop option fails with InvalidOptionsError', async (t) => {
  const app = Fastify()
  t.teardown(async () => await app.close())
  await app.register(oauthGuard, { ...base, dpop: { iatWindow: 10 } } as OAuthGuardOptions).ready().then(() => t.fail('registered'), (err: unknown) => {
    t.ok(err instanceof InvalidOptionsError)
    t.same((err as InvalidOptionsError).problems, ['options.dpop.iatWindow: expected integer to be greater or equal to 1000 (milliseconds), received 10'])
  })
})

t.test('a nonce given only a secret keeps the default lifetime; the object form defaults to allowed', async (t) => {
  const secret = 'x'.repeat(32)
  t.same(resolveDPoPOptions({ nonce: { secret } }), { mode: 'allowed', algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'], iatWindow: 60_000, nonce: { secret, lifetime: 300_000 }, replayMaxEntries: 100_000 })
  t.same(resolveDPoPOptions({ nonce: { lifetime: 2000 } })?.nonce, { secret: undefined, lifetime: 2000 })
  t.equal(resolveDPoPOptions({ nonce: false })?.nonce, null)
  t.equal(resolveDPoPOptions(undefined)?.mode, 'allowed')
  const algorithms = ['ES256']
  const resolved = resolveDPoPOptions({ algorithms })
  algorithms.push('HS256')
  t.same(resolved?.algorithms, ['ES256'], 'a copy: changing the caller\'s list later changes nothing')
})

t.test('the verifier built from resolved options: its offer, its mode, nonces on or off, and a shared replay store wrapped around the local one', async (t) => {
  t.equal(createDPoPVerifier(resolveDPoPOptions('off'), 5000), null)
  const allowed = createDPoPVerifier(resolveDPoPOptions({ algorithms: ['ES256', 'EdDSA'] }), 5000)
  t.same(allowed?.offer, { algs: 'ES256 EdDSA', bearer: true })
  t.equal(allowed?.required, false)
  t.equal(allowed?.nonce(), undefined, 'no nonce unless nonces are on')
  const required = createDPoPVerifier(resolveDPoPOptions({ mode: 'required', nonce: true }), 5000)
  t.same(required?.offer, { algs: 'ES256 RS256 PS256 EdDSA', bearer: false })
  t.equal(required?.required, true)
  t.match(required?.nonce(), /^[0-9a-z]+\.[A-Za-z0-9_-]{43}$/)
  const wrapped: ReplayStore[] = []
  createDPoPVerifier(resolveDPoPOptions('allowed'), 5000, (local) => { wrapped.push(local); return local })
  t.equal(wrapped.length, 1)
  t.equal(wrapped[0].firstUse('k', Date.now() + 1000), true, 'the local store handed to the wrapper works')
  t.equal(wrapped[0].firstUse('k', Date.now() + 1000), false)
})
