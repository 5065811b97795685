import { randomBytes } from 'node:crypto'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'
import { exportJWK, generateKeyPair } from 'jose'
// @ts-expect-error oidc-provider 9 ships no type declarations; the parts used are typed below.
import Provider, { errors } from 'oidc-provider'
import { createInteractionHandler, DEMO_USER, findAccount, renderError } from './identity-provider-interactions.js'
import type { DemoUser, InteractionProvider } from './identity-provider-interactions.js'

/** Options of {@link startIdentityProvider}. */
export interface IdentityProviderOptions {
  /** TCP port on 127.0.0.1; default 0 (a free port). */
  port?: number
  /** The API's resource indicator (RFC 8707), also the `aud` of its access tokens. */
  resource: string
  /** API scopes with their descriptions, e.g. `{ 'items:read': 'Read items' }`. */
  apiScopes: Record<string, string>
  /** Redirect URIs of the public Swagger UI client; more can be added with `addRedirectUri`. */
  redirectUris?: string[]
  /** Access token lifetime in seconds; default 3600. */
  accessTokenTTL?: number
  /** JWS alg of JWT access tokens; default 'RS256'. */
  accessTokenAlg?: 'RS256' | 'ES256'
  /** Format of the access tokens users get (through the Swagger UI client). Default 'jwt'; machine clients keep theirs. */
  userAccessTokenFormat?: 'jwt' | 'opaque'
  /** Claims merged into every access token (JWT payload and introspection response). */
  extraAccessTokenClaims?: (subject: string, clientId: string) => Record<string, unknown> | undefined
  /** Issue DPoP-bound tokens (RFC 9449) to clients that send a proof to the token endpoint; default false. */
  dPoP?: boolean
  /** Open dynamic client registration (RFC 7591), as MCP clients use; default false. */
  dynamicRegistration?: boolean
}

interface ClientCredentials { clientId: string, clientSecret: string }

/** A running embedded OpenID provider. */
export interface IdentityProvider {
  /** `http://127.0.0.1:PORT`, without a trailing slash. */
  issuer: string
  /** The only account that can sign in. */
  user: DemoUser
  clients: {
    /** Public client (no secret), authorization code with PKCE S256. */
    swaggerUI: { clientId: string }
    /** client_credentials, JWT access tokens. */
    machine: ClientCredentials
    /** client_credentials, opaque access tokens. */
    machineOpaque: ClientCredentials
    /** Introspection caller using client_secret_basic. */
    resourceServer: ClientCredentials
    /** Introspection caller using client_secret_post. */
    resourceServerPost: ClientCredentials
  }
  /** Registers another redirect URI for the Swagger UI client. */
  addRedirectUri(uri: string): void
  /** Runs the client_credentials grant over HTTP and returns the access token. */
  clientCredentialsToken(client: 'machine' | 'machineOpaque', scope: string, opts?: { resource?: string }): Promise<string>
  /** Revokes a token at the revocation endpoint (RFC 7009). */
  revoke(token: string, client: 'machine' | 'machineOpaque'): Promise<void>
  /** Requests received per path (without query string). */
  hits: Record<string, number>
  /** Every request received, in order: method, path and the browser headers that tell where it came from (never credentials). */
  requests: Array<{ method: string, path: string, origin: string | undefined, secFetchSite: string | undefined }>
  close(): Promise<void>
}

type Payload = Record<string, unknown>
type ClientMetadata = Record<string, unknown> & { client_id: string, redirect_uris?: string[] }
interface Token { accountId?: string, clientId: string }

const DEFAULT_ACCESS_TOKEN_TTL = 3600 // seconds
const RESOURCE_SERVERS = new Set(['resource-server', 'resource-server-post'])

const secret = (): string => randomBytes(24).toString('base64url')

async function signingKeys () {
  const keys = []
  for (const [alg, kty] of [['RS256', 'RSA'], ['ES256', 'EC']]) {
    const { privateKey } = await generateKeyPair(alg, { extractable: true })
    keys.push({ ...await exportJWK(privateKey), kid: `${kty.toLowerCase()}-${secret().slice(0, 8)}`, alg, use: 'sig' })
  }
  return keys
}

/**
 * In-memory storage private to one provider; nothing is evicted, as oidc-provider checks `exp`
 * itself on every find. Clients are read from `clients` on each lookup so that redirect
 * URIs added after start take effect (oidc-provider copies its static `clients` option once).
 */
