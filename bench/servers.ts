/**
 * The servers compared by the benchmark. Each one answers `GET /items` with the same small JSON
 * body; they differ only in how (and whether) the Bearer token is checked.
 */
import Fastify, { type FastifyInstance } from 'fastify'
import type { JWK } from 'jose'
import { createFloorVerifier } from './floor-verifier.js'

/** Which server to build. */
export type ServerKind = 'bare' | 'floor' | 'plugin' | 'plugin-nocache' | 'introspection' | 'introspection-shared' | 'fastify-jwt' | 'fastify-jwt-cache'

/** Everything a server process needs, passed as JSON in the `BENCH_SERVER` environment variable. */
export interface ServerSpec {
  kind: ServerKind
  issuer: string
  audience: string
  jwksUri: string
  /** Public JWKs of the issuer, for the floor. */
  keys: JWK[]
  /** SPKI PEM of the key that signs this server's tokens, for @fastify/jwt. */
  pem: string
  /** JWS algorithm of this server's tokens. */
  alg: string
  /** RFC 7662 endpoint and client, for the introspection server. */
  introspection?: { endpoint: string, clientId: string, clientSecret: string }
  /** Entries of the plugin's token cache. */
  cacheEntries: number
  /** Port of the Redis on 127.0.0.1 the `introspection-shared` servers share. */
  redisPort?: number
}

const BODY = { items: [] }
const handler = async () => BODY

/** Builds the Fastify app of one configuration. */
export async function buildServer (spec: ServerSpec): Promise<FastifyInstance> {
  const app = Fastify({ logger: false })
  switch (spec.kind) {
    case 'bare':
      app.get('/items', handler)
      break
    case 'floor': {
      const verifyToken = createFloorVerifier({ issuer: spec.issuer, audience: spec.audience, keys: spec.keys })
      app.get('/items', {
        onRequest (request, reply, done) {
          if (verifyToken(request.headers.authorization) === null) {
            reply.code(401).send()
            return
          }
          done()
        }
      }, handler)
      break
    }
    case 'plugin':
    case 'plugin-nocache':
    case 'introspection':
    case 'introspection-shared':
      await registerPlugin(app, spec)
      app.get('/items', { schema: { security: [{ oauth2: ['items:read'] }] } }, handler)
      break
    case 'fastify-jwt':
    case 'fastify-jwt-cache': {
      const { default: fastifyJwt } = await import('@fastify/jwt')
      await app.register(fastifyJwt, {
        secret: { public: spec.pem },
        verify: {
          algorithms: [spec.alg as 'RS256'],
          allowedIss: spec.issuer,
          allowedAud: spec.audience,
          cache: spec.kind === 'fastify-jwt-cache'
        }
      })
      app.get('/items', { onRequest: async (request) => { await request.jwtVerify() } }, handler)
      break
    }
  }
  return app
}

async function registerPlugin (app: FastifyInstance, spec: ServerSpec): Promise<void> {
  const { default: oauthGuard } = await import('../lib/index.js')
  const common = { issuer: spec.issuer, audience: spec.audience }
  if (spec.kind === 'introspection' || spec.kind === 'introspection-shared') {
    if (spec.introspection === undefined) throw new Error('introspection server without an endpoint')
    let store
    if (spec.kind === 'introspection-shared') {
      const [{ Redis }, { redisStore }] = await Promise.all([import('ioredis'), import('../lib/store/redis-store.js')])
      const redis = new Redis({ host: '127.0.0.1', port: spec.redisPort })
      app.addHook('onClose', async () => { redis.disconnect() })
      store = redisStore(redis)
    }
    await app.register(oauthGuard, {
      ...common,
      validation: 'introspection',
      metadata: { jwks_uri: spec.jwksUri, introspection_endpoint: spec.introspection.endpoint },
      introspection: {
        clientId: spec.introspection.clientId,
        clientSecret: spec.introspection.clientSecret,
        // The shared pair keeps each answer for the whole run, so "one provider call per distinct
        // token across both instances" is exact; with the default (a minute) a long run re-asks.
        ...(spec.kind === 'introspection-shared' ? { cacheMaxTTL: 3_600_000 } : {})
      },
      store
    })
    return
  }
  await app.register(oauthGuard, {
    ...common,
    metadata: { jwks_uri: spec.jwksUri },
    cache: spec.kind === 'plugin-nocache' ? false : { maxEntries: spec.cacheEntries }
  })
}
