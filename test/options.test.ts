import t from 'tap'
import { InvalidOptionsError } from '../lib/errors.js'
import { DEFAULT_RETRY_AFTER, DEFAULT_SECURITY_SCHEME, resolveOptions } from '../lib/options.js'
import type { OAuthGuardOptions } from '../lib/types.js'

const base = { issuer: 'https://id.example.com', audience: 'https://api.example.com' }

t.test('applies named defaults and freezes the result', async (t) => {
  const options = resolveOptions(base)
  t.equal(options.securityScheme, DEFAULT_SECURITY_SCHEME)
  t.equal(options.retryAfter, DEFAULT_RETRY_AFTER)
  t.same(options.audience, ['https://api.example.com'])
  t.equal(options.validation, 'jwt')
  t.ok(Object.isFrozen(options))
  t.ok(Object.isFrozen(options.claims.scopes))
  t.same(resolveOptions({ ...base, cache: false }).cache, null)
})

t.test('every duration is in milliseconds, and a problem with one names the unit', async (t) => {
  const options = resolveOptions({ ...base, validation: 'auto', introspection: { clientId: 'a', clientSecret: 'b' } })
  t.same({ clockTolerance: options.clockTolerance, retryAfter: options.retryAfter, timeout: options.timeout, jwks: options.jwks, maxAge: options.cache?.maxAge, userinfo: options.userinfo.ttl, cacheMaxTTL: options.introspection?.cacheMaxTTL, negativeCacheTTL: options.introspection?.negativeCacheTTL },
    { clockTolerance: 5000, retryAfter: 5000, timeout: 5000, jwks: { cooldown: 30_000, maxAge: 600_000 }, maxAge: 600_000, userinfo: 60_000, cacheMaxTTL: 60_000, negativeCacheTTL: 5000 })
  const err = t.throws(() => resolveOptions({ ...base, clockTolerance: 1.5, retryAfter: 1500, userinfo: { ttl: -1 } })) as InvalidOptionsError
  t.same(err.problems, [
    'options.clockTolerance: expected integer (milliseconds), received 1.5',
    'options.retryAfter: expected integer to be a multiple of 1000 (milliseconds, whole seconds: Retry-After is sent in seconds), received 1500',
    'options.userinfo.ttl: expected integer to be greater or equal to 0 (milliseconds), received -1'
  ])
})

t.test('reports every problem at once, each naming its option', async (t) => {
  const err = t.throws(() => resolveOptions({
    issuer: 'ftp://id.example.com',
    audience: 42,
    algorithms: ['none', 'HS256'],
    timeout: -1,
    typo: true
  } as unknown as OAuthGuardOptions)) as InvalidOptionsError
  t.type(err, InvalidOptionsError)
  t.equal(err.code, 'OAUTH_GUARD_INVALID_OPTIONS')
  const text = err.problems.join('\n')
  t.match(text, /options\.audience: expected/)
  t.match(text, /options\.timeout: expected integer to be greater or equal to 1 \(milliseconds\), received -1/)
  t.match(text, /options\.typo/)
  t.match(text, /options\.issuer: expected an https URL/)
  t.match(text, /options\.algorithms: .*received "none"/)
  t.match(text, /options\.algorithms: .*received "HS256"/)
  t.match(err.message, /^Invalid fastify-oauth-guard options:\n- /)
})

t.test('audience is required unless waived explicitly, and not both', async (t) => {
  t.throws(() => resolveOptions({ issuer: base.issuer }), /options\.audience: expected the audience/)
  t.equal(resolveOptions({ issuer: base.issuer, dangerouslyAllowAnyAudience: true }).audience, null)
  t.throws(() => resolveOptions({ ...base, dangerouslyAllowAnyAudience: true }), /only without options\.audience/)
})

t.test('http is allowed for loopback issuers only; URLs must be absolute', async (t) => {
  t.doesNotThrow(() => resolveOptions({ ...base, issuer: 'http://127.0.0.1:3000' }))
  t.doesNotThrow(() => resolveOptions({ ...base, issuer: 'http://localhost:3000/realms/x' }))
  t.throws(() => resolveOptions({ ...base, issuer: 'http://id.example.com' }), /https URL/)
  t.throws(() => resolveOptions({ ...base, issuer: 'not a url' }), /absolute URL/)
  t.throws(() => resolveOptions({ ...base, issuer: 'https://id.example.com?x=1' }), /without query/)
  t.throws(() => resolveOptions({ ...base, metadata: { jwks_uri: 'http://evil.example.com/jwks' } }), /options\.metadata\.jwks_uri/)
  t.throws(() => resolveOptions({ ...base, metadata: { jwks_uri: 3 as never } }), /options\.metadata\.jwks_uri: expected a URL string/)
})

