/**
 * The one rule for every URL the plugin is given or discovers (issuers, endpoints, key sets,
 * resource identifiers): https, or http on a loopback host, where a development provider runs.
 * Anything else (plain http elsewhere, `data:`, `file:`, `javascript:`) could be read or
 * changed on the way.
 */
export function isSecureURL (url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopback(url.hostname))
}

/** localhost, 127.0.0.0/8 or [::1]. */
function isLoopback (hostname: string): boolean {
  return hostname === 'localhost' || hostname === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(hostname)
}
