import t from 'tap'
import { InvalidTokenError, ProviderUnavailableError } from '../../lib/errors.js'
import { ProviderRequestError } from '../../lib/token/http.js'
import { asHTTPError } from '../../lib/token/provider-failure.js'

t.test('a verdict on the token passes through as it is', async (t) => {
  const verdict = new InvalidTokenError()
  t.equal(asHTTPError(verdict, 5000), verdict)
})

t.test('any other failure is a 503 whose Retry-After is the option in seconds, with the failure as cause', async (t) => {
  const failure = new ProviderRequestError('timeout', 'https://idp.example/jwks')
  const error = asHTTPError(failure, 7000, { realm: 'api' })
  t.ok(error instanceof ProviderUnavailableError)
  t.equal(error.statusCode, 503)
  t.same(error.headers, { 'retry-after': '7' })
  t.equal(error.cause, failure)
  t.equal(asHTTPError(new TypeError('bug'), 5000).statusCode, 503, 'an unexpected error fails closed')
})
