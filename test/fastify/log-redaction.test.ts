import t from 'tap'
import { logSerializers, redactURL } from '../../lib/fastify/log-redaction.js'

t.test('redactURL blanks credential parameters, however their name is encoded', async (t) => {
  t.equal(redactURL('/items?access_token=abc&x=1'), '/items?access_token=[redacted]&x=1')
  t.equal(redactURL('/items?x=1&access%5Ftoken=abc#frag'), '/items?x=1&access%5Ftoken=[redacted]#frag')
  t.equal(redactURL('/cb?code=abc&state=s'), '/cb?code=[redacted]&state=s')
  t.equal(redactURL('/items?client_secret'), '/items?client_secret=[redacted]')
  t.equal(redactURL('/items?refresh_token=a&id_token=b'), '/items?refresh_token=[redacted]&id_token=[redacted]')
})

t.test('redactURL leaves other URLs as they are, broken encodings included', async (t) => {
  t.equal(redactURL('/items'), '/items')
  t.equal(redactURL('/items?token_hint=1&%zz=2'), '/items?token_hint=1&%zz=2')
  t.equal(redactURL('/items#access_token=abc'), '/items#access_token=abc')
})

t.test('the req serializer keeps Fastify\'s fields and redacts the URL', async (t) => {
  const request = { method: 'GET', url: '/items?access_token=abc', host: 'api.example', ip: '127.0.0.1', socket: { remotePort: 1234 } }
  t.same(logSerializers.req(request as never), { method: 'GET', url: '/items?access_token=[redacted]', host: 'api.example', remoteAddress: '127.0.0.1', remotePort: 1234 })
})
