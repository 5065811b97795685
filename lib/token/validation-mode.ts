/** Which validation applies: local JWT, remote introspection, or JWT-shaped tokens locally and the rest remotely. */
export type ValidationMode = 'jwt' | 'introspection' | 'auto'
