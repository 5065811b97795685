// Type tests of the list form of `issuer`, checked by `tsc -p test/types` (npm run typecheck).
import Fastify from 'fastify'
import oauthGuard, { type IssuerOptions, type OAuthGuardOptions, type TenantPolicy } from '../../lib/index.js'

const app = Fastify()
await app.register(oauthGuard, {
  issuer: [
    { issuer: 'https://a.example.com', audience: 'api' },
    { issuer: 'https://b.example.com', audience: ['api', 'other'], validation: 'auto', introspection: { clientId: 'api', clientSecret: 's' } },
    { issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', tenants: (tenantId: string) => tenantId.length === 36, metadata: { jwks_uri: 'https://login.microsoftonline.com/common/discovery/v2.0/keys' } }
  ],
  audience: 'api'
})
const entry: IssuerOptions = { issuer: 'https://login.microsoftonline.com/{tenantid}/v2.0', tenants: ['t1'] }
const policy: TenantPolicy = ['t1', 't2']
const options: OAuthGuardOptions = { issuer: [entry], audience: 'api' }
const primary: string = app.oauthGuard.options.issuer
const all: readonly string[] = app.oauthGuard.options.issuers.map((issuer) => issuer.issuer)
export { policy, options, primary, all }

// A list built at run time compiles (an empty one is refused at registration).
const fromConfig: IssuerOptions[] = ['https://a.example.com', 'https://b.example.com'].map((issuer) => ({ issuer }))
await app.register(oauthGuard, { issuer: fromConfig, audience: 'api' })
// @ts-expect-error an entry names its issuer
await app.register(oauthGuard, { issuer: [{ audience: 'api' }] })
// @ts-expect-error validation is one of the three modes
await app.register(oauthGuard, { issuer: [{ issuer: 'https://a.example.com', validation: 'local' }], audience: 'api' })
// @ts-expect-error tenants are strings or a function of a string
await app.register(oauthGuard, { issuer: [{ issuer: 'https://a.example.com/{tenantid}', tenants: [1] }], audience: 'api' })
