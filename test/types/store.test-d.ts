// Type tests of the shared store options and of `fastify-oauth-guard/redis` with a real ioredis
// client: the structural client type must accept ioredis' own.
import Fastify from 'fastify'
import { Redis } from 'ioredis'
import oauthGuard, { type OAuthGuardOptions, type ReplayFallback, type SharedStore } from '../../lib/index.js'
import { redisStore, type RedisClientLike } from '../../lib/store/redis-store.js'

const app = Fastify()
const redis = new Redis({ lazyConnect: true })
const client: RedisClientLike = redis
const store: SharedStore = redisStore(redis, { prefix: 'orders-api:' })
await app.register(oauthGuard, { issuer: 'https://id.example.com', audience: 'api', validation: 'introspection', introspection: { clientId: 'a', clientSecret: 'b' }, store, storeTimeout: 50, storeReplayFallback: 'refuse' })

const fallback: ReplayFallback = 'local'
const options: OAuthGuardOptions = { issuer: 'https://id.example.com', audience: 'api', store: redisStore(client), storeReplayFallback: fallback }

// @ts-expect-error the fallback is 'local' or 'refuse'
const wrong: OAuthGuardOptions = { ...options, storeReplayFallback: 'open' }
// @ts-expect-error a store needs add (set-if-absent) too
const partial: SharedStore = { get: async () => null, set: async () => {}, delete: async () => {} }
// @ts-expect-error not a Redis client
redisStore({ get: async () => null })
// @ts-expect-error the prefix is a string
redisStore(redis, { prefix: 1 })

export { wrong, partial }
