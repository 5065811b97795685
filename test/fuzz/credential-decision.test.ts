/**
 * Property tests of the path a request really takes: raw `Authorization` values (strings, arrays,
 * odd spacing, other schemes, repeated headers) and the query-token flag, through
 * CredentialDecider.decide, the one entry point, down to its decision, checked against a model
 * written straight from RFC 6750 §2.1 and §2.3. Requests are sent in sequences on one connection,
 * so the connection memo is fuzzed with them: no request's decision may depend on the one before.
 */
import fc from 'fast-check'
import t from 'tap'
import { OAuthGuardHTTPError } from '../../lib/errors.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { DEFAULT_CLAIM_NAMES } from '../../lib/token/claims.js'
import { CredentialDecider, type CredentialInput } from '../../lib/token/credential-decision.js'
import { JWKSCache } from '../../lib/token/jwks-cache.js'
import { JWTVerifier } from '../../lib/token/jwt-verifier.js'
import { TokenCache } from '../../lib/token/token-cache.js'

const RUNS = 400

const issuer = await createLocalIssuer()
t.teardown(() => issuer.close())
const VALID = await issuer.sign({ scope: 'a' })

function decider (maxTokenLength: number): CredentialDecider {
  const keys = new JWKSCache(async () => issuer.jwksUri, { timeout: 5000, cooldown: 30_000, maxAge: 600_000 })
  const jwt = new JWTVerifier({ issuer: issuer.issuer, audience: [issuer.audience], algorithms: ['RS256', 'ES256'], clockTolerance: 5000, requireAccessTokenType: false, keys })
  return new CredentialDecider({
    mode: 'jwt',
    jwt,
    introspector: null,
    claims: DEFAULT_CLAIM_NAMES,
    cache: new TokenCache({ maxEntries: 100, maxBytes: 1024 * 1024, maxAge: 60_000 }),
    retryAfter: 5000,
    maxTokenLength
  })
}

/** A decision, comparable with the model's: no credentials, an error's code and reason, or the accepted token. */
async function outcome (decide: () => unknown): Promise<string> {
  try {
    const decision = await decide() as { token: string } | null
    return decision === null ? 'none' : `accepted ${decision.token === VALID ? 'VALID' : decision.token}`
  } catch (err) {
    if (!(err instanceof OAuthGuardHTTPError)) throw err
    return `${err.statusCode} ${err.error ?? ''} ${(err as { reason?: string }).reason ?? ''}`.trim()
  }
}

interface Request { values: string[], asArray: boolean, queryToken: boolean }

/**
 * RFC 6750: a token in the query is refused (§2.3); one Authorization header (RFC 9110 §11.6.2);
 * `credentials = "Bearer" 1*SP b64token`, the scheme case-insensitive, a value whose first word is
 * not Bearer another scheme (§2.1). Surrounding whitespace is ignored, as Node strips it anyway.
 * A well-formed token is then verified: only the one valid token is accepted.
 */
function model (request: Request, maxTokenLength: number): string {
  if (request.queryToken) return '400 invalid_request query-token'
  if (request.values.length > 1) return '400 invalid_request multiple-headers'
  if (request.values.length === 0) return 'none'
  const value = request.values[0].trim()
  const match = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(value)
  if (match !== null) {
    if (match[1].length > maxTokenLength) return '401 invalid_token'
    return match[1] === VALID ? 'accepted VALID' : '401 invalid_token'
  }
  return value.split(/[ \t]/, 1)[0].toLowerCase() === 'bearer' ? '400 invalid_request malformed' : 'none'
}

const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/'.split('')
const space = fc.constantFrom(' ', '  ', '\t', ' \t', '\u00a0', '\u3000', '\r', '\n', '\u0000', '')
const scheme = fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr', 'Basic', 'DPoP', 'Bearer,', 'Bearerx', '')
const token = fc.oneof(
  fc.constant(VALID),
  fc.constantFrom(`${VALID}=`, `${VALID}x`, VALID.slice(0, -1), `${VALID} ${VALID}`, VALID.replace('.', '. ')),
  fc.string({ unit: fc.constantFrom(...b64), minLength: 1, maxLength: 40 }),
  fc.constantFrom('=', '==', 'a==', ',', '"a"', '\\', 'é', '\ud800', '🔑', 'a=b')
)
/** Values near the grammar's edges: a scheme, spacing, a token, trailing bits. */
const nearGrammar = fc.tuple(space, scheme, space, token, space).map((parts) => parts.join(''))
const header = fc.oneof({ weight: 4, arbitrary: nearGrammar }, { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 80 }) })
const request = fc.record({
  values: fc.oneof({ weight: 6, arbitrary: fc.array(header, { minLength: 1, maxLength: 1 }) }, { weight: 1, arbitrary: fc.array(header, { maxLength: 3 }) }),
  asArray: fc.boolean(),
  queryToken: fc.boolean().map((b) => b && Math.random() < 0.3),
  name: fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION')
})

/** The input as Node would give it: the first value joined, every value in the raw list, beside another header. */
function input (r: Request & { name: string }, connection: object): CredentialInput {
  const rawHeaders = ['Host', 'api.example', 'X-Authorization', 'Bearer x', ...r.values.flatMap((value) => [r.name, value])]
  const authorization = r.values.length === 0 ? undefined : r.asArray ? r.values : r.values[0]
  return { authorization, rawHeaders: r.asArray ? undefined : rawHeaders, queryToken: r.queryToken, connection }
}

for (const maxTokenLength of [8192, 32]) {
  t.test(`decide agrees with the RFC 6750 model, request after request on one connection (maxTokenLength ${maxTokenLength})`, async (t) => {
    const decisions = decider(maxTokenLength)
    await fc.assert(fc.asyncProperty(fc.array(request, { minLength: 1, maxLength: 6 }), async (requests) => {
      const connection = {}
      for (const r of requests) {
        const actual = await outcome(() => decisions.decide(input(r, connection)))
        const expected = model(r, maxTokenLength)
        if (actual !== expected) throw new Error(`${JSON.stringify(r)}: got ${actual}, expected ${expected}`)
      }
    }), { numRuns: RUNS })
    t.pass(`${RUNS} sequences agreed`)
  })
}

t.test('a remembered header is still refused with a query token or a second header', async (t) => {
  const decisions = decider(8192)
  const connection = {}
  const ok = { values: [`Bearer ${VALID}`], asArray: false, queryToken: false, name: 'Authorization' }
  t.equal(await outcome(() => decisions.decide(input(ok, connection))), 'accepted VALID')
  t.equal(await outcome(() => decisions.decide(input(ok, connection))), 'accepted VALID', 'cached, and now remembered')
  t.equal(await outcome(() => decisions.decide(input({ ...ok, queryToken: true }, connection))), '400 invalid_request query-token')
  t.equal(await outcome(() => decisions.decide(input({ ...ok, values: [ok.values[0], ok.values[0]] }, connection))), '400 invalid_request multiple-headers')
  t.equal(await outcome(() => decisions.decide(input(ok, connection))), 'accepted VALID')
})
