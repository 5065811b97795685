/**
 * Reading the segments of a compact JWS exactly as jose does, for the node:crypto fast path
 * (fast-verifier.ts): only segments in the base64url alphabet, for which Buffer's lenient decoder
 * and jose's strict one give the same bytes, and JSON objects read from strict UTF-8. It also holds
 * the package's one definition of a compact JWS's shape, and its one scan for a top-level member
 * named twice (RFC 7519 §4: claim names must be unique), used on both verification paths.
 *
 * @see RFC 7515 §2 (base64url without padding), §5.2 steps 2–4; RFC 7519 §4; RFC 8259 §4
 */
import { isAscii } from 'node:buffer'

const strictUTF8 = new TextDecoder('utf-8', { fatal: true })

/** Three base64url segments without padding (RFC 7515 §7.1), the signature possibly empty (refused later by the algorithm check). */
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/

/** Whether `token` has the shape of a compact JWS; anything else (JWE, opaque tokens, garbage) is not a JWT here. */
export function isCompactJWS (token: string): boolean {
  return COMPACT_JWS.test(token)
}

/**
 * Whether the header or the payload of compact JWS `token` names a top-level member twice. For a
 * token jose already parsed (the segments are base64url JSON objects); `false` for anything else.
 * `JSON.parse` silently keeps the last duplicate while another parser (the provider's, a gateway's)
 * may keep the first, so the same signed bytes could mean two things: refused.
 */
export function hasRepeatedMembers (token: string): boolean {
  const dot1 = token.indexOf('.')
  const dot2 = token.indexOf('.', dot1 + 1)
  if (dot1 === -1 || dot2 === -1) return false
  return repeatsIn(token.slice(0, dot1)) || repeatsIn(token.slice(dot1 + 1, dot2))
}

function repeatsIn (segment: string): boolean {
  return repeatsMemberName(Buffer.from(segment, 'base64url').toString('utf8'))
}

/**
 * Whether JSON text `json` is an object that names a top-level member twice (names compared after
 * unescaping); `false` for any other text. For JSON read like claims (introspection answers).
 */
export function repeatsMemberName (json: string): boolean {
  let value: unknown
  try {
    value = JSON.parse(json)
  } catch {
    return false
  }
  return value !== null && typeof value === 'object' && !Array.isArray(value) && repeatsMember(json, value)
}

/**
 * The bytes of a base64url segment (RFC 7515 §2: its alphabet only, no padding), for which
 * Buffer's decoder and jose's give the same bytes; `undefined` for any other text. Buffer skips
 * characters outside both base64 alphabets and stops at padding, so a segment of n characters
 * decodes to ⌊3n/4⌋ bytes exactly when none of them is outside the alphabet; `+` and `/` (which
 * Buffer takes, jose refuses), lengths of 4k+1 (no base64 text has one) and any non-ASCII
 * character are refused first. The last matters: Buffer reads a character above U+00FF by its low
 * byte, so `Ł` (U+0141) would decode as `A`.
 * Callers rely on this: a segment accepted here holds only `A–Z a–z 0–9 - _`
 * (test/token/jws-segment.test.ts tries every UTF-16 code unit).
 */
export function decodeSegment (segment: string): Buffer | undefined {
  if (segment.length % 4 === 1 || segment.includes('+') || segment.includes('/') || segment.includes('=')) return undefined
  if (Buffer.byteLength(segment, 'utf8') !== segment.length) return undefined
  const bytes = Buffer.from(segment, 'base64url')
  return bytes.length === (segment.length * 3) >>> 2 ? bytes : undefined
}

/** A decoded JSON object, and whether its text repeats a top-level member name. */
export interface Segment { value: Record<string, unknown>, repeats: boolean }

/** Decoded bytes read as jose reads them (strict UTF-8, JSON, a plain object), or `undefined`. */
export function parseObject (bytes: Buffer, asciiOnly: boolean): Segment | undefined {
  let text: string
  let value: unknown
  try {
    if (isAscii(bytes)) text = bytes.toString('latin1')
    else if (asciiOnly) return undefined
    else text = strictUTF8.decode(bytes)
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined
  return { value: value as Record<string, unknown>, repeats: repeatsMember(text, value) }
}

/**
 * Whether the JSON text of object `value` has more top-level members than `value` has keys, i.e.
 * names a member twice (`JSON.parse` keeps the last; names are compared after unescaping, as they
 * collapse into one key): the top-level commas are counted, strings skipped whole with `indexOf`.
 */
function repeatsMember (json: string, value: object): boolean {
  const keys = Object.keys(value).length
  if (keys === 0) return false
  let depth = 0
  let members = 1
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (c === 0x22) {
      i = json.indexOf('"', i + 1)
      while (i !== -1 && isEscaped(json, i)) i = json.indexOf('"', i + 1)
      // Unreachable for text JSON.parse accepted; never loop on anything else.
      if (i === -1) return true
    } else if (c === 0x7b || c === 0x5b) {
      depth++
    } else if (c === 0x7d || c === 0x5d) {
      depth--
    } else if (c === 0x2c && depth === 1) {
      members++
    }
  }
  return members > keys
}

/** Whether the quote at `index` follows an odd number of backslashes. */
function isEscaped (json: string, index: number): boolean {
  let backslashes = 0
  while (json.charCodeAt(index - 1 - backslashes) === 0x5c) backslashes++
  return backslashes % 2 === 1
}
