/**
 * Builds `WWW-Authenticate` challenges for the Bearer and DPoP schemes.
 *
 * @see RFC 6750 §3 (the challenge and its attributes)
 * @see RFC 9470 §3 (`acr_values` and `max_age` for step-up authentication)
 * @see RFC 9449 §7.1 (the `DPoP` challenge and its `algs`)
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
  /** Space-separated JWS algorithms accepted for DPoP proofs (DPoP challenges only, RFC 9449 §7.1). */
  algs?: string
  /** Absolute URL of the protected resource metadata (RFC 9728 §5.1). */
  resource_metadata?: string
}

/** The schemes a challenge can be for. */
export type ChallengeScheme = 'Bearer' | 'DPoP'

const ORDER: Array<keyof BearerChallenge> = ['realm', 'error', 'error_description', 'scope', 'acr_values', 'max_age', 'algs', 'resource_metadata']

/**
 * Formats a Bearer challenge, e.g. `Bearer realm="api", error="invalid_token"`.
 * With no attributes it is the bare `Bearer` that RFC 6750 §3.1 asks for when no credentials were sent.
 * Values are quoted strings; quotes and backslashes are escaped. Callers pass fixed texts and scope
 * tokens (RFC 6750 §3 restricts both to printable ASCII); anything else is replaced by `?` so that
 * the header can always be sent (Node refuses characters above U+00FF with an internal error).
 */
export function bearerChallenge (challenge: BearerChallenge = {}): string {
  return schemeChallenge('Bearer', challenge)
}

/** Formats a challenge for `scheme` with the attributes of {@link bearerChallenge}. */
export function schemeChallenge (scheme: ChallengeScheme, challenge: BearerChallenge = {}): string {
  const parts: string[] = []
  for (const name of ORDER) {
    const value = challenge[name]
    if (value === undefined) continue
    parts.push(`${name}="${quote(String(value))}"`)
  }
  return parts.length === 0 ? scheme : `${scheme} ${parts.join(', ')}`
}

/** What the server offers besides Bearer: DPoP with these algorithms; `bearer` false when DPoP is required. */
export interface DPoPOffer {
  /** Space-separated JWS algorithms. */
  readonly algs: string
  /** Whether plain Bearer tokens are accepted (mode `allowed`). */
  readonly bearer: boolean
}

/**
 * The whole `WWW-Authenticate` value: with no DPoP offer, the Bearer challenge; else a `Bearer`
 * challenge (when Bearer is accepted or was used) beside a `DPoP` challenge carrying `algs`, the
 * error attributes on the scheme the client `used` and only `realm` on the other (RFC 9449 §7.1).
 */
export function challenges (challenge: BearerChallenge, used: ChallengeScheme, offer: DPoPOffer | null): string {
  if (offer === null) return schemeChallenge(used, challenge)
  // Both challenges name the realm and the resource metadata (RFC 9728 §5.1); only one has the error.
  const bare: BearerChallenge = { realm: challenge.realm, resource_metadata: challenge.resource_metadata }
  const dpop = schemeChallenge('DPoP', { ...(used === 'DPoP' ? challenge : bare), algs: offer.algs })
  // With DPoP required, Bearer is named only to carry the error of a client that used it.
  const bearer = offer.bearer || (used === 'Bearer' && challenge.error !== undefined)
  return bearer ? `${schemeChallenge('Bearer', used === 'Bearer' ? challenge : bare)}, ${dpop}` : dpop
}

function quote (value: string): string {
  return value.replace(/["\\]/g, (c) => `\\${c}`).replace(/[^\x20-\x7E]/g, '?')
}
