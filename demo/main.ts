/**
 * `npm run demo`: the demo API with Swagger UI at /docs, signing in at an embedded OpenID provider,
 * or at a real one when OAUTH_ISSUER is set (see demo/README.md).
 */
import { buildDemo, DEMO_SCOPES } from './app.js'
import type { IdentityProvider } from './identity-provider.js'
import { swaggerUIRedirectURI } from '../lib/index.js'

/** Audience of the demo API at the embedded provider. */
const EMBEDDED_AUDIENCE = 'urn:fastify-oauth-guard:demo-api'

const env = process.env
const host = env.HOST ?? '127.0.0.1'
const port = Number(env.PORT ?? 3000)
const idpPort = Number(env.IDP_PORT ?? 3001)
const docsPath = '/docs'

function list (value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(/[\s,]+/).filter((s) => s !== '')
}

/**
 * oidc-provider 9 warns "Unsupported runtime" on import on every Node release before 22 LTS, and
 * offers no switch. Node ^20.19 is inside this package's engines range and the embedded provider
 * works there (the test suite runs it on Node 20), so the demo drops that one line and nothing else.
 */
async function withoutRuntimeNotice<T> (load: () => Promise<T>): Promise<T> {
  const warn = console.warn
  console.warn = (...args: unknown[]) => {
    if (typeof args[0] === 'string' && args[0].includes('oidc-provider WARNING: Unsupported runtime')) return
    warn(...args)
  }
  try {
    return await load()
  } finally {
    console.warn = warn
  }
}

async function main (): Promise<void> {
  const publicURL = env.PUBLIC_URL ?? `http://${host.includes(':') ? `[${host}]` : host}:${port}`
  let idp: IdentityProvider | null = null
  let settings: { issuer: string, audience: string | string[], clientId?: string }
  if (env.OAUTH_ISSUER !== undefined && env.OAUTH_ISSUER !== '') {
    if (env.OAUTH_AUDIENCE === undefined) throw new Error('OAUTH_AUDIENCE is required with OAUTH_ISSUER (the audience of this API at your provider)')
    settings = { issuer: env.OAUTH_ISSUER, audience: list(env.OAUTH_AUDIENCE) as string[], clientId: env.OAUTH_CLIENT_ID }
  } else {
    // Loaded only here: with a real provider, oidc-provider is not needed at all.
    const { startIdentityProvider } = await withoutRuntimeNotice(() => import('./identity-provider.js'))
    idp = await startIdentityProvider({ port: idpPort, resource: EMBEDDED_AUDIENCE, apiScopes: { ...DEMO_SCOPES } })
    // The browser may reach the demo by either name; each is a different redirect URI.
    for (const origin of new Set([publicURL, `http://127.0.0.1:${port}`, `http://localhost:${port}`])) {
      idp.addRedirectUri(swaggerUIRedirectURI(origin, docsPath))
    }
    settings = { issuer: idp.issuer, audience: EMBEDDED_AUDIENCE, clientId: idp.clients.swaggerUI.clientId }
  }

  const app = await buildDemo({
    ...settings,
    openidScopes: list(env.OAUTH_OPENID_SCOPES),
    authorizationParams: env.OAUTH_AUTHORIZATION_PARAMS === undefined ? undefined : Object.fromEntries(new URLSearchParams(env.OAUTH_AUTHORIZATION_PARAMS)),
    publicURL,
    securityHeaders: env.DEMO_SECURITY_HEADERS !== '0'
  })
  await app.listen({ host, port })

  const lines = [
    '',
    `  Swagger UI:    ${publicURL}${docsPath}`,
    `  Provider:      ${settings.issuer}${idp === null ? '' : ' (embedded)'}`,
    `  Client ID:     ${settings.clientId ?? '(type it in the Authorize dialog)'}`,
    `  Redirect URI:  ${swaggerUIRedirectURI(publicURL, docsPath)}`,
    ...(idp === null ? [] : [`  Demo user:     ${idp.user.username}`, `  Password:      ${idp.user.password}`]),
    ...(idp === null
      ? []
      : [
          '',
          '  Machine client (Authorize → clientCredentials, or POST the docs\' token relay):',
          `  Client ID:     ${idp.clients.machine.clientId}`,
          `  Client secret: ${idp.clients.machine.clientSecret}   (new on every start; demo only)`,
          `  Token:         curl -u '${idp.clients.machine.clientId}:<secret>' -d grant_type=client_credentials -d 'scope=items:read' ${publicURL}${docsPath}/token`
        ]),
    '',
    '  Open Swagger UI, click Authorize, sign in, then "Try it out". Ctrl+C stops.',
    ''
  ]
  console.log(lines.join('\n'))

  // `npm run demo` runs this file in one Node process (node --import tsx), so a supervisor's
  // SIGTERM reaches the servers themselves. A second signal does not wait for the graceful close.
  let stopping = false
  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1)
    stopping = true
    console.log(`  ${signal}: closing the API and the provider.`)
    Promise.all([app.close(), idp?.close()]).then(() => process.exit(0), (err: unknown) => {
      console.error(err)
      process.exit(1)
    })
  }
  process.on('SIGINT', stop)
  process.on('SIGTERM', stop)
}

main().catch((err: unknown) => {
  console.error(err)
  process.exit(1)
})
