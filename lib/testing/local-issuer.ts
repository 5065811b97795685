import { createServer } from 'node:http'
import type { IncomingMessage, Server, ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import type { CryptoKey, JWK } from 'jose'
import { KeyStore, generateIssuerKeyPair, isSigningAlgorithm, SIGNING_ALGORITHMS } from './key-store.js'
import type { IssuerKeyPair } from './key-store.js'
import { resolveIssuerOptions } from './issuer-options.js'
import type { LocalIssuerOptions } from './issuer-options.js'
import { signAccessToken } from './token-signer.js'
import type { SignOptions } from './token-signer.js'

/** A local OAuth 2.0 / OpenID Connect issuer for tests: discovery, JWKS and a token signer. */
export interface LocalIssuer {
  /** `http://127.0.0.1:PORT` followed by the configured path. */
  readonly issuer: string
  /** `${issuer}/jwks` */
  readonly jwksUri: string
  /** Default `aud` of signed tokens. */
  readonly audience: string
  /**
   * Signs an access token. Defaults: `iss`, `aud`, `sub` `'user-1'`, `iat`, `exp` (now + 300 s),
   * `jti`, header `typ` `'at+jwt'`; `claims` override them and a claim set to `undefined` is removed.
   * @throws {Error} when the issuer has no key for `options.alg` and no `options.key` is given
   */
  sign: (claims?: Record<string, unknown>, options?: SignOptions) => Promise<string>
  /** Adds a new key for `alg` (default: the first algorithm) and signs with it from now on; returns its kid. */
  rotateKey: (alg?: string) => Promise<string>
  /**
   * Removes a key from the published JWKS. It is not deleted: `keyPair(kid)` still returns it and,
   * if it was the signing key for its algorithm, `sign()` keeps using it until `rotateKey()`.
   * @throws {Error} when `kid` is unknown or already removed
   */
  removeKey: (kid: string) => void
  /** The public JWK Set as served at `jwksUri` (a fresh copy). */
  jwks: () => { keys: JWK[] }
  /**
   * A key pair, published or removed, e.g. to sign HS256 with the public key bytes;
   * default: the signing key of the first algorithm.
   * @throws {Error} when `kid` is unknown
   */
  keyPair: (kid?: string) => IssuerKeyPair
  /** Requests received, per URL path (query excluded), whatever the outcome. */
  readonly hits: Record<string, number>
  /** Stops listening and ends open connections; safe to call twice. */
  close: () => Promise<void>
}

/** Resolves with the bound port once `server` listens on 127.0.0.1. */
export async function listenLocal (server: Server, port: number): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(port, '127.0.0.1', () => {
      server.off('error', reject)
      resolve()
    })
  })
  return (server.address() as AddressInfo).port
}

/** Stops `server` and destroys its connections, including ones waiting on a response. */
async function closeServer (server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await closed
}

function sendJSON (request: IncomingMessage, response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    // Rotation tests need every fetch to see the current keys.
    'cache-control': 'no-store'
  })
  response.end(request.method === 'HEAD' ? undefined : text)
}

/**
 * Starts a local issuer on 127.0.0.1. It serves OpenID discovery at
 * `${issuer}/.well-known/openid-configuration`, RFC 8414 metadata at
 * `/.well-known/oauth-authorization-server${path}`, and the JWKS at `${issuer}/jwks` (and `/jwks`).
 * The advertised authorization and token endpoints answer 404: it issues tokens only through `sign()`.
 * Framework-free; for tests only, never for production keys.
 * @throws {TypeError} on invalid options, listing every problem
 * @see https://openid.net/specs/openid-connect-discovery-1_0.html#ProviderConfig
 * @see https://www.rfc-editor.org/rfc/rfc8414#section-3.1
 * @example
 * const issuer = await createLocalIssuer({ path: '/realms/demo' })
 * const token = await issuer.sign({ scope: 'read:items' })
 * await issuer.close()
 */
export async function createLocalIssuer (options: LocalIssuerOptions = {}): Promise<LocalIssuer> {
  const config = resolveIssuerOptions(options)
  const store = new KeyStore()
  for (const pair of await Promise.all(config.algorithms.map(generateIssuerKeyPair))) store.add(pair)
  const defaultAlg = config.algorithms[0]
  const hits: Record<string, number> = Object.create(null)

  const metadata = (issuer: string): Record<string, unknown> => ({
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    jwks_uri: `${issuer}/jwks`,
    response_types_supported: ['code'],
    subject_types_supported: ['public'],
    id_token_signing_alg_values_supported: store.algorithms(),
    code_challenge_methods_supported: ['S256']
  })

  // Known once the port is bound; no request can arrive before that.
  let issuer = ''
  const routes = new Map<string, () => unknown>([
    [`${config.path}/.well-known/openid-configuration`, () => metadata(issuer)],
    [`/.well-known/oauth-authorization-server${config.path}`, () => metadata(issuer)],
    [`${config.path}/jwks`, () => store.jwks()],
    ['/jwks', () => store.jwks()]
  ])
  const server = createServer((request, response) => {
    const pathname = new URL(request.url ?? '/', 'http://127.0.0.1').pathname
    hits[pathname] = (hits[pathname] ?? 0) + 1
    const route = routes.get(pathname)
    if (route === undefined) return sendJSON(request, response, 404, { error: 'not_found' })
    if (request.method !== 'GET' && request.method !== 'HEAD') {
      response.setHeader('allow', 'GET, HEAD')
      return sendJSON(request, response, 405, { error: 'method_not_allowed' })
    }
    sendJSON(request, response, 200, route())
  })
  const port = await listenLocal(server, config.port)
  issuer = `http://127.0.0.1:${port}${config.path}`

  const findKey = (kid: string): IssuerKeyPair => {
    const pair = store.get(kid)
    if (pair === undefined) throw new Error(`Unknown kid ${JSON.stringify(kid)}`)
    return pair
  }
  let closing: Promise<void> | undefined

  return {
    issuer,
    jwksUri: `${issuer}/jwks`,
    audience: config.audience,
    hits,
    async sign (claims, signOptions = {}) {
      const alg = signOptions.alg ?? defaultAlg
      const own = store.active(alg)
      if (own === undefined && signOptions.key === undefined) {
        throw new Error(`No signing key for alg ${JSON.stringify(alg)}: pass options.key or call rotateKey() first`)
      }
      // A forged token (own key absent, e.g. HS256) still names a real kid, as an attacker's would.
      const kid = (own ?? store.active(defaultAlg))?.kid
      const key: CryptoKey | Uint8Array = signOptions.key ?? own!.privateKey
      return await signAccessToken({ issuer, audience: config.audience, alg, kid, key }, claims, signOptions)
    },
    async rotateKey (alg = defaultAlg) {
      if (!isSigningAlgorithm(alg)) {
        throw new TypeError(`rotateKey: expected one of ${SIGNING_ALGORITHMS.join(', ')}, received ${JSON.stringify(alg)}`)
      }
      const pair = await generateIssuerKeyPair(alg)
      store.add(pair)
      return pair.kid
    },
    removeKey (kid) {
      if (!store.unpublish(findKey(kid).kid)) throw new Error(`Key ${JSON.stringify(kid)} is already removed`)
    },
    jwks: () => store.jwks(),
    keyPair (kid) {
      const pair = kid === undefined ? store.active(defaultAlg)! : findKey(kid)
      return { ...pair, publicJwk: structuredClone(pair.publicJwk) }
    },
    close () {
      closing ??= closeServer(server)
      return closing
    }
  }
}
