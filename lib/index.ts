// The public surface, documented entry by entry in docs/api.md. Internals stay importable by path
// from the tests only; anything added here is a promise to users.
export { oauthGuard, oauthGuard as default } from './plugin.js'
export * from './errors.js'
export { oauthGuardDocs } from './openapi/docs-pieces.js'
export { swaggerUIRedirectURI } from './openapi/swagger-ui.js'
export { errorResponseSchema } from './openapi/error-responses.js'
export { logSerializers } from './fastify/log-redaction.js'
export { pendingSchemes } from './fastify/external-schemes.js'
export type * from './types.js'
