import t from 'tap'
import { bearerChallenge } from '../../lib/token/www-authenticate.js'

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

t.test('characters a header cannot carry are replaced, so the challenge can always be sent', async (t) => {
  t.equal(bearerChallenge({ error: 'insufficient_scope', scope: 'items:\u2713 caf\u00e9\n' }), 'Bearer error="insufficient_scope", scope="items:? caf??"')
})
