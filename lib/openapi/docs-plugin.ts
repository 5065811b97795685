/**
 * The `docs` option: registers @fastify/swagger and @fastify/swagger-ui with the pieces from
 * {@link oauthGuardDocs}. Both are optional peer dependencies, loaded only when `docs` is set.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { InvalidOptionsError } from '../errors.js'
import type { DocsOptions } from './docs-options.js'
import { oauthGuardDocs } from './docs-pieces.js'

/** Registers the documentation on `fastify` (the plugin's own instance, before any API route). */
export async function registerDocs (fastify: FastifyInstance, options: DocsOptions): Promise<void> {
  const pieces = oauthGuardDocs(fastify, options)
  const swagger = await load('@fastify/swagger')
  const swaggerUI = await load('@fastify/swagger-ui')
  await fastify.register(swagger, pieces.swagger)
  await fastify.register(swaggerUI, pieces.swaggerUI)
}

/** Imports an optional peer dependency, naming the missing one in an options error. */
export async function load (name: string, importer: (name: string) => Promise<unknown> = async (n) => await import(n)): Promise<FastifyPluginAsync<any>> {
  try {
    const module = await importer(name) as { default: FastifyPluginAsync<any> }
    return module.default
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_MODULE_NOT_FOUND') throw err
    throw new InvalidOptionsError([`options.docs: expected ${name} to be installed (npm install ${name}), received a missing module`])
  }
}
