import t from 'tap'
import { InvalidOptionsError } from '../lib/errors.js'
import { resolveOptions } from '../lib/options.js'
import type { OAuthGuardOptions } from '../lib/types.js'

const A = 'https://a.example.com'
const B = 'https://b.example.com'
const TEMPLATE = 'https://login.microsoftonline.com/{tenantid}/v2.0'
const JWKS = 'https://login.microsoftonline.com/common/discovery/v2.0/keys'
const credentials = { clientId: 'api', clientSecret: 'secret' }

function problems (options: unknown): string[] {
  try {
    resolveOptions(options as OAuthGuardOptions)
  } catch (err) {
    if (err instanceof InvalidOptionsError) return [...err.problems]
    throw err
  }
  return []
}

t.test('a list resolves to one entry per issuer, the first being the primary', async (t) => {
  const options = resolveOptions({
    issuer: [
      { issuer: A, audience: 'api-a', metadata: { jwks_uri: `${A}/keys` } },
      { issuer: B, validation: 'introspection', introspection: credentials },
      { issuer: TEMPLATE, audience: ['x', 'y'], tenants: ['t1'], metadata: { jwks_uri: JWKS } }
    ],
    audience: 'api-default'
  })
  t.equal(options.issuer, A)
  t.same(options.audience, ['api-a'])
  t.same(options.metadata, { jwks_uri: `${A}/keys` })
  t.equal(options.validation, 'jwt')
  t.same(options.issuers.map(({ issuer, audience, validation, tenants }) => ({ issuer, audience, validation, tenants })), [
    { issuer: A, audience: ['api-a'], validation: 'jwt', tenants: null },
    { issuer: B, audience: ['api-default'], validation: 'introspection', tenants: null },
    { issuer: TEMPLATE, audience: ['x', 'y'], validation: 'jwt', tenants: ['t1'] }
  ])
  t.equal(options.issuers[1]!.introspection?.clientId, 'api')
  t.notOk(Object.keys(options.issuers[1]!.introspection!).includes('clientSecret'), 'the secret stays out of enumerable options')
  t.ok(Object.isFrozen(options.issuers[2]!.tenants))
})

t.test('the string form resolves to a single issuer, as before', async (t) => {
  const options = resolveOptions({ issuer: A, audience: 'api', validation: 'auto', introspection: credentials })
  t.equal(options.issuer, A)
  t.equal(options.issuers.length, 1)
  t.match(options.issuers[0], { issuer: A, audience: ['api'], validation: 'auto', tenants: null })
})

t.test('a problem of a list entry is named by its path', async (t) => {
  t.same(problems({ issuer: [{ issuer: 'ftp://a.example.com', audience: 'api' }, { issuer: B, audiense: 'api' }, 42] }), [
    'options.issuer.0.issuer: expected an https URL (http is allowed for localhost only), received "ftp://a.example.com"',
    'options.issuer.1.audiense: unexpected property, received "api"',
    'options.issuer.2: expected object, received 42'
  ])
  t.same(problems({ issuer: [], audience: 'api' }), ['options.issuer: expected an issuer URL, or a non-empty list of issuer entries, received []'])
  t.same(problems({ issuer: [{ issuer: A, audience: 'api', metadata: { jwks_uri: 'http://evil.example/keys' } }] }), [
    'options.issuer.0.metadata.jwks_uri: expected an https URL (http is allowed for localhost only), received "http://evil.example/keys"'
  ])
})

t.test('an issuer listed twice is refused', async (t) => {
  t.same(problems({ issuer: [{ issuer: A }, { issuer: A }], audience: 'api' }), ['options.issuer.1.issuer: expected each issuer once, received "https://a.example.com" again'])
})

t.test('every entry needs an audience, its own or the top-level one', async (t) => {
  t.same(problems({ issuer: [{ issuer: A, audience: 'api' }, { issuer: B }] }), [
    'options.issuer.1.audience: expected the audience your API is known by at this issuer (or options.audience for all), received undefined'
  ])
  t.same(problems({ issuer: [{ issuer: A }, { issuer: B }], dangerouslyAllowAnyAudience: true }), [])
})

t.test('with a list, metadata, validation and introspection go on the entries', async (t) => {
  t.same(problems({ issuer: [{ issuer: A }], audience: 'api', metadata: { jwks_uri: `${A}/keys` }, validation: 'auto', introspection: credentials }), [
    'options.metadata: expected it on each entry of options.issuer (a list), received it at the top level',
    'options.validation: expected it on each entry of options.issuer (a list), received it at the top level',
    'options.introspection: expected it on each entry of options.issuer (a list), received it at the top level'
  ])
})

t.test('at most one issuer introspects, and each introspecting entry has its own credentials', async (t) => {
  t.same(problems({ issuer: [{ issuer: A, validation: 'auto', introspection: credentials }, { issuer: B, validation: 'introspection' }], audience: 'api' }), [
    'options.issuer.1.introspection: expected { clientId, clientSecret } with validation "introspection", received undefined',
    "options.issuer: expected at most one entry with validation 'introspection' or 'auto' (an opaque token names no issuer, and sending it to several would disclose it to each), received 2 (options.issuer.0, options.issuer.1)"
  ])
  t.same(problems({ issuer: [{ issuer: A, introspection: credentials }], audience: 'api' }), [
    "options.issuer.0.introspection: expected only with validation 'introspection' or 'auto', received it with validation 'jwt'"
  ])
})

t.test('a template needs tenants and a jwks_uri, validates JWTs, and holds one placeholder in its path', async (t) => {
  t.same(problems({ issuer: [{ issuer: TEMPLATE, validation: 'introspection', introspection: credentials }], audience: 'api' }), [
    'options.issuer.0.tenants: expected the accepted tenant IDs (a list or a function) with a {tenantid} template, received undefined',
    'options.issuer.0.metadata.jwks_uri: expected the key set URL of a template issuer (it cannot be discovered), received undefined',
    'options.issuer.0.validation: expected \'jwt\' for a template issuer, received "introspection"'
  ])
  const keys = { metadata: { jwks_uri: JWKS }, tenants: ['t1'] }
  t.same(problems({ issuer: [{ issuer: 'https://x.example.com/{tenantid}/{tenantid}', ...keys }, { issuer: 'https://{tenantid}.example.com/', ...keys }], audience: 'api' }), [
    'options.issuer.0.issuer: expected {tenantid} once in a template, received "https://x.example.com/{tenantid}/{tenantid}"',
    'options.issuer.1.issuer: expected {tenantid} in the URL\'s path, received "https://{tenantid}.example.com/"'
  ])
  t.same(problems({ issuer: [{ issuer: TEMPLATE, metadata: { jwks_uri: JWKS }, tenants: [] }], audience: 'api' }), [
    'options.issuer.0.tenants: expected a non-empty list of tenant IDs, or a function (tenantId) => boolean, received []'
  ])
  t.same(problems({ issuer: [{ issuer: A, tenants: ['t1'] }], audience: 'api' }), ['options.issuer.0.tenants: expected only with a {tenantid} template issuer, received ["t1"]'])
})

t.test('a template as the string form is refused, naming the list form', async (t) => {
  t.same(problems({ issuer: TEMPLATE, audience: 'api' }), [
    'options.issuer: expected an issuer identifier; a template goes in a list entry with tenants and metadata.jwks_uri ([{ issuer, tenants, metadata }]), received "https://login.microsoftonline.com/{tenantid}/v2.0"'
  ])
})
