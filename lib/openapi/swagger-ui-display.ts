/**
 * Two display fixes for Swagger UI, given through @fastify/swagger-ui's own options (`uiConfig`
 * plugins and `theme` CSS, both served as files, so a strict CSP keeps working):
 *
 * - The padlock. OpenAPI writes "a token is optional" as `security: [{}, { oauth2: [...] }]`
 *   (OpenAPI 3.1 §4.8.30). Swagger UI counts the empty requirement as met and draws a *closed*
 *   padlock on such an operation before anyone signs in. The plugin leaves empty requirements out
 *   of that check only: the document is unchanged, the padlock opens and closes with the login,
 *   and operations documented `security: []` keep having none.
 * - The secret. Swagger UI's OAuth2 dialog always has a `client_secret` row for the authorization
 *   code flow, and shows it as `******` once signed in, even for a PKCE public client that has no
 *   secret (RFC 7636, RFC 8252 §8.5). Swagger UI has no option to drop it, so a CSS rule hides
 *   that row of the authorization code section (the client credentials section keeps its own); the dialog's `client_id` and scopes stay.
 */

/** The options merged into the user's `uiConfig` and `theme`. */
export interface SwaggerUIDisplay {
  uiConfig: Record<string, unknown>
  theme: Record<string, unknown>
}

/**
 * A Swagger UI plugin; runs in the browser, from its source text (@fastify/swagger-ui serialises
 * functions with `toString()`), so it may use nothing from this module.
 */
function oauthGuardPadlock (): unknown {
  const isEmpty = (requirement: { size?: number }): boolean =>
    typeof requirement.size === 'number' ? requirement.size === 0 : Object.keys(requirement).length === 0
  return {
    statePlugins: {
      auth: {
        wrapSelectors: {
          isAuthorized: (original: (state: unknown, security: unknown) => unknown) =>
            (state: unknown, security: { filter?: (keep: (r: { size?: number }) => boolean) => unknown }) =>
              original(state, typeof security?.filter === 'function' ? security.filter((r) => !isEmpty(r)) : security)
        }
      }
    }
  }
}

/**
 * Swagger UI's own default plugin, which a `uiConfig.plugins` array replaces; runs in the browser,
 * where `SwaggerUIBundle` is a global.
 */
function downloadURL (system: unknown): unknown {
  return (globalThis as unknown as { SwaggerUIBundle: { plugins: { DownloadUrl: (s: unknown) => unknown } } }).SwaggerUIBundle.plugins.DownloadUrl(system)
}

/**
 * Hides the `client_secret` row of the authorization code flow's section (the input, and `******`
 * once signed in). The client credentials section keeps its row: a machine client has a secret.
 */
export const HIDE_CLIENT_SECRET_CSS = '.auth-container .wrapper:has(> label[for="client_secret_authorizationCode"]) { display: none; }'

/**
 * `uiConfig` and `theme` for @fastify/swagger-ui: the user's own, with this plugin's padlock plugin
 * appended to their `uiConfig.plugins` and its CSS file to their `theme.css`.
 */
export function swaggerUIDisplay (swaggerUI: Record<string, unknown>): SwaggerUIDisplay {
  const uiConfig = (swaggerUI.uiConfig ?? {}) as Record<string, unknown>
  const theme = (swaggerUI.theme ?? {}) as Record<string, unknown>
  const plugins = Array.isArray(uiConfig.plugins) ? uiConfig.plugins : [downloadURL]
  const css = Array.isArray(theme.css) ? theme.css : []
  return {
    uiConfig: { ...uiConfig, plugins: [...plugins, oauthGuardPadlock] },
    theme: { ...theme, css: [...css, { filename: 'oauth-guard.css', content: HIDE_CLIENT_SECRET_CSS }] }
  }
}
