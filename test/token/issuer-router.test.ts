import t from 'tap'
import { InvalidTokenError } from '../../lib/errors.js'
import { IssuerRouter, unverifiedIssuer, type IssuerRoute } from '../../lib/token/issuer-router.js'
import { IssuerTemplate } from '../../lib/token/issuer-template.js'

const segment = (value: unknown): string => Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64url')
const jws = (payload: unknown): string => `${segment({ alg: 'RS256' })}.${segment(payload)}.c2ln`

const a: IssuerRoute = { issuer: 'https://a.example.com', mode: 'jwt', jwt: null, introspector: null }
const b: IssuerRoute = { issuer: 'https://b.example.com', mode: 'auto', jwt: null, introspector: null }
const entra: IssuerRoute = { issuer: 'https://login.example.com/{tenantid}/v2.0', mode: 'jwt', jwt: null, introspector: null, template: new IssuerTemplate('https://login.example.com/{tenantid}/v2.0', ['t1']) }
const router = new IssuerRouter([a, b, entra])

function refusal (token: string): string | undefined {
  try {
    router.route(token)
  } catch (err) {
    if (err instanceof InvalidTokenError) return err.detail
    throw err
  }
  return 'routed'
}

t.test('a token goes to the route of its exact iss, or of an allowed tenant of a template', async (t) => {
  t.equal(router.route(jws({ iss: 'https://a.example.com' })), a)
  t.equal(router.route(jws({ iss: 'https://b.example.com' })), b)
  t.equal(router.route(jws({ iss: 'https://login.example.com/t1/v2.0' })), entra)
})

t.test('the one introspecting route takes the opaque tokens', async (t) => {
  t.equal(router.opaque, b)
  t.equal(new IssuerRouter([a, entra]).opaque, null)
})

t.test('a token of no configured issuer is invalid, and the detail names the iss received, quoted and cut', async (t) => {
  t.equal(refusal(jws({ iss: 'https://c.example.com' })), 'iss: expected one of the configured issuers, received "https://c.example.com"')
  t.equal(refusal(jws({ iss: 'https://login.example.com/t2/v2.0' })), 'iss: expected one of the configured issuers, received "https://login.example.com/t2/v2.0"')
  t.equal(refusal(jws({ iss: 'https://a.example.com/' })), 'iss: expected one of the configured issuers, received "https://a.example.com/"')
  t.equal(refusal(jws({ iss: `https://x.example/${'a'.repeat(200)}\n` })), `iss: expected one of the configured issuers, received "https://x.example/${'a'.repeat(80)}…`)
  t.equal(refusal(jws({ iss: 'https://x.example/\u2028' })), 'iss: expected one of the configured issuers, received "https://x.example/\\u2028"')
  t.equal(refusal(jws({ iss: ['https://a.example.com'] })), 'iss: expected one of the configured issuers, received ["https://a.example.com"]')
  t.equal(refusal(jws({ sub: 'x' })), 'iss: expected one of the configured issuers, received none')
})

t.test('the unverified iss is read only from a base64url JSON object payload', async (t) => {
  t.equal(unverifiedIssuer(jws({ iss: 'https://a.example.com' })), 'https://a.example.com')
  t.equal(unverifiedIssuer(jws('not json')), undefined)
  t.equal(unverifiedIssuer(jws(null)), undefined)
  t.equal(unverifiedIssuer(`${segment({})}.${segment({ iss: 'x' })}=.sig`), undefined, 'padding is not base64url')
  t.equal(unverifiedIssuer('opaque-token'), undefined)
})
