/**
 * Builds `WWW-Authenticate` challenges for the Bearer scheme.
 *
 * @see RFC 6750 §3 (the challenge and its attributes)
 * @see RFC 9470 §3 (`acr_values` and `max_age` for step-up authentication)
 * @see RFC 9728 §5.1 (`resource_metadata`)
 */

/** Attributes of a Bearer challenge; `undefined` values are left out. */
export interface BearerChallenge {
  realm?: string
  error?: string
  error_description?: string
  scope?: string
  acr_values?: string
  max_age?: number
  /** Absolute URL of the protected resource metadata (RFC 9728 §5.1). */
  resource_metadata?: string
}

const ORDER: Array<keyof BearerChallenge> = ['realm', 'error', 'error_description', 'scope', 'acr_values', 'max_age', 'resource_metadata']

/**
 * Formats a Bearer challenge, e.g. `Bearer realm="api", error="invalid_token"`.
 * With no attributes it is the bare `Bearer` that RFC 6750 §3.1 asks for when no credentials were sent.
 * Values are quoted strings; quotes and backslashes are escaped. Callers pass fixed texts and scope
 * tokens (RFC 6750 §3 restricts both to printable ASCII); anything else is replaced by `?` so that
 * the header can always be sent (Node refuses characters above U+00FF with an internal error).
 */
export function bearerChallenge (challenge: BearerChallenge = {}): string {
  const parts: string[] = []
  for (const name of ORDER) {
    const value = challenge[name]
    if (value === undefined) continue
    parts.push(`${name}="${quote(String(value))}"`)
  }
  return parts.length === 0 ? 'Bearer' : `Bearer ${parts.join(', ')}`
}

function quote (value: string): string {
  return value.replace(/["\\]/g, (c) => `\\${c}`).replace(/[^\x20-\x7E]/g, '?')
}
