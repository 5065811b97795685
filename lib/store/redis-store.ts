/**
 * `fastify-oauth-guard/redis`: the plugin's shared store on Redis, through the client your app
 * already has. Written for ioredis (what @fastify/redis decorates Fastify with) and typed by the
 * three commands it uses, so any ioredis 5 (or its fork iovalkey) fits and this package imports
 * no Redis client itself.
 *
 * - Keys: `prefix` + a namespace + a digest (SHA-256 of the token, never the token).
 * - Values: JSON without the token, written with their time to live in the same command
 *   (`SET key value PX ttl`); single-use values with `SET key 1 PX ttl NX`.
 * - A client whose connection was lost (ioredis `status` `reconnecting`, `close` or `end`) fails
 *   the call at once instead of queueing it; the plugin then answers as if there were no shared
 *   store. A client still making its first connection is sent commands (ioredis queues them).
 *
 * Not done here: the time bound of each call, the outage warning and recovery (the plugin's
 * `storeTimeout`, see lib/token/shared-store.ts), connection settings (your client's).
 *
 * @example
 * import fastifyRedis from '@fastify/redis'
 * import { redisStore } from 'fastify-oauth-guard/redis'
 * await app.register(fastifyRedis, { url: process.env.REDIS_URL })
 * await app.register(oauthGuard, { ...options, store: redisStore(app.redis) })
 */
import { InvalidOptionsError } from '../errors.js'
import type { SharedStore } from '../token/shared-store.js'

/** The part of an ioredis client the store uses. */
export interface RedisClientLike {
  get (key: string): Promise<string | null>
  set (key: string, value: string, unit: 'PX', ttl: number): Promise<unknown>
  set (key: string, value: string, unit: 'PX', ttl: number, condition: 'NX'): Promise<unknown>
  del (key: string): Promise<unknown>
  /** ioredis' connection state: a lost connection fails calls at once. */
  readonly status?: string
}

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /** Prepended to every key, so several APIs (or other data) can share one Redis. Default `oauth-guard:`. */
  prefix?: string
}

/** Default key prefix. */
export const DEFAULT_REDIS_PREFIX = 'oauth-guard:'

/** ioredis states of a lost connection, where commands would only pile up in its offline queue. */
const LOST = new Set(['reconnecting', 'close', 'end'])

class RedisStore implements SharedStore {
  readonly #client: RedisClientLike
  readonly #prefix: string

  constructor (client: RedisClientLike, prefix: string) {
    this.#client = client
    this.#prefix = prefix
  }

  async get (key: string): Promise<string | null> {
    return await this.#connected().get(this.#prefix + key)
  }

  async set (key: string, value: string, ttl: number): Promise<void> {
    await this.#connected().set(this.#prefix + key, value, 'PX', ttl)
  }

  async add (key: string, value: string, ttl: number): Promise<boolean> {
    return (await this.#connected().set(this.#prefix + key, value, 'PX', ttl, 'NX')) === 'OK'
  }

  async delete (key: string): Promise<void> {
    await this.#connected().del(this.#prefix + key)
  }

  /** The client, if it can send now: queued commands of a lost connection would only pile up. */
  #connected (): RedisClientLike {
    const status = this.#client.status
    if (status !== undefined && LOST.has(status)) throw new Error(`The Redis connection is ${status}`)
    return this.#client
  }
}

/**
 * The plugin's `store` on Redis, through `client` (e.g. `app.redis` from @fastify/redis).
 * Throws {@link InvalidOptionsError} when `client` or `options` are unusable.
 * @example store: redisStore(app.redis, { prefix: 'orders-api:' })
 */
export function redisStore (client: RedisClientLike, options: RedisStoreOptions = {}): SharedStore {
  const problems: string[] = []
  if (client === null || typeof client !== 'object' || typeof client.get !== 'function' || typeof client.set !== 'function' || typeof client.del !== 'function') {
    problems.push('redisStore client: expected an ioredis client (get, set and del), received ' + (client === null ? 'null' : typeof client))
  }
  if (options === null || typeof options !== 'object') problems.push(`redisStore options: expected an object, received ${options === null ? 'null' : typeof options}`)
  // Only a missing prefix takes the default: a `null` one is refused, not silently replaced.
  const prefix = options?.prefix === undefined ? DEFAULT_REDIS_PREFIX : options.prefix
  if (typeof prefix !== 'string') problems.push(`redisStore options.prefix: expected a string, received ${prefix === null ? 'null' : typeof prefix}`)
  if (problems.length > 0) throw new InvalidOptionsError(problems)
  return new RedisStore(client, prefix)
}