function memoryAdapter (clients: Map<string, ClientMetadata>) {
  const store = new Map<string, Payload>()
  return (model: string) => {
    const key = (id: string) => `${model}:${id}`
    const findBy = (field: string, value: string) =>
      [...store].find(([k, payload]) => k.startsWith(`${model}:`) && payload[field] === value)?.[1]
    return {
      // Registered clients (dynamic registration) are looked up where the static ones are.
      upsert: async (id: string, payload: Payload) => { if (model === 'Client') clients.set(id, payload as ClientMetadata); else store.set(key(id), payload) },
      find: async (id: string) => model === 'Client' ? structuredClone(clients.get(id)) : store.get(key(id)),
      findByUid: async (uid: string) => findBy('uid', uid),
      findByUserCode: async (userCode: string) => findBy('userCode', userCode),
      destroy: async (id: string) => { store.delete(key(id)) },
      consume: async (id: string) => {
        const payload = store.get(key(id))
        if (payload) payload.consumed = Math.floor(Date.now() / 1000)
      },
      revokeByGrantId: async (grantId: string) => {
        for (const [k, payload] of store) if (payload.grantId === grantId) store.delete(k)
      }
    }
  }
}

function clientMetadata (redirectUris: string[]) {
  const confidential = (clientId: string, grants: string[], authMethod = 'client_secret_basic') => ({
    client_id: clientId,
    client_secret: secret(),
    token_endpoint_auth_method: authMethod,
    grant_types: grants,
    response_types: [],
    redirect_uris: []
  })
  return {
    swaggerUI: {
      client_id: 'swagger-ui',
      token_endpoint_auth_method: 'none',
      redirect_uris: [...redirectUris],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code']
    },
    machine: confidential('machine', ['client_credentials']),
    machineOpaque: confidential('machine-opaque', ['client_credentials']),
    resourceServer: confidential('resource-server', []),
    resourceServerPost: confidential('resource-server-post', [], 'client_secret_post')
  }
}

/**
 * Starts a real oidc-provider on 127.0.0.1 for the demo and the test suite, with a fixed user,
 * interaction pages, and keys and client secrets generated on every start.
 * JWT access tokens are signed with `accessTokenAlg`; the `machineOpaque` client gets opaque ones.
 * Not for production: storage is in memory and CORS is open to every origin.
 * @example
 * const idp = await startIdentityProvider({ resource: 'urn:example:api', apiScopes: { 'items:read': 'Read items' } })
 * const token = await idp.clientCredentialsToken('machine', 'items:read')
 */
