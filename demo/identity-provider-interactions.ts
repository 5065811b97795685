import type { IncomingMessage, ServerResponse } from 'node:http'

/** The fixed account that may sign in at the embedded provider. */
export interface DemoUser {
  username: string
  password: string
  sub: string
  email: string
  name: string
}

/** The only account of the embedded provider. */
export const DEMO_USER: Readonly<DemoUser> = Object.freeze({
  username: 'demo@example.com',
  password: 'demo-password',
  sub: 'demo-user',
  email: 'demo@example.com',
  name: 'Demo User'
})

/** oidc-provider `findAccount`: only {@link DEMO_USER} exists. */
export function findAccount (_ctx: unknown, id: string) {
  if (id !== DEMO_USER.sub) return undefined
  return { accountId: id, claims: () => ({ sub: id, email: DEMO_USER.email, email_verified: true, name: DEMO_USER.name }) }
}

/** The part of oidc-provider's interaction details these pages read. */
interface InteractionDetails {
  uid: string
  grantId?: string
  params: Record<string, unknown> & { client_id: string }
  session?: { accountId: string }
  prompt: {
    name: string
    details: {
      missingOIDCScope?: string[]
      missingOIDCClaims?: string[]
      missingResourceScopes?: Record<string, string[]>
    }
  }
}

interface Grant {
  addOIDCScope(scope: string): void
  addOIDCClaims(claims: string[]): void
  addResourceScope(indicator: string, scope: string): void
  save(): Promise<string>
}

/** The part of an oidc-provider `Provider` instance the interaction pages use. */
export interface InteractionProvider {
  interactionDetails(req: IncomingMessage, res: ServerResponse): Promise<InteractionDetails>
  interactionFinished(
    req: IncomingMessage,
    res: ServerResponse,
    result: Record<string, unknown>,
    options: { mergeWithLastSubmission: boolean }
  ): Promise<void>
  Grant: {
    new (properties: { accountId: string, clientId: string }): Grant
    find(id: string): Promise<Grant | undefined>
  }
}

const MAX_FORM_BYTES = 8 * 1024
const CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'"

function escapeHTML (value: unknown): string {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`)
}

// A complete HTML page with no scripts or external assets, so the CSP can stay strict.
function page (title: string, body: string): string {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>${escapeHTML(title)}</title>
<style>body{font-family:sans-serif;max-width:22rem;margin:3rem auto}input,button{display:block;width:100%;margin:.4rem 0;padding:.4rem}.error{color:#b00}</style>
</head><body><h1>${escapeHTML(title)}</h1>${body}</body></html>`
}

function send (res: ServerResponse, status: number, html: string): void {
  res.writeHead(status, {
    'content-type': 'text/html; charset=utf-8',
    'cache-control': 'no-store',
    'content-security-policy': CSP
  })
  res.end(html)
}

async function readForm (req: IncomingMessage): Promise<URLSearchParams> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length
    if (size > MAX_FORM_BYTES) throw new Error('form body too large')
    chunks.push(chunk)
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'))
}

function loginPage (uid: string, error?: string): string {
  return page('Sign in', `${error ? `<p class="error">${escapeHTML(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHTML(uid)}/login">
<label>Username <input name="username" autocomplete="username" required autofocus></label>
<label>Password <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Sign in</button></form>`)
}

function consentPage (details: InteractionDetails): string {
  const { missingOIDCScope = [], missingResourceScopes = {} } = details.prompt.details
  const scopes = [...missingOIDCScope, ...Object.values(missingResourceScopes).flat()]
  const items = scopes.map((scope) => `<li>${escapeHTML(scope)}</li>`).join('')
  return page('Authorize', `<p>${escapeHTML(details.params.client_id)} asks for:</p><ul>${items}</ul>
<form method="post" action="/interaction/${escapeHTML(details.uid)}/confirm"><button type="submit">Allow</button></form>
<form method="post" action="/interaction/${escapeHTML(details.uid)}/abort"><button type="submit">Deny</button></form>`)
}

async function grantRequested (provider: InteractionProvider, details: InteractionDetails): Promise<string> {
  const { missingOIDCScope, missingOIDCClaims, missingResourceScopes } = details.prompt.details
  const grant = (details.grantId ? await provider.Grant.find(details.grantId) : undefined) ??
    new provider.Grant({ accountId: details.session?.accountId ?? '', clientId: details.params.client_id })
  if (missingOIDCScope) grant.addOIDCScope(missingOIDCScope.join(' '))
  if (missingOIDCClaims) grant.addOIDCClaims(missingOIDCClaims)
  for (const [indicator, scopes] of Object.entries(missingResourceScopes ?? {})) {
    grant.addResourceScope(indicator, scopes.join(' '))
  }
  return grant.save()
}

async function interact (provider: InteractionProvider, user: DemoUser, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const details = await provider.interactionDetails(req, res)
  const action = new URL(req.url ?? '/', 'http://localhost').pathname.split('/')[3]
  if (req.method === 'GET' && action === undefined) {
    return send(res, 200, details.prompt.name === 'login' ? loginPage(details.uid) : consentPage(details))
  }
  if (req.method !== 'POST') return send(res, 405, page('Method not allowed', ''))
  if (action === 'login' && details.prompt.name === 'login') {
    const form = await readForm(req)
    if (form.get('username') !== user.username || form.get('password') !== user.password) {
      return send(res, 400, loginPage(details.uid, 'Invalid username or password.'))
    }
    return provider.interactionFinished(req, res, { login: { accountId: user.sub } }, { mergeWithLastSubmission: false })
  }
  if (action === 'confirm' && details.prompt.name === 'consent') {
    const grantId = await grantRequested(provider, details)
    return provider.interactionFinished(req, res, { consent: { grantId } }, { mergeWithLastSubmission: true })
  }
  if (action === 'abort') {
    const result = { error: 'access_denied', error_description: 'End-User aborted interaction' }
    return provider.interactionFinished(req, res, result, { mergeWithLastSubmission: false })
  }
  send(res, 404, page('Not found', ''))
}

/**
 * Serves the login and consent pages under `/interaction/:uid` for the embedded demo provider.
 * Only `user` can sign in; consent grants every scope the client asked for.
 * There is no CSRF token: oidc-provider's interaction cookie is SameSite=Lax, so a cross-site
 * form post arrives without it and is refused, which is enough for a development provider.
 */
export function createInteractionHandler (provider: InteractionProvider, user: DemoUser) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    try {
      await interact(provider, user, req, res)
    } catch (err) {
      // oidc-provider throws SessionNotFound when the interaction cookie is missing or expired.
      const expired = (err as Error).name === 'SessionNotFound'
      if (!expired) console.error(err)
      if (!res.headersSent) {
        send(res, expired ? 400 : 500, page(expired ? 'Sign-in expired' : 'Error', '<p>Start the sign-in again.</p>'))
      }
    }
  }
}

/** oidc-provider `renderError` without the default page's external font. */
export function renderError (ctx: { type: string, body: string }, out: Record<string, unknown>): void {
  ctx.type = 'html'
  ctx.body = page('Error', Object.entries(out).map(([key, value]) =>
    `<p><strong>${escapeHTML(key)}</strong>: ${escapeHTML(value)}</p>`).join(''))
}
