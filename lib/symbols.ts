/** Internal keys. Symbols keep plugin state off the public surface of Fastify objects. */
export const kAuthHook = Symbol('fastify-oauth-guard.authHook')
export const kAuthState = Symbol('fastify-oauth-guard.authState')
