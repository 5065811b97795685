import t from 'tap'
import { bearerChallenge, challenges } from '../../lib/token/www-authenticate.js'

t.test('no attributes is a bare Bearer challenge', async (t) => {
  t.equal(bearerChallenge(), 'Bearer')
  t.equal(bearerChallenge({ error: undefined }), 'Bearer')
})

t.test('attributes come in a fixed order, quoted', async (t) => {
  t.equal(
    bearerChallenge({ scope: 'a b', error: 'insufficient_scope', realm: 'api', error_description: 'd' }),
    'Bearer realm="api", error="insufficient_scope", error_description="d", scope="a b"'
  )
  t.equal(bearerChallenge({ error: 'insufficient_user_authentication', acr_values: 'mfa', max_age: 5 }), 'Bearer error="insufficient_user_authentication", acr_values="mfa", max_age="5"')
})

t.test('quotes and backslashes are escaped', async (t) => {
  t.equal(bearerChallenge({ realm: 'a"b\\c' }), 'Bearer realm="a\\"b\\\\c"')
})

t.test('challenges: the DPoP challenge beside Bearer, the error on the scheme used (RFC 9449 §7.1)', async (t) => {
  const offer = { algs: 'ES256 PS256', bearer: true }
  const error = { realm: 'api', error: 'invalid_token', error_description: 'd' }
  t.equal(challenges({}, 'Bearer', null), 'Bearer')
  t.equal(challenges({}, 'Bearer', offer), 'Bearer, DPoP algs="ES256 PS256"')
  t.equal(challenges(error, 'Bearer', offer), 'Bearer realm="api", error="invalid_token", error_description="d", DPoP realm="api", algs="ES256 PS256"')
  t.equal(challenges(error, 'DPoP', offer), 'Bearer realm="api", DPoP realm="api", error="invalid_token", error_description="d", algs="ES256 PS256"')
  t.equal(challenges(error, 'DPoP', { ...offer, bearer: false }), 'DPoP realm="api", error="invalid_token", error_description="d", algs="ES256 PS256"')
  t.equal(challenges({ realm: 'api' }, 'Bearer', { ...offer, bearer: false }), 'DPoP realm="api", algs="ES256 PS256"')
  t.equal(challenges(error, 'Bearer', { ...offer, bearer: false }), 'Bearer realm="api", error="invalid_token", error_description="d", DPoP realm="api", algs="ES256 PS256"')
})

t.test('characters a header cannot carry are replaced, so the challenge can always be sent', async (t) => {
  t.equal(bearerChallenge({ error: 'insufficient_scope', scope: 'items:\u2713 caf\u00e9\n' }), 'Bearer error="insufficient_scope", scope="items:? caf??"')
})
