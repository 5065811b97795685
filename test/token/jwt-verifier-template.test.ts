// The issuer check of a template (issuer-template.ts) gives the same verdict on the node:crypto
// fast path and on jose's path, and ranks `iss` before the time claims on both.
import t from 'tap'
import { InvalidTokenError, TokenExpiredError } from '../../lib/errors.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import { IssuerTemplate } from '../../lib/token/issuer-template.js'
import { JWKSCache } from '../../lib/token/jwks-cache.js'
import { JWTVerifier } from '../../lib/token/jwt-verifier.js'

const TEMPLATE = 'https://login.example.com/{tenantid}/v2.0'
const iss = (tenant: string): string => `https://login.example.com/${tenant}/v2.0`
const local = await createLocalIssuer({ algorithms: ['RS256', 'ES256'] })
t.teardown(async () => await local.close())

function verifier (fastPath: boolean): JWTVerifier {
  const keys = new JWKSCache(async () => local.jwksUri, { timeout: 2000, cooldown: 0, maxAge: 60_000 })
  const template = new IssuerTemplate(TEMPLATE, ['t1', 't2'])
  return new JWTVerifier({ issuer: TEMPLATE, issuerCheck: template.accepts, audience: ['api'], algorithms: ['RS256', 'ES256'], clockTolerance: 0, requireAccessTokenType: false, keys, fastPath })
}

async function verdict (jwt: JWTVerifier, token: string): Promise<string> {
  try {
    const payload = await jwt.verify(token)
    return `ok ${String(payload.tid)}`
  } catch (err) {
    if (err instanceof TokenExpiredError) return 'expired'
    if (err instanceof InvalidTokenError) return 'invalid'
    throw err
  }
}

const past = Math.floor(Date.now() / 1000) - 600
const cases: Array<[string, Record<string, unknown>, string]> = [
  ['allowed tenant, same tid', { iss: iss('t1'), tid: 't1' }, 'ok t1'],
  ['allowed tenant, other tid', { iss: iss('t1'), tid: 't2' }, 'invalid'],
  ['allowed tenant, no tid', { iss: iss('t1') }, 'invalid'],
  ['tenant not allowed', { iss: iss('t3'), tid: 't3' }, 'invalid'],
  ['exact template text', { iss: TEMPLATE, tid: '{tenantid}' }, 'invalid'],
  ['no iss', { iss: undefined, tid: 't1' }, 'invalid'],
  ['allowed tenant, expired', { iss: iss('t1'), tid: 't1', exp: past }, 'expired'],
  ['other tid, expired', { iss: iss('t1'), tid: 't2', exp: past }, 'invalid'],
  ['allowed tenant, wrong aud', { iss: iss('t1'), tid: 't1', aud: 'other' }, 'invalid'],
  ['other tid, wrong aud', { iss: iss('t1'), tid: 't2', aud: 'other' }, 'invalid'],
  ['allowed tenant, not yet valid', { iss: iss('t1'), tid: 't1', nbf: Math.floor(Date.now() / 1000) + 600 }, 'expired']
]

t.test('a template issuer check rules the same on the fast path and on jose', async (t) => {
  const fast = verifier(true)
  const jose = verifier(false)
  for (const alg of ['RS256', 'ES256']) {
    for (const [name, claims, expected] of cases) {
      const token = await local.sign({ aud: 'api', ...claims }, { alg })
      t.equal(await verdict(fast, token), expected, `${alg} fast: ${name}`)
      t.equal(await verdict(jose, token), expected, `${alg} jose: ${name}`)
    }
  }
})
