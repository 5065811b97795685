/**
 * How the token travels: its size, the header's size and bytes, several Authorization headers,
 * odd spacing, and tokens offered in the query string or a form body. Wire-level cases go over a
 * raw socket, so the bytes are exactly the attacker's.
 */
import t, { type Test } from 'tap'
import type { AddressInfo } from 'node:net'
import { DEFAULT_MAX_TOKEN_LENGTH } from '../../lib/token/bearer-token.js'
import { assertRefused, attackApp, fileLogs, invalidToken, malformed, noCredentials, type Refusal } from '../fixtures/attack-app.js'
import { checkNoSecretsLogged } from '../fixtures/log-capture.js'
import { rawRequest } from '../fixtures/raw-http.js'

const target = await attackApp(t)
await target.app.listen({ port: 0, host: '127.0.0.1' })
const port = (target.app.server.address() as AddressInfo).port
const valid = await target.issuer.sign()
fileLogs.secret(valid)
const multiple: Refusal = {
  status: 400,
  challenge: 'Bearer error="invalid_request", error_description="More than one Authorization header"',
  code: 'OAUTH_GUARD_INVALID_REQUEST'
}
const queryToken: Refusal = {
  status: 400,
  challenge: 'Bearer error="invalid_request", error_description="Access tokens are not accepted in the query string"',
  code: 'OAUTH_GUARD_INVALID_REQUEST'
}

/** Sends raw header lines to GET /private and checks the refusal and the handler count. */
async function rawRefusal (t: Test, lines: string[], expected: Refusal | number): Promise<void> {
  target.handled.count = 0
  const response = await rawRequest(port, `GET /private HTTP/1.1\r\nHost: 127.0.0.1\r\n${lines.map((l) => `${l}\r\n`).join('')}`)
  if (typeof expected === 'number') {
    t.equal(response.status, expected, 'status set by Node\'s HTTP parser')
  } else {
    t.equal(response.status, expected.status, 'status')
    t.equal(response.headers['www-authenticate'], expected.challenge, 'www-authenticate')
    t.equal(JSON.parse(response.body).code, expected.code, 'body code')
  }
  t.equal(target.handled.count, 0, 'the handler never ran')
}

async function serverStillAnswers (t: Test): Promise<void> {
  const response = await rawRequest(port, `GET /private HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${valid}\r\n`)
  t.equal(response.status, 200, 'the server still answers a valid request')
}

t.test('control: a valid token over a raw socket is accepted', async (t) => {
  await serverStillAnswers(t)
})

t.test(`a token longer than ${DEFAULT_MAX_TOKEN_LENGTH} characters is refused before any parsing`, async (t) => {
  assertRefused(t, target, await target.send('a'.repeat(DEFAULT_MAX_TOKEN_LENGTH + 1)), invalidToken)
})

t.test('a valid token padded past the limit with an extra claim is refused', async (t) => {
  const big = await target.issuer.sign({ filler: 'x'.repeat(DEFAULT_MAX_TOKEN_LENGTH) })
  assertRefused(t, target, await target.send(big), invalidToken)
})

t.test('maxTokenLength is configurable: a valid token above it is refused', async (t) => {
  const small = await attackApp(t, { maxTokenLength: 64 })
  assertRefused(t, small, await small.send(await small.issuer.sign()), invalidToken)
})

t.test('an Authorization header over Node\'s 16 KiB header limit gets 431 and the server stays up', async (t) => {
  await rawRefusal(t, [`Authorization: Bearer ${'a'.repeat(20 * 1024)}`], 431)
  await serverStillAnswers(t)
})

t.test('many headers adding up past the limit get 431 and the server stays up', async (t) => {
  await rawRefusal(t, Array.from({ length: 400 }, (_, i) => `X-Filler-${i}: ${'b'.repeat(50)}`), 431)
  await serverStillAnswers(t)
})

t.test('non-ASCII bytes in the token are malformed', async (t) => {
  await rawRefusal(t, [`Authorization: Bearer ${valid.slice(0, 20)}\u00e9\u00e8${valid.slice(20)}`], malformed)
})

t.test('UTF-8 in the token sent through inject is malformed', async (t) => {
  target.handled.count = 0
  const response = await target.app.inject({ url: '/private', headers: { authorization: 'Bearer tökén.ünïcødé.✓' } })
  assertRefused(t, target, response, malformed)
})

