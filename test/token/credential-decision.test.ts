// The credential decision itself, below the wire: which answers come without a promise, what the
// connection memo serves, and what forgetting a token does to every cache and memo.
import t, { type Test } from 'tap'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { DEFAULT_CLAIM_NAMES } from '../../lib/token/claims.js'
import { CredentialDecider, type CredentialDeciderOptions } from '../../lib/token/credential-decision.js'
import { Introspector, resolveIntrospectionOptions } from '../../lib/token/introspection.js'
import { JWKSCache } from '../../lib/token/jwks-cache.js'
import { JWTVerifier } from '../../lib/token/jwt-verifier.js'
import { TokenCache } from '../../lib/token/token-cache.js'
import { activeAnswer, AUDIENCE, CREDENTIALS, startEndpoints } from '../fixtures/oauth-endpoints.js'

const issuer = await createLocalIssuer()
t.teardown(() => issuer.close())

function jwtDecider (cache: boolean): CredentialDecider {
  const keys = new JWKSCache(async () => issuer.jwksUri, { timeout: 5000, cooldown: 30_000, maxAge: 600_000 })
  const jwt = new JWTVerifier({ issuer: issuer.issuer, audience: [issuer.audience], algorithms: ['RS256'], clockTolerance: 5000, requireAccessTokenType: false, keys })
  return decider({ mode: 'jwt', jwt, cache: cache ? new TokenCache({ maxEntries: 100, maxBytes: 1024 * 1024, maxAge: 60_000 }) : null })
}

function decider (options: Partial<CredentialDeciderOptions>): CredentialDecider {
  return new CredentialDecider({ mode: 'jwt', jwt: null, introspector: null, claims: DEFAULT_CLAIM_NAMES, cache: null, retryAfter: 5000, maxTokenLength: 8192, ...options })
}

async function introspectionDecider (t: Test) {
  const endpoints = await startEndpoints(t)
  endpoints.answer('/introspect', { body: activeAnswer(endpoints) })
  const introspector = new Introspector({
    issuer: endpoints.origin,
    audience: [AUDIENCE],
    clockTolerance: 5000,
    timeout: 1000,
    retryAfter: 5000,
    realm: undefined,
    claims: DEFAULT_CLAIM_NAMES,
    credentials: resolveIntrospectionOptions(CREDENTIALS),
    endpoint: async () => `${endpoints.origin}/introspect`
  })
  // cache: null is `cache: false`, which turns off the JWT cache only.
  return { endpoints, decisions: decider({ mode: 'introspection', introspector, cache: null }) }
}

const input = (authorization: string, connection: object | null = null) => ({ authorization, queryToken: false, connection })

t.test('a new JWT whose key is already held is decided without a promise; a cached one is the same context', async (t) => {
  const decisions = jwtDecider(true)
  const first = decisions.decide(input(`Bearer ${await issuer.sign()}`))
  t.ok(first instanceof Promise, 'the first token needs the key set')
  await first
  const token = await issuer.sign({ sub: 'bob' })
  const auth = decisions.decide(input(`Bearer ${token}`))
  t.notOk(auth instanceof Promise)
  t.equal((auth as { id: string }).id, 'bob')
  t.equal(decisions.decide(input(`Bearer ${token}`)), auth, 'the cached context')
})

t.test('no Authorization header, or another scheme, is no credentials (null)', async (t) => {
  const decisions = jwtDecider(true)
  t.equal(decisions.decide({ authorization: undefined, queryToken: false }), null)
  t.equal(decisions.decide(input('Basic dXNlcjpwYXNz')), null)
})

t.test('forget refuses a JWT until its exp, on the connection that remembered it too', async (t) => {
  const decisions = jwtDecider(true)
  const connection = {}
  const header = `Bearer ${await issuer.sign()}`
  const auth = await decisions.decide(input(header, connection))
  t.equal(decisions.decide(input(header, connection)), auth, 'cached, and now remembered by the connection')
  t.equal(decisions.decide(input(header, connection)), auth, 'remembered')
  decisions.forget(header.slice(7), new Date(Date.now() + 60_000))
  t.throws(() => decisions.decide(input(header, connection)), { code: 'OAUTH_GUARD_INVALID_TOKEN', detail: /^userinfo: / }, 'neither the cache nor the memo served it')
})

t.test('with cache false, an introspected token is still remembered by its connection while the introspection cache holds it', async (t) => {
  const { endpoints, decisions } = await introspectionDecider(t)
  const connection = {}
  const header = 'Bearer opaque-token-for-the-memo-0123456789'
  const auth = await decisions.decide(input(header, connection))
  const cached = decisions.decide(input(header, connection))
  t.notOk(cached instanceof Promise, 'a warm answer needs no promise')
  t.equal(decisions.decide(input(header, connection)), cached, 'the connection remembered the context')
  t.equal(endpoints.calls('/introspect'), 1)
  t.equal((auth as { id: string }).id, (cached as { id: string }).id)
  decisions.forget(header.slice(7), new Date(Date.now() + 60_000))
  t.throws(() => decisions.decide(input(header, connection)), { code: 'OAUTH_GUARD_INVALID_TOKEN', detail: /^userinfo: / }, 'forgotten: refused, without asking again')
  t.equal(endpoints.calls('/introspect'), 1)
})