t.test('an external scheme cannot be the plugin own scheme', async (t) => {
  t.throws(() => resolveOptions({ ...base, securityScheme: 'bearer', externalSchemes: ['bearer'] }), /options\.externalSchemes/)
})

t.test('a non-object is refused', async (t) => {
  t.throws(() => resolveOptions(null as never), InvalidOptionsError)
})

t.test('store: defaults, kept out of the frozen options, and refused without its methods', async (t) => {
  const store = { get: async () => null, set: async () => {}, add: async () => true, delete: async () => {} }
  const options = resolveOptions({ ...base, store })
  t.equal(options.store, store)
  t.notOk(Object.isFrozen(store), "the user's client is not frozen")
  t.notOk(Object.keys(options).includes('store'), 'not enumerable: logging the options does not print the client')
  t.same({ timeout: options.storeTimeout, fallback: options.storeReplayFallback }, { timeout: 100, fallback: 'local' })
  t.equal(resolveOptions(base).store, null)
  const err = t.throws(() => resolveOptions({ ...base, store: { get: async () => null } as never, storeTimeout: 0, storeReplayFallback: 'open' as never })) as InvalidOptionsError
  t.same(err.problems, [
    'options.storeTimeout: expected integer to be greater or equal to 1 (milliseconds), received 0',
    'options.storeReplayFallback: expected \'local\' or \'refuse\', received "open"',
    'options.store: expected a shared store with get, set, add and delete methods (e.g. redisStore(app.redis) from fastify-oauth-guard/redis), received an object without set, add, delete'
  ])
  const lonely = t.throws(() => resolveOptions({ ...base, storeTimeout: 50, storeReplayFallback: 'refuse' })) as InvalidOptionsError
  t.same(lonely.problems, [
    'options.storeTimeout: expected only with options.store, received it without',
    'options.storeReplayFallback: expected only with options.store, received it without'
  ])
})

t.test('dpop: allowed by default, a mode or settings resolved with named defaults, off is null', async (t) => {
  t.same(resolveOptions(base).dpop, { mode: 'allowed', algorithms: ['ES256', 'RS256', 'PS256', 'EdDSA'], iatWindow: 60_000, nonce: null, replayMaxEntries: 100_000 })
  t.equal(resolveOptions({ ...base, dpop: 'off' }).dpop, null)
  t.equal(resolveOptions({ ...base, dpop: { mode: 'off', nonce: true } }).dpop, null)
  t.same(resolveOptions({ ...base, dpop: 'required' }).dpop?.mode, 'required')
  t.same(resolveOptions({ ...base, dpop: { nonce: true } }).dpop?.nonce, { secret: undefined, lifetime: 300_000 })
  t.same(resolveOptions({ ...base, dpop: { nonce: { secret: 's'.repeat(32), lifetime: 10_000 } } }).dpop?.nonce, { secret: 's'.repeat(32), lifetime: 10_000 })
})

t.test('dpop: bad values are refused at registration, each naming its option', async (t) => {
  const err = t.throws(() => resolveOptions({ ...base, dpop: { mode: 'optional', algorithms: ['HS256', 'none'], iatWindow: 500, nonce: { secret: 'short' }, extra: 1 } } as unknown as OAuthGuardOptions)) as InvalidOptionsError
  t.match(err.problems.join('\n'), /options\.dpop\.mode: /)
  t.match(err.problems.join('\n'), /options\.dpop\.iatWindow: expected integer to be greater or equal to 1000 \(milliseconds\), received 500/)
  t.match(err.problems.join('\n'), /options\.dpop\.nonce\.secret: expected string length greater or equal to 32, received "short"/)
  t.match(err.problems.join('\n'), /options\.dpop\.algorithms: expected asymmetric JWS algorithms \(ES256, .*\), received "HS256"/)
  t.match(err.problems.join('\n'), /options\.dpop\.algorithms: .*received "none"/)
  const mode = t.throws(() => resolveOptions({ ...base, dpop: 'optional' } as unknown as OAuthGuardOptions)) as InvalidOptionsError
  t.match(mode.problems.join('\n'), /options\.dpop: .*received "optional"/)
})
