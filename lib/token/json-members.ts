/**
 * Finds duplicate member names in the JOSE header or claims set of a compact JWS, and in JSON
 * answers that are read like claims (RFC 7662 introspection responses, through `uniqueMembers`
 * in http.ts). `JSON.parse` silently keeps the last duplicate, while another parser (the
 * provider's, a gateway's) may keep the first: the same bytes would then mean two things. RFC 7519 allows either rejecting or
 * keeping the last; this plugin rejects, since no honest provider sends duplicates.
 *
 * Only top-level names are compared (header parameters and claim names); nested objects are the
 * claims' own business.
 *
 * @see RFC 7515 §5.2 step 4, RFC 7519 §4 ("Claim Names ... MUST be unique"), RFC 8259 §4
 */

/** True when the header or the payload of compact JWS `token` repeats a top-level member name. */
export function hasDuplicateMembers (token: string): boolean {
  const first = token.indexOf('.')
  const second = token.indexOf('.', first + 1)
  if (first === -1 || second === -1) return false
  return duplicateName(decode(token.slice(0, first))) || duplicateName(decode(token.slice(first + 1, second)))
}

function decode (segment: string): string {
  return Buffer.from(segment, 'base64url').toString('utf8')
}

/**
 * True when the top-level object of `json` names a member twice. Expects well-formed JSON (it
 * runs after a successful parse); names are compared after unescaping, so `"a"` equals `"\u0061"`.
 */
export function duplicateName (json: string): boolean {
  if (!json.trimStart().startsWith('{')) return false
  const names = new Set<string>()
  let depth = 0
  let expectName = false
  for (let i = 0; i < json.length; i++) {
    const c = json.charCodeAt(i)
    if (c === 0x22) {
      const start = i
      let escaped = false
      for (i++; i < json.length; i++) {
        const d = json.charCodeAt(i)
        if (d === 0x5c) {
          escaped = true
          i++
        } else if (d === 0x22) {
          break
        }
      }
      if (depth === 1 && expectName) {
        const name = escaped ? JSON.parse(json.slice(start, i + 1)) as string : json.slice(start + 1, i)
        if (names.has(name)) return true
        names.add(name)
        expectName = false
      }
    } else if (c === 0x7b || c === 0x5b) {
      depth++
      if (depth === 1) expectName = c === 0x7b
    } else if (c === 0x7d || c === 0x5d) {
      depth--
    } else if (c === 0x2c && depth === 1) {
      expectName = true
    }
  }
  return false
}
