// Rare answers of an identity provider, met through discovery and the JSON fetch under it
// (lib/token/http.ts): error bodies, bodies too large or cut, empty answers, URLs that must not be
// fetched, and what the error message keeps of a URL.
import type { ServerResponse } from 'node:http'
import t, { type Test } from 'tap'
import { MetadataResolver } from '../../lib/token/discovery.js'
import { fetchJSON, MAX_RESPONSE_BYTES, ProviderRequestError, providerURLProblem } from '../../lib/token/http.js'
import { scriptedProvider } from '../fixtures/scripted-provider.js'

const provider = scriptedProvider

const send = (res: ServerResponse, status: number, text: string) => {
  res.writeHead(status, { 'content-type': 'application/json' }).end(text)
}

/** The error `promise` rejects with, which must be a ProviderRequestError. */
async function failure (t: Test, promise: Promise<unknown>): Promise<ProviderRequestError> {
  const err = await promise.then(() => undefined, (e: unknown) => e)
  t.type(err, ProviderRequestError)
  return err as ProviderRequestError
}

t.test('resolver.current is undefined until a discovery succeeds, then the merged document', async (t) => {
  const { origin } = await provider(t, (req, res, origin) => send(res, 200, JSON.stringify({ issuer: origin, jwks_uri: `${origin}/keys`, token_endpoint: `${origin}/t` })))
  const resolver = new MetadataResolver(origin, { token_endpoint: `${origin}/pinned` }, 1000)
  t.equal(resolver.current, undefined)
  await resolver.discover()
  t.same(resolver.current, { issuer: origin, jwks_uri: `${origin}/keys`, token_endpoint: `${origin}/pinned` })
})

t.test('no OIDC document and no RFC 8414 document: the failure names the RFC 8414 URL and its OAuth error code', async (t) => {
  const { origin, hits } = await provider(t, (req, res) => send(res, 404, JSON.stringify({ error: 'not_found', error_description: 'secret-ish text' })))
  const err = await failure(t, new MetadataResolver(`${origin}/realm`, {}, 1000).discover())
  t.same(hits, ['/realm/.well-known/openid-configuration', '/.well-known/oauth-authorization-server/realm'])
  t.equal(err.failure, 'status')
  t.equal(err.status, 404)
  t.equal(err.oauthError, 'not_found')
  t.equal(err.message, `status 404 not_found from ${origin}/.well-known/oauth-authorization-server/realm`)
  t.notMatch(err.message, /secret-ish/, 'the rest of the body is never kept')
})

t.test('an error body whose error is not an RFC 6749 code, or that is not JSON, gives no OAuth error code', async (t) => {
  const bodies: Record<string, string> = {
    '/html': '<html>Bad gateway</html>',
    '/null': 'null',
    '/number': '{"error":42}',
    '/quote': '{"error":"bad\\"code"}',
    '/long': JSON.stringify({ error: 'x'.repeat(65) }),
    '/empty': '{"error":""}'
  }
  const { origin } = await provider(t, (req, res) => send(res, 400, bodies[req.url ?? '']!))
  for (const path of Object.keys(bodies)) {
    const err = await failure(t, fetchJSON(`${origin}${path}`))
    t.same({ failure: err.failure, status: err.status, oauthError: err.oauthError, message: err.message }, { failure: 'status', status: 400, oauthError: undefined, message: `status 400 from ${origin}${path}` }, path)
  }
})

t.test('a Content-Length above the limit is refused before the body is read', async (t) => {
  const { origin } = await provider(t, (req, res) => {
    // Announces more than the limit, sends one byte and waits: only the header can refuse it.
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(MAX_RESPONSE_BYTES + 1) })
    res.write('{')
  })
  const err = await failure(t, fetchJSON(`${origin}/big`, { timeout: 2000 }))
  t.same({ failure: err.failure, status: err.status, message: err.message }, { failure: 'too-large', status: 200, message: `too-large 200 from ${origin}/big` })
})

t.test('a chunked body that grows past the limit is refused while it streams', async (t) => {
  const { origin } = await provider(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    const chunk = Buffer.alloc(64 * 1024, 0x20)
    for (let sent = 0; sent <= MAX_RESPONSE_BYTES; sent += chunk.length) res.write(chunk)
    res.end('{}')
  })
  const err = await failure(t, fetchJSON(`${origin}/stream`))
  t.same({ failure: err.failure, status: err.status }, { failure: 'too-large', status: 200 })
})

