import { SIGNING_ALGORITHMS, isSigningAlgorithm } from './key-store.js'
import type { SigningAlgorithm } from './key-store.js'

/** Default algorithms of the local issuer: one signing key is generated for each. */
export const DEFAULT_ALGORITHMS: readonly SigningAlgorithm[] = Object.freeze(['RS256', 'ES256'])

/** Default `aud` claim of signed tokens. */
export const DEFAULT_AUDIENCE = 'https://api.example.test'

/** Options of `createLocalIssuer()`. */
export interface LocalIssuerOptions {
  /** One signing key is generated per algorithm; the first signs by default. Default {@link DEFAULT_ALGORITHMS}. */
  algorithms?: SigningAlgorithm[]
  /** `aud` claim put in tokens; default {@link DEFAULT_AUDIENCE}. */
  audience?: string
  /** TCP port on 127.0.0.1 (the host is fixed); default `0`, a free port. */
  port?: number
  /** Issuer path, e.g. `'/realms/demo'` gives `http://127.0.0.1:PORT/realms/demo`; default none. */
  path?: string
}

/** {@link LocalIssuerOptions} after validation, with defaults applied. */
export interface ResolvedIssuerOptions {
  readonly algorithms: readonly SigningAlgorithm[]
  readonly audience: string
  readonly port: number
  readonly path: string
}

function describe (value: unknown): string {
  return typeof value === 'string' || Array.isArray(value) ? JSON.stringify(value) : String(value)
}

/**
 * Validates the options once and reports every problem in one `TypeError`.
 * @throws {TypeError} "options.path: expected ..., received ..." per problem, one a line
 */
export function resolveIssuerOptions (options: LocalIssuerOptions = {}): ResolvedIssuerOptions {
  const { algorithms = DEFAULT_ALGORITHMS, audience = DEFAULT_AUDIENCE, port = 0, path = '' } = options
  const problems: string[] = []
  if (!Array.isArray(algorithms) || algorithms.length === 0 || !algorithms.every(isSigningAlgorithm)) {
    problems.push(`options.algorithms: expected a non-empty array of ${SIGNING_ALGORITHMS.join(', ')}, received ${describe(algorithms)}`)
  } else if (new Set(algorithms).size !== algorithms.length) {
    problems.push(`options.algorithms: expected no duplicates, received ${describe(algorithms)}`)
  }
  if (typeof audience !== 'string' || audience === '') {
    problems.push(`options.audience: expected a non-empty string, received ${describe(audience)}`)
  }
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    problems.push(`options.port: expected an integer from 0 to 65535, received ${describe(port)}`)
  }
  // The path is appended to the issuer and inserted into RFC 8414 URLs, so it must be a clean absolute path.
  if (typeof path !== 'string' || (path !== '' && !/^(\/[A-Za-z0-9._~-]+)+$/.test(path))) {
    problems.push(`options.path: expected '' or a path like '/realms/demo' (no trailing slash, query or encoding), received ${describe(path)}`)
  }
  if (problems.length > 0) {
    throw new TypeError(`Invalid local issuer options:\n${problems.join('\n')}`)
  }
  return Object.freeze({ algorithms: Object.freeze([...algorithms]), audience, port, path })
}
