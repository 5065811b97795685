/**
 * A minimal RFC 7662 introspection endpoint for the "introspection, warm cache" row: it answers
 * every authenticated request for the one opaque token it knows as active. With a warm cache the
 * server under test should almost never call it; `hits` shows how often it did.
 */
import { createServer, type Server } from 'node:http'
import { listenLocal } from '../lib/testing/local-issuer.js'

/** A running endpoint. */
export interface IntrospectionEndpoint {
  endpoint: string
  clientId: string
  clientSecret: string
  /** The opaque token it reports as active. */
  token: string
  hits: { count: number }
  close: () => Promise<void>
}

async function close (server: Server): Promise<void> {
  const closed = new Promise<void>((resolve) => server.close(() => resolve()))
  server.closeAllConnections()
  await closed
}

/** Starts the endpoint on 127.0.0.1; `claims` go into each active response. */
export async function startIntrospectionEndpoint (claims: Record<string, unknown>): Promise<IntrospectionEndpoint> {
  const clientId = 'bench-resource-server'
  const clientSecret = 'bench-secret'
  const token = 'bench-opaque-token-0123456789abcdefghijklmnopqrstuvwxyz'
  const basic = `Basic ${Buffer.from(`${clientId}:${clientSecret}`).toString('base64')}`
  const hits = { count: 0 }
  const server = createServer((request, response) => {
    let body = ''
    request.on('data', (chunk) => { body += chunk })
    request.on('end', () => {
      hits.count++
      const form = new URLSearchParams(body)
      const authorised = request.headers.authorization === basic ||
        (form.get('client_id') === clientId && form.get('client_secret') === clientSecret)
      const answer = !authorised
        ? { status: 401, json: { error: 'invalid_client' } }
        : { status: 200, json: form.get('token') === token ? { active: true, token_type: 'Bearer', ...claims } : { active: false } }
      response.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.json))
    })
  })
  const port = await listenLocal(server, 0)
  return { endpoint: `http://127.0.0.1:${port}/introspect`, clientId, clientSecret, token, hits, close: async () => await close(server) }
}
