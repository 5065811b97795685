/**
 * One discovery attempt when the server starts (`onReady`), so a wrong or unreachable issuer shows
 * in the log before the first request's 503. It never fails startup: the provider may come up
 * later, and requests needing it get 503 until it does, as before.
 */
import type { FastifyBaseLogger } from 'fastify'
import type { AuthorizationServerMetadata, MetadataResolver } from '../token/discovery.js'
import { describeProviderFailure } from '../token/provider-failure.js'

/** What the startup attempt needs to know. */
export interface StartupDiscoveryOptions {
  /** Fields requests will need; when options give them all, nothing is fetched at startup. */
  needed: ReadonlyArray<keyof AuthorizationServerMetadata>
  /** Fields given in options. */
  given: AuthorizationServerMetadata
  /** Milliseconds the attempt may hold startup (the `timeout` option). */
  timeout: number
  log: FastifyBaseLogger
}

/**
 * Discovers the metadata if some needed field is not given, waiting at most `timeout` ms; on
 * failure logs one warning naming the cause (connection refused, DNS, TLS, HTTP status, issuer
 * mismatch with both strings...). Resolves in every case.
 */
export async function discoverAtStartup (metadata: MetadataResolver, options: StartupDiscoveryOptions): Promise<void> {
  if (options.needed.every((field) => options.given[field] !== undefined)) return
  let timer: NodeJS.Timeout | undefined
  const timedOut = new Promise<'timeout'>((resolve) => { timer = setTimeout(resolve, options.timeout, 'timeout') })
  try {
    // Both requests of a discovery (OIDC, then RFC 8414) have their own timeout; startup waits one.
    const outcome = await Promise.race([metadata.discover(), timedOut])
    if (outcome === 'timeout') warn(options.log, `timed out after ${options.timeout} ms`)
  } catch (err) {
    warn(options.log, describeProviderFailure(err))
  } finally {
    clearTimeout(timer)
  }
}

function warn (log: FastifyBaseLogger, reason: string): void {
  log.warn({ reason }, `fastify-oauth-guard: discovery at startup failed (${reason}); requests that need the identity provider get 503 until it answers`)
}
