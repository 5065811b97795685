// Rare problems of the list form of `issuer`, as resolveOptions and registration report them:
// template URLs refused by the URL rule, a template without metadata, metadata URLs that are not
// strings, and what the resolved tenant policy keeps of the one given.
import Fastify from 'fastify'
import t from 'tap'
import { InvalidOptionsError } from '../lib/errors.js'
import oauthGuard from '../lib/index.js'
import { resolveOptions } from '../lib/options.js'
import type { OAuthGuardOptions } from '../lib/types.js'

const TEMPLATE = 'https://login.example.com/{tenantid}/v2.0'
const KEYS = { jwks_uri: 'https://login.example.com/keys' }

/** The problems resolveOptions reports for `issuer` (audience 'api'). */
function problems (issuer: unknown): readonly string[] {
  try {
    resolveOptions({ issuer, audience: 'api' } as OAuthGuardOptions)
  } catch (err) {
    if (err instanceof InvalidOptionsError) return err.problems
    throw err
  }
  return []
}

t.test('a template whose URL breaks the URL rule is refused, quoting the template as written', async (t) => {
  t.same(problems([{ issuer: 'http://login.example.com/{tenantid}/v2.0', tenants: ['t1'], metadata: KEYS }]), [
    'options.issuer.0.issuer: expected an https URL (http is allowed for localhost only), received "http://login.example.com/{tenantid}/v2.0"'
  ])
  t.same(problems([{ issuer: 'https://a.example.com' }, { issuer: `${TEMPLATE}?p=1`, tenants: ['t1'], metadata: KEYS }]), [
    `options.issuer.1.issuer: expected a URL without query or fragment, received "${TEMPLATE}?p=1"`
  ])
  t.same(problems([{ issuer: 'http://localhost:8080/{tenantid}/v2.0', tenants: ['t1'], metadata: { jwks_uri: 'http://localhost:8080/keys' } }]), [], 'http on loopback is allowed')
})

t.test('a template without any metadata is told its jwks_uri cannot be discovered', async (t) => {
  t.same(problems([{ issuer: TEMPLATE, tenants: ['t1'] }]), [
    'options.issuer.0.metadata.jwks_uri: expected the key set URL of a template issuer (it cannot be discovered), received undefined'
  ])
})

t.test('metadata URLs of an entry must be URL strings: a number, null or an unsafe URL is named; other fields are not checked', async (t) => {
  t.same(problems([{ issuer: 'https://a.example.com', metadata: { jwks_uri: 42, token_endpoint: null, userinfo_endpoint: 'http://a.example.com/me', scopes_supported: 'any' } }]), [
    'options.issuer.0.metadata.jwks_uri: expected a URL string, received 42',
    'options.issuer.0.metadata.token_endpoint: expected a URL string, received null',
    'options.issuer.0.metadata.userinfo_endpoint: expected an https URL (http is allowed for localhost only), received "http://a.example.com/me"'
  ])
})

t.test('a template whose jwks_uri is not a string gets one message for it, as any metadata URL', async (t) => {
  t.same(problems([{ issuer: TEMPLATE, tenants: ['t1'], metadata: { jwks_uri: 7 } }]), [
    'options.issuer.0.metadata.jwks_uri: expected a URL string, received 7'
  ])
})

t.test('a tenant function is kept as given; a tenant list is copied, so changing it later changes nothing', async (t) => {
  const policy = (tenant: string): boolean => tenant === 't1'
  const list = ['t1']
  const options = resolveOptions({ issuer: [{ issuer: TEMPLATE, tenants: policy, metadata: KEYS }, { issuer: 'https://sts.example.com/{tenantid}/', tenants: list, metadata: KEYS }], audience: 'api' })
  t.equal(options.issuers[0]!.tenants, policy)
  t.same(options.issuers[1]!.tenants, ['t1'])
  list.push('t2')
  t.same(options.issuers[1]!.tenants, ['t1'], 'a tenant added to the given list afterwards is not trusted')
  t.equal(options.issuers[1]!.validation, 'jwt')
  t.equal(options.issuers[1]!.introspection, null)
})

t.test('registration reports the problems of every entry in one error, before any route exists', async (t) => {
  const app = Fastify()
  t.teardown(async () => await app.close())
  const err = await app.register(oauthGuard, {
    issuer: [{ issuer: TEMPLATE, tenants: ['t1'] }, { issuer: 'https://a.example.com', tenants: ['t1'], metadata: { jwks_uri: 1 } }],
    audience: 'api'
  } as unknown as OAuthGuardOptions).ready().then(() => null, (e: unknown) => e)
  t.type(err, InvalidOptionsError)
  t.same((err as InvalidOptionsError).problems, [
    'options.issuer.0.metadata.jwks_uri: expected the key set URL of a template issuer (it cannot be discovered), received undefined',
    'options.issuer.1.tenants: expected only with a {tenantid} template issuer, received ["t1"]',
    'options.issuer.1.metadata.jwks_uri: expected a URL string, received 1'
  ])
})
