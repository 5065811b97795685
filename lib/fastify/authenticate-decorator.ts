/**
 * `fastify.authenticate`: the default hook when Fastify calls it as one (`onRequest:
 * fastify.authenticate`), a hook factory when the application calls it with options
 * (`fastify.authenticate({ scopes })`). Both forms carry their policy, so the route report and
 * the OpenAPI document describe what they enforce.
 */
import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify'
import { kAuthHook } from '../symbols.js'
import type { Authenticate, AuthenticateOptions } from './authenticate-options.js'
import type { Authenticator } from './authenticate.js'
import { DEFAULT_POLICY, policyFromOptions } from './policy.js'

/** The `authenticate` decorator of `authenticator`. */
export function authenticateDecorator (authenticator: Authenticator): Authenticate {
  const plain = authenticator.hook(DEFAULT_POLICY)
  function authenticate (this: unknown, first: FastifyRequest | AuthenticateOptions | undefined, reply?: FastifyReply, done?: HookHandlerDoneFunction): unknown {
    if (reply !== undefined && done !== undefined) return plain.call(this as never, first as FastifyRequest, reply, done)
    return authenticator.hook(policyFromOptions((first === undefined ? {} : first) as AuthenticateOptions))
  }
  return Object.assign(authenticate, { [kAuthHook]: DEFAULT_POLICY }) as unknown as Authenticate
}
