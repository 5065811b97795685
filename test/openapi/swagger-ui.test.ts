import t from 'tap'
import { resolveDocsOptions } from '../../lib/openapi/docs-options.js'
import { buildInitOAuth, docsPath, injectSelectedScopes, SELECTED_SCOPES_PLACEHOLDER, selectedScopes, swaggerUIRedirectURI } from '../../lib/openapi/swagger-ui.js'

t.test('the redirect URI lives under the docs path, prefixes and proxy paths included', async (t) => {
  t.equal(docsPath('/', '/docs'), '/docs')
  t.equal(docsPath('/api/', '/docs'), '/api/docs')
  t.equal(swaggerUIRedirectURI('http://127.0.0.1:3000', '/docs'), 'http://127.0.0.1:3000/docs/static/oauth2-redirect.html')
  t.equal(swaggerUIRedirectURI('https://example.com/proxy/', '/api/docs'), 'https://example.com/proxy/api/docs/static/oauth2-redirect.html')
})

t.test('initOAuth: PKCE always, your other settings kept, never a client secret', async (t) => {
  const docs = resolveDocsOptions({
    clientId: 'swagger-ui',
    authorizationParams: { audience: 'https://api.example.com' },
    swaggerUI: { initOAuth: { appName: 'Demo', clientSecret: 'never', usePkceWithAuthorizationCodeGrant: false, additionalQueryStringParams: { prompt: 'login' } } }
  })
  t.same(buildInitOAuth(docs), {
    appName: 'Demo',
    clientId: 'swagger-ui',
    scopes: SELECTED_SCOPES_PLACEHOLDER,
    usePkceWithAuthorizationCodeGrant: true,
    additionalQueryStringParams: { prompt: 'login', audience: 'https://api.example.com' }
  })
})

t.test('the placeholder is replaced by the selected scopes in the served script', async (t) => {
  const script = `ui.initOAuth(${JSON.stringify(buildInitOAuth(resolveDocsOptions({})))})`
  t.equal(injectSelectedScopes(script, ['openid', 'items:read']), 'ui.initOAuth({"scopes":["openid","items:read"],"usePkceWithAuthorizationCodeGrant":true})')
  t.same(selectedScopes(resolveDocsOptions({}), { openid: '', 'a:b': '' }), ['openid', 'a:b'])
  t.same(selectedScopes(resolveDocsOptions({ selectedScopes: ['openid'] }), { openid: '', 'a:b': '' }), ['openid'])
})