t.test('a body exactly at the limit is read', async (t) => {
  const { origin } = await provider(t, (req, res) => {
    const text = `{"a":"${'x'.repeat(MAX_RESPONSE_BYTES - 8)}"}`
    res.writeHead(200, { 'content-type': 'application/json' }).end(text)
  })
  const body = await fetchJSON(`${origin}/edge`)
  t.equal((body.a as string).length, MAX_RESPONSE_BYTES - 8)
})

t.test('a body that stops arriving is a timeout', async (t) => {
  const { origin } = await provider(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"issuer":')
  })
  const err = await failure(t, fetchJSON(`${origin}/stalled`, { timeout: 400 }))
  t.same({ failure: err.failure, status: err.status, message: err.message }, { failure: 'timeout', status: undefined, message: `timeout from ${origin}/stalled` })
})

t.test('a connection cut in the middle of the body is a network failure', async (t) => {
  const { origin } = await provider(t, (req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' })
    res.write('{"issuer":', () => res.destroy())
  })
  const err = await failure(t, fetchJSON(`${origin}/cut`))
  t.same({ failure: err.failure, status: err.status, message: err.message }, { failure: 'network', status: undefined, message: `network from ${origin}/cut` })
  t.type(err.cause, Error, 'the underlying error is kept as the cause, for the log')
})

t.test('a 204 answer without a body is not a JSON object', async (t) => {
  const { origin } = await provider(t, (req, res) => res.writeHead(204).end())
  const err = await failure(t, fetchJSON(`${origin}/nothing`))
  t.same({ failure: err.failure, message: err.message }, { failure: 'invalid-json', message: `invalid-json from ${origin}/nothing` })
})

t.test('with uniqueMembers, a repeated member name is refused; without it, JSON.parse keeps the last', async (t) => {
  const { origin } = await provider(t, (req, res) => send(res, 200, '{"active":false,"active":true}'))
  const err = await failure(t, fetchJSON(`${origin}/dup`, { uniqueMembers: true }))
  t.same({ failure: err.failure, message: err.message }, { failure: 'duplicate-members', message: `duplicate-members from ${origin}/dup` })
  t.same(await fetchJSON(`${origin}/dup`), { active: true })
})

t.test('a URL that is not https (or http on loopback) is refused without a request, and the message keeps no secret', async (t) => {
  const { origin, hits } = await provider(t, (req, res) => send(res, 200, '{}'))
  const cases: Array<[string, string]> = [
    ['not a URL', 'insecure-url from <invalid URL>'],
    // An opaque URL has no origin and its content is its path: only the scheme is shown.
    ['data:application/json,{"keys":[]}', 'insecure-url from data:…'],
    ['http://keys.example.com/jwks?client_secret=s3cr3t', 'insecure-url from http://keys.example.com/jwks'],
    ['ftp://127.0.0.1/jwks', 'insecure-url from ftp://127.0.0.1/jwks']
  ]
  for (const [url, message] of cases) {
    const err = await failure(t, fetchJSON(url))
    t.same({ failure: err.failure, message: err.message }, { failure: 'insecure-url', message }, url)
  }
  t.same(hits, [], 'nothing was fetched')
  t.same(await fetchJSON(`${origin}/ok`), {}, 'http on 127.0.0.1 is fetched')
})

t.test('credentials and the query of a URL never reach the error message', async (t) => {
  const { origin } = await provider(t, (req, res) => send(res, 500, '{"error":"server_error"}'))
  const err = await failure(t, fetchJSON(`${origin}/jwks?token=abcdef`))
  t.equal(err.message, `status 500 server_error from ${origin}/jwks`)
  const port = new URL(origin).port
  // fetch refuses a URL with credentials before any request: a network failure, redacted too.
  const withCredentials = await failure(t, fetchJSON(`http://user:p4ssw0rd@127.0.0.1:${port}/jwks`))
  t.equal(withCredentials.failure, 'network')
  t.equal(withCredentials.message, `network from http://127.0.0.1:${port}/jwks`)
})

t.test('providerURLProblem names what is wrong: a non-string, a relative URL, a scheme or a host', async (t) => {
  t.equal(providerURLProblem(42), 'expected a URL, received number')
  t.equal(providerURLProblem(undefined), 'expected a URL, received undefined')
  t.equal(providerURLProblem('/jwks'), 'expected an absolute URL')
  t.equal(providerURLProblem('http://10.0.0.1/jwks'), 'expected an https URL (http is allowed on a loopback host only)')
  t.equal(providerURLProblem('http://127.0.0.1.example.com/jwks'), 'expected an https URL (http is allowed on a loopback host only)')
  for (const ok of ['https://id.example.com/jwks', 'http://localhost:8080/jwks', 'http://[::1]/jwks', 'http://127.1.2.3/jwks']) {
    t.equal(providerURLProblem(ok), null, ok)
  }
})
