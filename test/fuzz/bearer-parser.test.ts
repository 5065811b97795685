/**
 * Property tests of the Authorization header parser: whatever the input, it returns a token or
 * null, or throws one of this package's request errors, and it agrees with a reference model
 * written straight from RFC 6750 §2.1.
 */
import t from 'tap'
import fc from 'fast-check'
import { InvalidRequestError, InvalidTokenError } from '../../lib/errors.js'
import { parseBearerCredentials, readBearerToken } from '../../lib/token/bearer-token.js'

const RUNS = 3000

/** Outcome of a parse, comparable across implementations. */
type Outcome = { token: string | null } | { error: string }

function outcome (parse: () => string | null): Outcome {
  try {
    return { token: parse() }
  } catch (err) {
    if (err instanceof InvalidRequestError) return { error: `invalid_request:${err.reason}` }
    if (err instanceof InvalidTokenError) return { error: 'invalid_token' }
    throw err
  }
}

/**
 * RFC 6750 §2.1: `credentials = "Bearer" 1*SP b64token`, the scheme case-insensitive; a value whose
 * first word is not Bearer is another scheme (null). Surrounding whitespace is ignored, as Node
 * strips it from header values anyway.
 */
function model (header: string): Outcome {
  const value = header.trim()
  const match = /^bearer +([A-Za-z0-9\-._~+/]+=*)$/i.exec(value)
  if (match !== null) return { token: match[1] }
  const scheme = value.split(/[ \t]/, 1)[0]
  return scheme.toLowerCase() === 'bearer' ? { error: 'invalid_request:malformed' } : { token: null }
}

const b64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/'.split('')
/** Headers built from the pieces that matter, so most inputs are near the grammar's edges. */
const nearGrammar = fc.array(fc.oneof(
  fc.constantFrom('Bearer', 'bearer', 'BEARER', 'BeArEr', 'Basic', 'DPoP', 'Bearer,', 'Bearerx'),
  fc.constantFrom(' ', '  ', '\t', ' \t', '\u00a0', '\u3000', '\r', '\n', '\u0000'),
  fc.constantFrom('=', '==', ',', '"', '\\', ';', ':', '.', '..', '%20', 'é', '\ud800', '🔑'),
  fc.string({ unit: fc.constantFrom(...b64), minLength: 1, maxLength: 40 })
), { maxLength: 8 }).map((parts) => parts.join(''))
const anyText = fc.string({ unit: 'binary', maxLength: 200 })
const header = fc.oneof(nearGrammar, anyText)

t.test('parseBearerCredentials never throws anything but InvalidRequestError', async (t) => {
  fc.assert(fc.property(header, (value) => {
    const result = outcome(() => parseBearerCredentials(value))
    return 'token' in result || result.error.startsWith('invalid_request')
  }), { numRuns: RUNS })
  t.pass()
})

t.test('parseBearerCredentials agrees with the RFC 6750 reference model', async (t) => {
  fc.assert(fc.property(header, (value) => {
    const actual = outcome(() => parseBearerCredentials(value))
    const expected = model(value)
    if (JSON.stringify(actual) !== JSON.stringify(expected)) throw new Error(`${JSON.stringify(value)}: got ${JSON.stringify(actual)}, expected ${JSON.stringify(expected)}`)
  }), { numRuns: RUNS })
  t.pass()
})

t.test('a returned token is always a non-empty b64token within the header', async (t) => {
  fc.assert(fc.property(header, (value) => {
    const result = outcome(() => parseBearerCredentials(value))
    if (!('token' in result) || result.token === null) return true
    return /^[A-Za-z0-9\-._~+/]+=*$/.test(result.token) && value.includes(result.token)
  }), { numRuns: RUNS })
  t.pass()
})

const rawHeaders = fc.array(fc.tuple(
  fc.constantFrom('Authorization', 'authorization', 'AUTHORIZATION', 'Host', 'X-Authorization', 'Authorization2', 'Proxy-Authorization'),
  header
), { maxLength: 4 }).map((pairs) => pairs.flat())
const url = fc.oneof(
  fc.constant('/items'),
  fc.string({ unit: 'binary', maxLength: 60 }).map((q) => `/items?${q}`),
  fc.array(fc.constantFrom('access_token=x', 'access%5Ftoken=x', 'access_token', 'a=1', '%', '%zz', '&', '=', '#', '?'), { maxLength: 5 }).map((parts) => `/items?${parts.join('')}`)
)

t.test('readBearerToken, with any headers, URL and limit, throws only invalid_request or invalid_token', async (t) => {
  fc.assert(fc.property(fc.option(header, { nil: undefined }), rawHeaders, url, fc.integer({ min: 16, max: 100 }), (authorization, raw, target, maxTokenLength) => {
    const result = outcome(() => readBearerToken({ authorization, rawHeaders: raw, url: target }, { maxTokenLength }))
    if ('token' in result && result.token !== null) return result.token.length <= maxTokenLength
    return true
  }), { numRuns: RUNS })
  t.pass()
})

t.test('readBearerToken refuses every query string that carries access_token, however encoded', async (t) => {
  fc.assert(fc.property(url, (target) => {
    const query = target.slice(target.indexOf('?') + 1)
    const carries = new URLSearchParams(query).has('access_token')
    const result = outcome(() => readBearerToken({ authorization: undefined, url: target }))
    return carries === ('error' in result && result.error === 'invalid_request:query-token')
  }), { numRuns: RUNS })
  t.pass()
})

t.test('readBearerToken refuses two Authorization headers, whatever their values and case', async (t) => {
  fc.assert(fc.property(rawHeaders, (raw) => {
    const count = raw.filter((name, i) => i % 2 === 0 && name.toLowerCase() === 'authorization').length
    const result = outcome(() => readBearerToken({ authorization: 'Bearer abc', rawHeaders: raw }))
    return (count > 1) === ('error' in result && result.error === 'invalid_request:multiple-headers')
  }), { numRuns: RUNS })
  t.pass()
})
