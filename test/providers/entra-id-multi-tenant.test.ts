// Microsoft Entra ID multi-tenant apps: one template issuer
// "https://login.microsoftonline.com/{tenantid}/v2.0", the tenant checked against `tid`, keys from
// the common JWKS (stood in for by a local issuer). Settings from docs/providers/entra-id.md.
import Fastify from 'fastify'
import t, { type Test } from 'tap'
import oauthGuard from '../../lib/index.js'
import { createLocalIssuer } from '../../lib/testing/index.js'
import type { TenantPolicy } from '../../lib/types.js'
import { DPOP_OFFER } from '../fixtures/challenges.js'

const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0'
const CONTOSO = '72f988bf-86f1-41af-91ab-2d7cd011db47'
const FABRIKAM = '8eaef023-2b34-4da1-9baa-8bc8c9d6a490'
const OTHER = '3c1f5d9e-0a7b-4c2d-8e6f-1a2b3c4d5e6f'
const API_CLIENT_ID = '6e74172b-be56-4843-9ff4-e66a39bb12e3'
const INVALID = `Bearer error="invalid_token", error_description="The access token is invalid"${DPOP_OFFER}`

const common = await createLocalIssuer({ algorithms: ['RS256'] })
t.teardown(async () => await common.close())

async function api (t: Test, tenants: TenantPolicy) {
  const app = Fastify()
  t.teardown(async () => await app.close())
  await app.register(oauthGuard, {
    issuer: [{ issuer: TEMPLATE, audience: API_CLIENT_ID, tenants, metadata: { jwks_uri: common.jwksUri } }],
    claims: { id: 'oid' }
  })
  app.get('/whoami', { onRequest: app.authenticate }, async (request) => ({ id: request.auth?.id, tid: request.auth?.claims.tid }))
  return async (claims: Record<string, unknown>) => {
    const token = await common.sign({ aud: API_CLIENT_ID, oid: 'user-oid', ver: '2.0', ...claims }, { header: { typ: 'JWT' } })
    const res = await app.inject({ url: '/whoami', headers: { authorization: `Bearer ${token}` } })
    return { status: res.statusCode, challenge: res.headers['www-authenticate'], body: res.json() }
  }
}

const tenantToken = (tenant: string, tid = tenant) => ({ iss: `https://login.microsoftonline.com/${tenant}/v2.0`, tid })

t.test('a token of an allowed tenant is accepted', async (t) => {
  const get = await api(t, [CONTOSO, FABRIKAM])
  t.same(await get(tenantToken(CONTOSO)), { status: 200, challenge: undefined, body: { id: 'user-oid', tid: CONTOSO } })
  t.same(await get(tenantToken(FABRIKAM)), { status: 200, challenge: undefined, body: { id: 'user-oid', tid: FABRIKAM } })
})

t.test('a token of a tenant not in the allow-list is refused before any key lookup', async (t) => {
  const get = await api(t, [CONTOSO])
  const before = common.hits['/jwks'] ?? 0
  const res = await get(tenantToken(OTHER))
  t.equal(res.status, 401)
  t.equal(res.challenge, INVALID)
  t.equal(common.hits['/jwks'] ?? 0, before)
})

t.test('a token whose tid names another tenant than its iss is refused', async (t) => {
  const get = await api(t, [CONTOSO, FABRIKAM])
  const res = await get(tenantToken(CONTOSO, FABRIKAM))
  t.equal(res.status, 401)
  t.equal(res.challenge, INVALID)
  t.equal((await get({ iss: tenantToken(CONTOSO).iss })).status, 401, 'no tid at all')
})

t.test('a tenant function decides, and a throwing one refuses', async (t) => {
  const get = await api(t, (tenant) => {
    if (tenant === OTHER) throw new Error('directory lookup failed')
    return tenant === FABRIKAM
  })
  t.equal((await get(tenantToken(FABRIKAM))).status, 200)
  t.equal((await get(tenantToken(CONTOSO))).status, 401)
  t.equal((await get(tenantToken(OTHER))).status, 401)
})

t.test('an iss that only resembles the template is refused', async (t) => {
  const get = await api(t, [CONTOSO])
  for (const iss of [
    `https://login.microsoftonline.com/${CONTOSO}/v2.0/`,
    `https://login.microsoftonline.com/${CONTOSO}/extra/v2.0`,
    `https://evil.example/${CONTOSO}/v2.0`,
    `https://login.microsoftonline.com/${CONTOSO}/v2x0`
  ]) {
    const res = await get({ iss, tid: CONTOSO })
    t.equal(res.status, 401, iss)
  }
})

t.test('an expired token of an allowed tenant is expired; of another tenant, invalid', async (t) => {
  const get = await api(t, [CONTOSO])
  const exp = Math.floor(Date.now() / 1000) - 3600
  const expired = await get({ ...tenantToken(CONTOSO), exp })
  t.equal(expired.challenge, `Bearer error="invalid_token", error_description="The access token expired or is not yet valid"${DPOP_OFFER}`)
  const wrongTid = await get({ ...tenantToken(CONTOSO, FABRIKAM), exp })
  t.equal(wrongTid.challenge, INVALID)
})
