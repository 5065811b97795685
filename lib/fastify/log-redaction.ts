/**
 * Keeps credentials out of Fastify's own request log. The plugin never logs a token, but Fastify
 * logs every request's URL, so a token a client put in the query string (refused with 400, RFC 6750
 * §2.3 says why) would still be written there. Pass {@link logSerializers} to Fastify's logger to
 * blank such parameters.
 *
 * Not redacted: headers (Fastify's default serializer does not log them; if yours does, drop
 * `authorization` yourself) and bodies (never logged by Fastify).
 */
import type { FastifyRequest } from 'fastify'

/** Query parameters whose value is replaced by `[redacted]`. */
export const REDACTED_QUERY_PARAMETERS: readonly string[] = Object.freeze(['access_token', 'refresh_token', 'id_token', 'client_secret', 'code'])

/** `url` with the value of every {@link REDACTED_QUERY_PARAMETERS} entry replaced, whatever the name's encoding. */
export function redactURL (url: string): string {
  const q = url.indexOf('?')
  if (q === -1) return url
  const hash = url.indexOf('#', q)
  const query = url.slice(q + 1, hash === -1 ? undefined : hash)
  const redacted = query.split('&').map((pair) => {
    const eq = pair.indexOf('=')
    const rawName = eq === -1 ? pair : pair.slice(0, eq)
    return REDACTED_QUERY_PARAMETERS.includes(decodeName(rawName)) ? `${rawName}=[redacted]` : pair
  })
  return `${url.slice(0, q + 1)}${redacted.join('&')}${hash === -1 ? '' : url.slice(hash)}`
}

function decodeName (name: string): string {
  try {
    return decodeURIComponent(name.replace(/\+/g, ' '))
  } catch {
    return name
  }
}

/**
 * Fastify logger serializers: the default `req` fields, with the URL passed through
 * {@link redactURL}.
 *
 * @example
 * const app = Fastify({ logger: { serializers: logSerializers } })
 */
export const logSerializers = Object.freeze({
  req (request: FastifyRequest) {
    return {
      method: request.method,
      url: redactURL(request.url),
      host: request.host,
      remoteAddress: request.ip,
      remotePort: request.socket?.remotePort
    }
  }
})
