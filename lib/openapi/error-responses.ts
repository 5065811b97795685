/**
 * The error responses of protected operations, added to the OpenAPI document only. Route schemas
 * are left alone, so Fastify keeps serializing these errors with its default error serializer,
 * whose output is exactly {@link ErrorResponseSchema}.
 *
 * @see RFC 6750 §3 (WWW-Authenticate) and §3.1 (error codes), RFC 9110 §10.2.3 (Retry-After)
 */
import { Type, type Static } from '@sinclair/typebox'

/** Body of every error this plugin sends (Fastify's default error shape). */
export const ErrorResponseSchema = Type.Object({
  statusCode: Type.Integer({ description: 'The HTTP status code' }),
  code: Type.String({ description: 'Stable machine-readable code, e.g. OAUTH_GUARD_INVALID_TOKEN (see docs/errors.md)' }),
  error: Type.String({ description: 'The HTTP reason phrase, e.g. Unauthorized' }),
  message: Type.String({ description: 'A fixed, human-readable description; never contains the token' })
}, { description: 'An error sent by fastify-oauth-guard' })

/**
 * The error body as a plain JSON Schema object (no TypeBox symbols), for your own route
 * `response` schemas or OpenAPI components. Frozen: copy it before changing it.
 * @example
 * app.get('/items', { schema: { response: { 401: errorResponseSchema } } }, handler)
 */
export const errorResponseSchema: Readonly<Record<string, unknown>> =
  Object.freeze(JSON.parse(JSON.stringify(ErrorResponseSchema)) as Record<string, unknown>)

/** The error body type. */
export type ErrorResponse = Static<typeof ErrorResponseSchema>

/** Name of the error body in `components.schemas`. */
export const ERROR_SCHEMA_NAME = 'OAuthGuardError'

/**
 * Operation extension set on routes whose `authenticate` options can refuse with 403 for reasons
 * other than scopes (permissions, a claims check). Consumed and removed by {@link addErrorResponses}.
 */
export const FORBIDDEN_MARKER = 'x-oauth-guard-forbidden'

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace', 'query'])

type OperationObject = Record<string, unknown> & {
  security?: Array<Record<string, readonly string[]>>
  responses?: Record<string, unknown>
}

const challenge = { 'WWW-Authenticate': { description: 'The Bearer challenge (RFC 6750 §3)', schema: { type: 'string' } } }

function response (description: string, headers: Record<string, unknown>) {
  return {
    description,
    headers,
    content: { 'application/json': { schema: { $ref: `#/components/schemas/${ERROR_SCHEMA_NAME}` } } }
  }
}

/** The responses added to a protected operation, by status code. */
export const ERROR_RESPONSES = {
  400: response('Malformed Bearer credentials, several Authorization headers, or an access token in the query string (invalid_request)', challenge),
  401: response('No access token, or an invalid or expired one (invalid_token), or a stronger sign-in is required (insufficient_user_authentication)', challenge),
  403: response('The access token does not grant what this operation requires (insufficient_scope)', challenge),
  503: response('The identity provider could not be reached; retry later', {
    'Retry-After': { description: 'Seconds to wait before retrying', schema: { type: 'integer' } }
  })
} as const

type ErrorStatus = keyof typeof ERROR_RESPONSES

/** Names of the responses in `components.responses`, which operations reference. */
export const ERROR_RESPONSE_NAMES: Readonly<Record<ErrorStatus, string>> = Object.freeze({
  400: 'OAuthGuardInvalidRequest',
  401: 'OAuthGuardUnauthorized',
  403: 'OAuthGuardForbidden',
  503: 'OAuthGuardUnavailable'
})

/**
 * Adds 400, 401, 503 and, when scopes (or permissions, or a claims check) are required, 403 to
 * every operation whose `security` names `scheme`, as references to `components.responses`; a
 * status the route already documents is kept. Adds {@link ErrorResponseSchema} to
 * `components.schemas`. Mutates and returns `document`.
 */
export function addErrorResponses<T extends Record<string, any>> (document: T, scheme: string): T {
  const used = new Set<ErrorStatus>()
  for (const pathItem of Object.values(document.paths ?? {}) as Array<Record<string, OperationObject>>) {
    for (const [method, operation] of Object.entries(pathItem)) {
      if (!HTTP_METHODS.has(method)) continue
      const forbidden = operation[FORBIDDEN_MARKER] === true
      delete operation[FORBIDDEN_MARKER]
      const ours = (operation.security ?? []).filter((requirement) => requirement[scheme] !== undefined)
      if (ours.length === 0) continue
      const statuses: ErrorStatus[] = [400, 401, 503]
      if (forbidden || ours.some((requirement) => requirement[scheme].length > 0)) statuses.push(403)
      const responses = operation.responses ?? {}
      for (const status of statuses.sort((a, b) => a - b)) {
        if (responses[status] !== undefined) continue
        responses[status] = { $ref: `#/components/responses/${ERROR_RESPONSE_NAMES[status]}` }
        used.add(status)
      }
      operation.responses = responses
    }
  }
  if (used.size > 0) {
    const components = (document as Record<string, any>).components ??= {}
    components.schemas ??= {}
    // A plain copy: TypeBox's symbol keys mean nothing in a document.
    components.schemas[ERROR_SCHEMA_NAME] ??= JSON.parse(JSON.stringify(ErrorResponseSchema))
    components.responses = { ...components.responses }
    for (const status of used) components.responses[ERROR_RESPONSE_NAMES[status]] ??= structuredClone(ERROR_RESPONSES[status])
  }
  return document
}