for (const [name, char] of [['NUL', '\u0000'], ['SOH', '\u0001'], ['DEL', '\u007f'], ['a bare LF', '\n'], ['a bare CR', '\r']] as const) {
  t.test(`${name} inside the token is refused by Node's HTTP parser and the server stays up`, async (t) => {
    await rawRefusal(t, [`Authorization: Bearer ${valid.slice(0, 10)}${char}${valid.slice(10)}`], 400)
    await serverStillAnswers(t)
  })
}

t.test('a tab inside the token is malformed', async (t) => {
  await rawRefusal(t, [`Authorization: Bearer ${valid.slice(0, 10)}\t${valid.slice(10)}`], malformed)
})

t.test('two Authorization headers, both valid, are refused', async (t) => {
  await rawRefusal(t, [`Authorization: Bearer ${valid}`, `Authorization: Bearer ${valid}`], multiple)
})

t.test('two Authorization headers in different cases are refused', async (t) => {
  await rawRefusal(t, [`authorization: Bearer ${valid}`, 'AUTHORIZATION: Basic dXNlcjpwYXNz'], multiple)
})

t.test('an empty second Authorization header still counts', async (t) => {
  await rawRefusal(t, [`Authorization: Bearer ${valid}`, 'Authorization:'], multiple)
})

t.test('two Bearer credentials in one header are malformed', async (t) => {
  await rawRefusal(t, [`Authorization: Bearer ${valid}, Bearer ${valid}`], malformed)
})

const spacing: Array<[string, string, Refusal | 200]> = [
  ['two spaces after Bearer (RFC 6750: 1*SP)', `Bearer  ${valid}`, 200],
  ['lower-case scheme', `bearer ${valid}`, 200],
  ['upper-case scheme', `BEARER ${valid}`, 200],
  ['a tab after Bearer', `Bearer\t${valid}`, malformed],
  ['no space after Bearer', `Bearer${valid}`, noCredentials],
  ['Bearer alone', 'Bearer', malformed],
  ['a trailing word', `Bearer ${valid} extra`, malformed],
  ['a quoted token', `Bearer "${valid}"`, malformed],
  ['an auth-param instead of a token', `Bearer token="${valid}"`, malformed],
  ['a comma after the token', `Bearer ${valid},`, malformed],
  ['a non-breaking space after Bearer', `Bearer\u00a0${valid}`, noCredentials]
]
for (const [name, authorization, expected] of spacing) {
  t.test(`Authorization with ${name}: ${expected === 200 ? 'accepted' : `refused ${expected.status}`}`, async (t) => {
    const response = await target.app.inject({ url: '/private', headers: { authorization } })
    if (expected === 200) {
      t.equal(response.statusCode, 200)
    } else {
      target.handled.count = 0
      assertRefused(t, target, await target.app.inject({ url: '/private', headers: { authorization } }), expected)
    }
  })
}

t.test('a token in the query string is refused, even with a valid header', async (t) => {
  target.handled.count = 0
  assertRefused(t, target, await target.app.inject({ url: `/private?access_token=${valid}` }), queryToken)
  assertRefused(t, target, await target.app.inject({ url: `/private?x=1&access_token=${valid}`, headers: { authorization: `Bearer ${valid}` } }), queryToken)
})

t.test('a token in the query string under a percent-encoded name is refused too', async (t) => {
  target.handled.count = 0
  assertRefused(t, target, await target.app.inject({ url: `/private?access%5Ftoken=${valid}` }), queryToken)
})

t.test('a token in a form body is never read: no credentials', async (t) => {
  target.handled.count = 0
  const response = await target.app.inject({
    method: 'POST',
    url: '/private',
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
    payload: `access_token=${valid}`
  })
  assertRefused(t, target, response, noCredentials)
})

t.test('a token in another header (Proxy-Authorization, X-Access-Token) is never read', async (t) => {
  target.handled.count = 0
  const response = await target.app.inject({ url: '/private', headers: { 'proxy-authorization': `Bearer ${valid}`, 'x-access-token': valid } })
  assertRefused(t, target, response, noCredentials)
})

t.test('a token in a cookie is never read', async (t) => {
  target.handled.count = 0
  assertRefused(t, target, await target.app.inject({ url: '/private', headers: { cookie: `access_token=${valid}` } }), noCredentials)
})

checkNoSecretsLogged(t, fileLogs)
