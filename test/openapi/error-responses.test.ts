import t from 'tap'

type Document = Record<string, any>
import { addErrorResponses, FORBIDDEN_MARKER } from '../../lib/openapi/error-responses.js'

t.test('operations without this scheme, and documents without any, are left as they are', async (t) => {
  const document = {
    paths: {
      '/a': { get: { responses: {} }, parameters: [] },
      '/b': { post: { security: [{ apiKey: [] }], responses: {} } }
    },
    components: {}
  }
  t.same(addErrorResponses(structuredClone(document), 'oauth2'), document)
  t.same(addErrorResponses({ openapi: '3.0.3' }, 'oauth2'), { openapi: '3.0.3' })
})

t.test('the marker adds 403 to a route without scopes and is removed; responses default to an empty object', async (t) => {
  const document: Document = addErrorResponses<Document>({ paths: { '/r': { get: { security: [{ oauth2: [] }], [FORBIDDEN_MARKER]: true } } } }, 'oauth2')
  t.same(Object.keys(document.paths['/r'].get.responses), ['400', '401', '403', '503'])
  t.notOk(FORBIDDEN_MARKER in document.paths['/r'].get)
  t.same(Object.keys(document.components.responses).sort(), ['OAuthGuardForbidden', 'OAuthGuardInvalidRequest', 'OAuthGuardUnauthorized', 'OAuthGuardUnavailable'])
})

t.test('your components.responses are copied, not changed', async (t) => {
  const mine = { Mine: { description: 'mine' } }
  const document: Document = addErrorResponses<Document>({ paths: { '/r': { get: { security: [{ oauth2: ['x'] }] } } }, components: { responses: mine, schemas: {} } }, 'oauth2')
  t.same(Object.keys(mine), ['Mine'])
  t.ok(document.components.responses.Mine)
  t.ok(document.components.schemas.OAuthGuardError)
})
