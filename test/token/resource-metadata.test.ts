import t from 'tap'
import { buildResourceMetadata, resourceIdentifierProblem, resourceMetadataPath, resourceMetadataURL } from '../../lib/token/resource-metadata.js'

t.test('the metadata URL inserts the well-known prefix before the resource path (RFC 9728 §3.1)', async (t) => {
  t.equal(resourceMetadataURL('https://api.example.com'), 'https://api.example.com/.well-known/oauth-protected-resource')
  t.equal(resourceMetadataURL('https://api.example.com/'), 'https://api.example.com/.well-known/oauth-protected-resource')
  t.equal(resourceMetadataURL('https://api.example.com/mcp'), 'https://api.example.com/.well-known/oauth-protected-resource/mcp')
  t.equal(resourceMetadataURL('https://api.example.com:8443/v1/mcp/'), 'https://api.example.com:8443/.well-known/oauth-protected-resource/v1/mcp/')
  t.equal(resourceMetadataPath('http://127.0.0.1:3000/mcp'), '/.well-known/oauth-protected-resource/mcp')
})

t.test('a resource identifier is an https URL (http on loopback) without query, fragment or credentials', async (t) => {
  for (const good of ['https://api.example.com', 'https://api.example.com/mcp', 'http://localhost:3000/mcp', 'http://127.0.0.1:8080', 'http://[::1]:8080/x']) {
    t.equal(resourceIdentifierProblem(good), null, good)
  }
  t.equal(resourceIdentifierProblem('api'), 'expected an absolute URL, received "api"')
  t.equal(resourceIdentifierProblem('urn:example:api'), 'expected an https URL (http is allowed for localhost only), received "urn:example:api"')
  t.equal(resourceIdentifierProblem('http://api.example.com'), 'expected an https URL (http is allowed for localhost only), received "http://api.example.com"')
  t.equal(resourceIdentifierProblem('https://api.example.com/#x'), 'expected a URL without query or fragment, received "https://api.example.com/#x"')
  t.equal(resourceIdentifierProblem('https://api.example.com/#'), 'expected a URL without query or fragment, received "https://api.example.com/#"')
  t.equal(resourceIdentifierProblem('https://api.example.com/?a=1'), 'expected a URL without query or fragment, received "https://api.example.com/?a=1"')
  t.equal(resourceIdentifierProblem('https://u:p@api.example.com'), 'expected a URL without credentials, received "https://u:p@api.example.com"')
  t.equal(resourceIdentifierProblem('https://api.example.com/:id'), 'expected a path without ":" or "*", received "https://api.example.com/:id"')
})

t.test('the document lists scopes once, and leaves out empty scopes and absent documentation', async (t) => {
  t.same(buildResourceMetadata({ resource: 'https://a.example', issuers: ['https://id.example'], scopes: ['x', 'y', 'x'], documentation: 'https://a.example/docs' }), {
    resource: 'https://a.example',
    authorization_servers: ['https://id.example'],
    scopes_supported: ['x', 'y'],
    bearer_methods_supported: ['header'],
    resource_documentation: 'https://a.example/docs'
  })
  t.same(Object.keys(buildResourceMetadata({ resource: 'https://a.example', issuers: ['https://id.example'], scopes: [] })), ['resource', 'authorization_servers', 'bearer_methods_supported'])
})

t.test('every trusted issuer is an authorization server, the primary first; none leaves the member out', async (t) => {
  t.same(buildResourceMetadata({ resource: 'https://a.example', issuers: ['https://id.example', 'https://other.example'], scopes: [] }).authorization_servers, ['https://id.example', 'https://other.example'])
  t.same(Object.keys(buildResourceMetadata({ resource: 'https://a.example', issuers: [], scopes: [] })), ['resource', 'bearer_methods_supported'])
})

t.test('a resource path with percent-encoding, or characters the URL parser encodes, is refused', async (t) => {
  for (const value of ['https://api.example.com/my%20api', 'https://api.example.com/café', 'https://api.example.com/a b', 'https://api.example.com/a%2Fb', 'https://api.example.com/{x}']) {
    t.equal(resourceIdentifierProblem(value), `expected a path without percent-encoding or characters that need it (space, non-ASCII), received ${JSON.stringify(value)}`, value)
  }
  t.equal(resourceIdentifierProblem('https://api.example.com/v1/mcp-server_2.~x'), null, 'unreserved characters need no encoding')
})
