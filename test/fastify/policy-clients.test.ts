import t from 'tap'
import { ClientNotAllowedError, InvalidRouteSecurityError } from '../../lib/errors.js'
import { checkPolicy, policyFromOptions } from '../../lib/fastify/policy.js'
import type { AuthContext } from '../../lib/token/auth-context.js'

const auth = (clientId: string | null): AuthContext => ({ id: 'u', clientId, scopes: ['a'], permissions: [], token: 't', claims: {}, expiresAt: new Date(), method: 'jwt' })

t.test('authenticate({ clients }) lets listed clients through and refuses others and tokens naming none with 403', async (t) => {
  const policy = policyFromOptions({ clients: ['svc-a', 'svc-b'] })
  t.equal(checkPolicy(policy, auth('svc-b'), {}), null)
  for (const clientId of ['svc-c', null]) {
    const error = checkPolicy(policy, auth(clientId), { realm: 'api' })
    t.type(error, ClientNotAllowedError)
    t.match(error, { statusCode: 403, code: 'OAUTH_GUARD_CLIENT_NOT_ALLOWED', headers: { 'www-authenticate': 'Bearer realm="api", error="insufficient_scope", error_description="The client this access token was issued to is not allowed here"' } })
  }
})

t.test('authenticate({ clients }) must be a non-empty list of non-empty strings', async (t) => {
  for (const clients of [[], [''], 'svc-a', [1]]) {
    t.throws(() => policyFromOptions({ clients: clients as string[] }), InvalidRouteSecurityError, JSON.stringify(clients))
  }
})
