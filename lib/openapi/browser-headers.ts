/**
 * Two security headers that silently break Swagger UI's login, and the narrowest change that
 * fixes each, applied to the docs' own responses only:
 * - `Cross-Origin-Opener-Policy: same-origin` (helmet's default) cuts the popup off from the docs
 *   page once it visits the provider, so the redirect page finds no `window.opener`. The docs pages
 *   get `same-origin-allow-popups`, the redirect page `unsafe-none`.
 * - A `Content-Security-Policy` whose `connect-src` (or `default-src`) does not list the token
 *   endpoint's origin blocks the code-for-token exchange. That origin is added to `connect-src`.
 * Headers that are absent stay absent; nothing else in a policy is touched.
 *
 * @see HTML Standard §7.1.3 (Cross-origin opener policies), CSP Level 3 §6.1.2 (connect-src)
 */

/** A response header value as Fastify returns it. */
type HeaderValue = string | number | string[] | undefined

/** The minimal reply surface the fix needs (a Fastify reply has it). */
export interface HeaderReply {
  getHeader(name: string): HeaderValue
  header(name: string, value: string | string[]): unknown
}

/**
 * Adds `origins` to a policy's `connect-src`. Without `connect-src`, the fetches fall back to
 * `default-src`, whose sources are copied into a new `connect-src`; without either, nothing is
 * restricted and the policy is returned as is.
 */
export function allowConnectTo (policy: string, origins: readonly string[]): string {
  const directives = policy.split(';').map((d) => d.trim()).filter((d) => d !== '')
  const find = (name: string) => directives.findIndex((d) => d.split(/\s+/)[0].toLowerCase() === name)
  const connect = find('connect-src')
  const fallback = find('default-src')
  if (connect === -1 && fallback === -1) return policy
  const sources = (connect === -1 ? directives[fallback] : directives[connect]).split(/\s+/).slice(1)
  const kept = sources.filter((s) => s !== "'none'")
  const missing = origins.filter((o) => !kept.includes(o) && !kept.includes('*'))
  if (missing.length === 0) return policy
  const directive = ['connect-src', ...kept, ...missing].join(' ')
  if (connect === -1) directives.push(directive)
  else directives[connect] = directive
  return directives.join('; ')
}

/** `same-origin` (with or without a reporting endpoint) → `same-origin-allow-popups`; other values unchanged. */
export function relaxOpenerPolicy (value: string): string {
  return /^\s*same-origin\s*(;|$)/i.test(value) ? value.replace(/same-origin/i, 'same-origin-allow-popups') : value
}

/**
 * Applies both fixes to a docs response. `redirectPage` is true for `oauth2-redirect.html`;
 * `connectOrigins` are the origins Swagger UI must fetch (the token endpoint's).
 */
export function fixDocsHeaders (reply: HeaderReply, redirectPage: boolean, connectOrigins: readonly string[]): void {
  const opener = reply.getHeader('cross-origin-opener-policy')
  if (typeof opener === 'string') reply.header('cross-origin-opener-policy', redirectPage ? 'unsafe-none' : relaxOpenerPolicy(opener))
  const csp = reply.getHeader('content-security-policy')
  if (connectOrigins.length === 0 || csp === undefined) return
  const policies = Array.isArray(csp) ? csp : [String(csp)]
  const fixed = policies.map((policy) => allowConnectTo(policy, connectOrigins))
  reply.header('content-security-policy', Array.isArray(csp) ? fixed : fixed[0])
}
