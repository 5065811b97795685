/**
 * Log-safe explanations of why a token was refused: which check failed and, for `iss`, `aud`,
 * `typ`, `alg` and `kid`, the expected and received values. Built where the check fails and
 * carried on the error as `detail`, so a refusal explains itself in the log without the token.
 *
 * Values are quoted as JSON (control characters escaped), and each is cut to
 * {@link MAX_DETAIL_VALUE_LENGTH} characters: a hostile claim cannot forge log lines or flood them.
 * Signatures and whole tokens never go in; claim values a client chose (an `aud`, a `kid`) do, cut.
 */

/** Longest quoted value in a detail, in characters. */
export const MAX_DETAIL_VALUE_LENGTH = 100

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g

/** `value` as a short JSON text with every control character escaped, cut with `…` when longer. */
export function logSafe (value: unknown): string {
  let text: string
  try {
    text = value === undefined ? 'undefined' : JSON.stringify(value) ?? String(value)
  } catch {
    text = Object.prototype.toString.call(value)
  }
  // JSON.stringify leaves U+007F–U+009F and the line separators as they are (C0 are escaped already,
  // but String(value) may bring some).
  text = text.replace(CONTROL_CHARACTERS, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)
  return text.length > MAX_DETAIL_VALUE_LENGTH ? `${text.slice(0, MAX_DETAIL_VALUE_LENGTH - 1)}…` : text
}

/** What the verifier expected, for the claims whose expected value a detail names. */
export interface ClaimExpectations {
  issuer: string
  /** `null`: any audience. */
  audience: readonly string[] | null
  /** Seconds. */
  clockTolerance: number
}

/**
 * A claim check that failed, described as jose names it: `missing` (absent), `invalid` (not a
 * number) or `check_failed` (present, wrong value).
 */
export function claimDetail (claim: string, reason: string, claims: Record<string, unknown>, expected: ClaimExpectations): string {
  const received = logSafe(claims[claim])
  if (reason === 'missing') return `${claim}: missing`
  if (reason === 'invalid') return `${claim}: expected a number, received ${received}`
  const tolerance = `clock tolerance ${expected.clockTolerance} s`
  switch (claim) {
    case 'iss': return `iss: expected ${logSafe(expected.issuer)}, received ${received}`
    case 'aud': return `aud: expected one of ${logSafe(expected.audience)}, received ${received}`
    case 'exp': return `exp: expired (exp ${received}, ${tolerance})`
    case 'nbf': return `nbf: not yet valid (nbf ${received}, ${tolerance})`
    case 'iat': return `iat: issued in the future (iat ${received}, ${tolerance})`
    default: return `${claim}: unexpected value ${received}`
  }
}

/** The `typ` header check (RFC 9068 §2.1). */
export function typeDetail (typ: unknown, strict: boolean): string {
  return `typ: expected ${strict ? '"at+jwt"' : '"at+jwt", "JWT" or none'}, received ${logSafe(typ)}`
}

/** Repeated member names in the header or the claims (RFC 7515 §5.2, RFC 7519 §4). */
export const DUPLICATE_MEMBERS_DETAIL = 'json: a member name is repeated in the header or the claims'

/** The signature did not verify with the key chosen by `alg` and `kid`. */
export const SIGNATURE_DETAIL = 'signature: does not verify with the key chosen by alg and kid'
