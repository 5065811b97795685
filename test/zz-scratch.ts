import Fastify from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUI from '@fastify/swagger-ui'

type Doc = Record<string, any>
interface Pieces {
  swagger: { openapi: Doc, transformObject: (documentObject: { openapiObject: Doc } | { swaggerObject: Doc }) => Doc, [option: string]: unknown }
  swaggerUI: { routePrefix: string, initOAuth: { clientId: string, scopes: string[], usePkceWithAuthorizationCodeGrant: true, additionalQueryStringParams: Record<string, string> }, uiConfig: Record<string, unknown>, [option: string]: unknown }
}
declare const p: Pieces
const app = Fastify()
await app.register(swagger, p.swagger)
await app.register(swagger, { ...p.swagger, openapi: { ...p.swagger.openapi, info: { title: 'x', version: '1' } } })
await app.register(swaggerUI, p.swaggerUI)
await app.register(swaggerUI, { ...p.swaggerUI, theme: { title: 'x' } })
