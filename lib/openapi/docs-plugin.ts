/**
 * The `docs` option: registers @fastify/swagger and @fastify/swagger-ui with the pieces from
 * {@link oauthGuardDocs}. Both are optional peer dependencies, loaded only when `docs` is set.
 */
import type { FastifyInstance, FastifyPluginAsync } from 'fastify'
import { InvalidOptionsError } from '../errors.js'
import type { DocsOptions } from './docs-options.js'
import { oauthGuardDocs } from './docs-pieces.js'

/**
 * The optional peers `docs` needs, with the major to install: the newest each peer range in
 * package.json accepts (test/openapi/docs-plugin.test.ts keeps the two in step).
 */
export const DOCS_PEERS = Object.freeze({ '@fastify/swagger': '9', '@fastify/swagger-ui': '6' })

/** Registers the documentation on `fastify` (the plugin's own instance, before any API route). */
export async function registerDocs (fastify: FastifyInstance, options: DocsOptions): Promise<void> {
  const pieces = oauthGuardDocs(fastify, options)
  const [swagger, swaggerUI] = await loadPeers(Object.keys(DOCS_PEERS))
  await fastify.register(swagger, pieces.swagger)
  await fastify.register(swaggerUI, pieces.swaggerUI)
}

type Importer = (name: string) => Promise<unknown>

/**
 * Imports the optional peer dependencies `names`, in order. When some are missing, one options
 * error names all of them with the single command that installs them, so a user does not learn
 * of the second only after installing the first. Other import errors (a broken install, a missing
 * module *inside* a peer) pass through unchanged.
 */
export async function loadPeers (names: readonly string[], importer: Importer = async (n) => await import(n)): Promise<Array<FastifyPluginAsync<any>>> {
  const outcomes = await Promise.allSettled(names.map(async (name) => ((await importer(name)) as { default: FastifyPluginAsync<any> }).default))
  const missing = names.filter((name, i) => isMissing(outcomes[i], name))
  if (missing.length > 0) {
    const install = missing.map((name) => `${name}@${DOCS_PEERS[name as keyof typeof DOCS_PEERS] ?? 'latest'}`).join(' ')
    throw new InvalidOptionsError([`options.docs: expected ${missing.join(' and ')} to be installed (run: npm install ${install}), received ${missing.length === 1 ? 'a missing module' : 'missing modules'}`])
  }
  return outcomes.map((outcome) => {
    if (outcome.status === 'rejected') throw outcome.reason
    return outcome.value
  })
}

/** Whether `outcome` failed because the package `name` itself is not installed. */
function isMissing (outcome: PromiseSettledResult<unknown>, name: string): boolean {
  if (outcome.status === 'fulfilled') return false
  const err = outcome.reason as { code?: string, message?: string }
  // Node names the package it could not find; a peer that is there but lacks one of its own
  // dependencies is a broken install, not a missing peer.
  return err.code === 'ERR_MODULE_NOT_FOUND' && typeof err.message === 'string' && err.message.includes(`'${name}'`)
}