export async function startIdentityProvider (options: IdentityProviderOptions): Promise<IdentityProvider> {
  const { resource, apiScopes, accessTokenAlg = 'RS256' } = options
  const accessTokenTTL = options.accessTokenTTL ?? DEFAULT_ACCESS_TOKEN_TTL
  const metadata = clientMetadata(options.redirectUris ?? [])
  const clientsById = new Map<string, ClientMetadata>(Object.values(metadata).map((m) => [m.client_id, m]))
  const hits: Record<string, number> = Object.create(null)
  const requests: IdentityProvider['requests'] = []

  const server = createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject).listen(options.port ?? 0, '127.0.0.1', resolve)
  })
  const issuer = `http://127.0.0.1:${(server.address() as AddressInfo).port}`

  const provider = new Provider(issuer, {
    adapter: memoryAdapter(clientsById),
    jwks: { keys: await signingKeys() },
    cookies: { keys: [secret()] },
    findAccount,
    claims: { openid: ['sub'], profile: ['name'], email: ['email', 'email_verified'] },
    responseTypes: ['code'],
    // A registering client may limit itself to the API scopes (RFC 7591 `scope`).
    ...(options.dynamicRegistration === true && { scopes: ['openid', 'offline_access', ...Object.keys(apiScopes)] }),
    pkce: { required: () => true },
    clientBasedCORS: () => true,
    renderError,
    // A client credentials token keeps what oidc-provider gives it: JWTs have `sub` = client ID
    // (RFC 9068 §2.2), introspection answers no `sub` at all (RFC 7662 §2.2), as real providers do.
    extraTokenClaims: (_ctx: unknown, token: Token) => options.extraAccessTokenClaims?.(token.accountId ?? token.clientId, token.clientId),
    ttl: { // seconds
      AccessToken: accessTokenTTL,
      ClientCredentials: accessTokenTTL,
      AuthorizationCode: 60,
      IdToken: 3600,
      RefreshToken: 86400,
      Interaction: 3600,
      Session: 86400,
      Grant: 86400
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      dPoP: { enabled: options.dPoP === true },
      introspection: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, caller: { clientId: string }, token: Token) =>
          RESOURCE_SERVERS.has(caller.clientId) || caller.clientId === token.clientId
      },
      revocation: {
        enabled: true,
        allowedPolicy: (_ctx: unknown, caller: { clientId: string }, token: Token) => caller.clientId === token.clientId
      },
      userinfo: { enabled: true },
      registration: { enabled: options.dynamicRegistration === true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (_ctx: unknown, _client: unknown, oneOf?: string[]) => oneOf ?? resource,
        // Swagger UI never sends `resource`, so the token request reuses the one granted at /auth.
        useGrantedResource: () => true,
        getResourceServerInfo: (_ctx: unknown, indicator: string, client: { clientId: string }) => {
          if (indicator !== resource) throw new errors.InvalidTarget()
          return {
            scope: Object.keys(apiScopes).join(' '),
            audience: resource,
            accessTokenTTL,
            accessTokenFormat: client.clientId === metadata.machineOpaque.client_id || (client.clientId === metadata.swaggerUI.client_id && options.userAccessTokenFormat === 'opaque') ? 'opaque' : 'jwt',
            jwt: { sign: { alg: accessTokenAlg } }
          }
        }
      }
    }
  })

  // Lists the API scopes in discovery so an openIdConnect security scheme can offer them.
  provider.use(async (ctx: { oidc?: { route: string }, body: Payload }, next: () => Promise<void>) => {
    await next()
    if (ctx.oidc?.route === 'discovery') {
      ctx.body.scopes_supported = [...ctx.body.scopes_supported as string[], ...Object.keys(apiScopes)]
    }
  })

  const interaction = createInteractionHandler(provider as InteractionProvider, DEMO_USER)
  const callback = provider.callback()
  server.on('request', (req, res) => {
    const path = (req.url ?? '/').split('?')[0]
    hits[path] = (hits[path] ?? 0) + 1
    requests.push({ method: req.method ?? 'GET', path, origin: req.headers.origin, secFetchSite: req.headers['sec-fetch-site'] as string | undefined })
    if (path.startsWith('/interaction/')) interaction(req, res)
    else callback(req, res)
  })

  const credentials = (m: { client_id: string, client_secret: string }) => ({ clientId: m.client_id, clientSecret: m.client_secret })
  const clients = {
    swaggerUI: { clientId: metadata.swaggerUI.client_id },
    machine: credentials(metadata.machine),
    machineOpaque: credentials(metadata.machineOpaque),
    resourceServer: credentials(metadata.resourceServer),
    resourceServerPost: credentials(metadata.resourceServerPost)
  }

  async function post (path: string, client: 'machine' | 'machineOpaque', form: Record<string, string>) {
    const { clientId, clientSecret } = clients[client]
    // RFC 6749 section 2.3.1: id and secret are form-encoded before Basic encoding.
    const basic = Buffer.from(`${encodeURIComponent(clientId)}:${encodeURIComponent(clientSecret)}`).toString('base64')
    const init = { method: 'POST', headers: { authorization: `Basic ${basic}` }, body: new URLSearchParams(form) }
    const response = await fetch(`${issuer}${path}`, init)
    if (!response.ok) throw new Error(`${path} answered ${response.status}: ${await response.text()}`)
    return response
  }

  return {
    issuer,
    user: DEMO_USER,
    clients,
    hits,
    requests,
    addRedirectUri (uri) {
      metadata.swaggerUI.redirect_uris.push(uri)
    },
    async clientCredentialsToken (client, scope, opts = {}) {
      const form: Record<string, string> = { grant_type: 'client_credentials', scope }
      if (opts.resource !== undefined) form.resource = opts.resource
      const body = await (await post('/token', client, form)).json() as { access_token: string }
      return body.access_token
    },
    async revoke (token, client) {
      await post('/token/revocation', client, { token })
    },
    close () {
      // Idempotent: tests stop the provider mid-test to simulate an outage, and teardown closes again.
      if (!server.listening) return Promise.resolve()
      return new Promise<void>((resolve, reject) => {
        server.close((err) => err ? reject(err) : resolve())
        server.closeAllConnections()
      })
    }
  }
}
