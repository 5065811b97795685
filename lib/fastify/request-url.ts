/**
 * The URL a client addressed, for a DPoP proof's `htu` (RFC 9449 §4.3): read only when a `DPoP`
 * header is present. Scheme and host are Fastify's `request.protocol` and `request.host`, which
 * follow its `trustProxy` (`X-Forwarded-Proto`, `X-Forwarded-Host` from a trusted proxy only);
 * the path is the request target's. The query is dropped later, with the normalisation
 * (lib/token/dpop-proof.ts).
 */
import type { FastifyRequest } from 'fastify'

/** `scheme://host/path` of `request`. */
export function requestURL (request: FastifyRequest): string {
  let path = request.url
  // An absolute-form request target (RFC 9112 §3.2.2): only its path counts, the host is Fastify's.
  if (!path.startsWith('/')) path = URL.canParse(path) ? new URL(path).pathname : '/'
  return `${request.protocol}://${request.host}${path}`
}
