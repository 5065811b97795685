// The credential decision with several issuers, below the wire: what is refused before any
// request, where a cached token is answered from, and what forgetting reaches.
import t from 'tap'
import { InvalidTokenError } from '../../lib/errors.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { DEFAULT_CLAIM_NAMES } from '../../lib/token/claims.js'
import { CredentialDecider } from '../../lib/token/credential-decision.js'
import { Introspector, resolveIntrospectionOptions } from '../../lib/token/introspection.js'
import { IssuerRouter, type IssuerRoute } from '../../lib/token/issuer-router.js'
import { JWKSCache } from '../../lib/token/jwks-cache.js'
import { JWTVerifier } from '../../lib/token/jwt-verifier.js'
import { TokenCache } from '../../lib/token/token-cache.js'
import { activeAnswer, AUDIENCE, CREDENTIALS, startEndpoints } from '../fixtures/oauth-endpoints.js'

const a = await createLocalIssuer({ audience: AUDIENCE })
const b = await createLocalIssuer({ audience: AUDIENCE })
t.teardown(async () => { await a.close(); await b.close() })

function jwtRoute (issuer: typeof a): IssuerRoute & { keys: JWKSCache } {
  const keys = new JWKSCache(async () => issuer.jwksUri, { timeout: 5000, cooldown: 30_000, maxAge: 600_000 })
  const jwt = new JWTVerifier({ issuer: issuer.issuer, audience: [AUDIENCE], algorithms: ['RS256'], clockTolerance: 5000, requireAccessTokenType: false, keys })
  return { issuer: issuer.issuer, mode: 'jwt', jwt, introspector: null, keys }
}

function decider (routes: IssuerRoute[], cache = true): CredentialDecider {
  return new CredentialDecider({
    mode: 'jwt',
    jwt: null,
    introspector: null,
    router: new IssuerRouter(routes),
    claims: DEFAULT_CLAIM_NAMES,
    cache: cache ? new TokenCache({ maxEntries: 100, maxBytes: 1024 * 1024, maxAge: 60_000 }) : null,
    retryAfter: 5000,
    maxTokenLength: 8192
  })
}

const input = (token: string) => ({ authorization: `Bearer ${token}`, queryToken: false })

async function refusal (decisions: CredentialDecider, token: string): Promise<string | undefined> {
  try {
    await decisions.decide(input(token))
  } catch (err) {
    if (err instanceof InvalidTokenError) return err.detail ?? 'no detail'
    throw err
  }
  return 'accepted'
}

t.test('each token is verified with the keys of the issuer it names, and only those', async (t) => {
  const routeA = jwtRoute(a)
  const routeB = jwtRoute(b)
  const decisions = decider([routeA, routeB])
  t.equal((await decisions.decide(input(await a.sign())))?.claims.iss, a.issuer)
  t.same([routeA.keys.fetches, routeB.keys.fetches], [1, 0])
  t.equal((await decisions.decide(input(await b.sign())))?.claims.iss, b.issuer)
  t.same([routeA.keys.fetches, routeB.keys.fetches], [1, 1])
  t.match(await refusal(decisions, await b.sign({ iss: a.issuer })), /^kid: no single key of the JWKS matches/, "B's key under A's iss: A's keys say no")
  t.same([routeA.keys.fetches, routeB.keys.fetches], [1, 1], "B's keys are not looked at")
})

t.test('an opaque token is refused with a detail when no issuer introspects', async (t) => {
  t.equal(await refusal(decider([jwtRoute(a), jwtRoute(b)]), 'opaque-token-value'), 'token: not a compact JWS, and no configured issuer introspects')
})

t.test('a cached token is answered from the cache, without routing again', async (t) => {
  const routeA = jwtRoute(a)
  const decisions = decider([routeA, jwtRoute(b)])
  const token = await a.sign()
  const first = await decisions.decide(input(token))
  t.equal(decisions.decide(input(token)), first, 'the same context, without a promise')
})

t.test('forget reaches the introspection cache of the introspecting issuer', async (t) => {
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
  const decisions = decider([jwtRoute(a), { issuer: endpoints.origin, mode: 'introspection', jwt: null, introspector }], false)
  t.equal((await decisions.decide(input('opaque-token-value')))?.method, 'introspection')
  t.equal(endpoints.requests.length, 1)
  await decisions.decide(input('opaque-token-value'))
  t.equal(endpoints.requests.length, 1, 'cached')
  decisions.forget('opaque-token-value', new Date(0))
  await decisions.decide(input('opaque-token-value'))
  t.equal(endpoints.requests.length, 2, 'asked again once forgotten')
})
