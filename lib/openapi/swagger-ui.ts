/**
 * Swagger UI as a public OAuth client: `initOAuth` with the client ID, PKCE, the preselected
 * scopes and extra authorization parameters, and the redirect URI the provider must allow.
 * No client secret is ever put in the page.
 *
 * @see RFC 7636 (PKCE), RFC 8252 §8.4 (public clients hold no secret), RFC 6749 §3.1.2 (redirect URI)
 */
import type { ResolvedDocsOptions } from './docs-options.js'

/** Where @fastify/swagger-ui serves the page that receives the authorization response, under the docs path. */
export const REDIRECT_PAGE = '/static/oauth2-redirect.html'

/**
 * Stands for the preselected scopes in `initOAuth` until the first request of Swagger UI's
 * initializer script: @fastify/swagger-ui renders that script when it is registered, before the
 * routes (and so their scopes) exist. See {@link injectSelectedScopes}.
 */
export const SELECTED_SCOPES_PLACEHOLDER = '__oauth_guard_selected_scopes__'

/** The `initOAuth` argument this plugin gives Swagger UI. */
export interface SwaggerUIInitOAuth {
  clientId?: string
  /** Preselected scopes (the placeholder until served). */
  scopes: string | string[]
  usePkceWithAuthorizationCodeGrant: true
  additionalQueryStringParams?: Record<string, string>
  [option: string]: unknown
}

/** Joins the plugin's prefix and the docs route prefix: `('/api', '/docs')` → `/api/docs`. */
export function docsPath (prefix: string, routePrefix: string): string {
  return `${prefix.replace(/\/+$/, '')}${routePrefix}`
}

/**
 * The redirect URI Swagger UI sends: `<publicURL><docsPath>/static/oauth2-redirect.html`, where
 * `publicURL` is the origin the browser sees plus any path a proxy adds. Swagger UI computes the
 * same value from the page's address, so a proxy that strips a path is accounted for by
 * `publicURL`, not here.
 * @example swaggerUIRedirectURI('http://127.0.0.1:3000', '/docs') // 'http://127.0.0.1:3000/docs/static/oauth2-redirect.html'
 */
export function swaggerUIRedirectURI (publicURL: string, path: string): string {
  return `${publicURL.replace(/\/+$/, '')}${path}${REDIRECT_PAGE}`
}

/**
 * Builds `initOAuth`: your `swaggerUI.initOAuth` (never with a secret; options validation refuses
 * one), then the client ID, PKCE always on, `authorizationParams` as `additionalQueryStringParams`.
 */
export function buildInitOAuth (docs: ResolvedDocsOptions): SwaggerUIInitOAuth {
  const user = (docs.swaggerUI.initOAuth ?? {}) as Record<string, unknown>
  const params = { ...(user.additionalQueryStringParams as Record<string, string> | undefined), ...docs.authorizationParams }
  const initOAuth: SwaggerUIInitOAuth = {
    ...user,
    scopes: SELECTED_SCOPES_PLACEHOLDER,
    usePkceWithAuthorizationCodeGrant: true
  }
  delete initOAuth.clientSecret
  if (docs.clientId !== undefined) initOAuth.clientId = docs.clientId
  if (Object.keys(params).length > 0) initOAuth.additionalQueryStringParams = params
  return initOAuth
}

/** The scopes checked when the dialog opens: `selectedScopes`, else every scope of the scheme. */
export function selectedScopes (docs: ResolvedDocsOptions, schemeScopes: Record<string, string>): string[] {
  return docs.selectedScopes === null ? Object.keys(schemeScopes) : [...docs.selectedScopes]
}

/** Replaces the placeholder in the served initializer script with the scopes as a JSON array. */
export function injectSelectedScopes (script: string, scopes: readonly string[]): string {
  // Scope names are printable ASCII without quotes or backslashes, so JSON is valid JavaScript here.
  return script.replace(JSON.stringify(SELECTED_SCOPES_PLACEHOLDER), JSON.stringify(scopes))
}
