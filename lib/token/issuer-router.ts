/**
 * Routing a token to the one configured issuer it claims, when the plugin trusts several.
 *
 * The route is chosen from the token's *unverified* `iss`, decoded from the JWT payload. That is
 * safe because the route only says which issuer's keys and rules to verify with: each issuer has
 * its own key set and its own verifier, and that verifier checks `iss` again after the signature.
 * A token that lies about its issuer is therefore checked against the keys of the issuer it names,
 * where its signature fails. A token naming no configured issuer is refused before any key or
 * metadata is fetched, so a stranger cannot make the API contact a server of its choosing.
 *
 * Tokens that are not JWTs carry no issuer: at most one issuer introspects (options.ts refuses
 * more), because sending a token to several authorization servers in turn would disclose it to
 * every one of them.
 *
 * @see RFC 9068 §4 (iss must match), RFC 8725 §3.8 (validate issuer and subject), RFC 7662 §4
 */
import type { JWTPayload } from 'jose'
import { InvalidTokenError } from '../errors.js'
import type { ValidationMode } from './validation-mode.js'
import type { Introspector } from './introspection.js'
import type { IssuerTemplate } from './issuer-template.js'
import { decodeSegment } from './jws-segment.js'
import type { JWTVerifier } from './jwt-verifier.js'
import { logSafe } from './refusal-detail.js'

/** How tokens of one configured issuer are validated. */
export interface IssuerRoute {
  /** The issuer as configured (a template keeps its `{tenantid}`). */
  issuer: string
  mode: ValidationMode
  /** `null` with `mode` `introspection`. */
  jwt: JWTVerifier | null
  /** `null` with `mode` `jwt`. */
  introspector: Introspector | null
  /** Set for a template issuer. */
  template?: IssuerTemplate | undefined
}

/** Picks the {@link IssuerRoute} of a token; see the module comment. */
export class IssuerRouter {
  readonly #exact = new Map<string, IssuerRoute>()
  readonly #templates: IssuerRoute[] = []
  /** The one route that takes tokens without an issuer (introspected), if any. */
  readonly opaque: IssuerRoute | null
  /** Every route, in configuration order. */
  readonly routes: readonly IssuerRoute[]

  constructor (routes: readonly IssuerRoute[]) {
    this.routes = routes
    for (const route of routes) {
      if (route.template === undefined) this.#exact.set(route.issuer, route)
      else this.#templates.push(route)
    }
    this.opaque = routes.find((route) => route.mode !== 'jwt') ?? null
  }

  /**
   * The route of a compact JWS by its unverified `iss`. Throws {@link InvalidTokenError} when the
   * payload names no configured issuer (nor an allowed tenant of a template); nothing is fetched.
   */
  route (token: string): IssuerRoute {
    const iss = unverifiedIssuer(token)
    if (typeof iss === 'string') {
      const exact = this.#exact.get(iss)
      if (exact !== undefined) return exact
      for (const route of this.#templates) {
        if (route.template!.allowedTenantOf(iss) !== null) return route
      }
    }
    throw new InvalidTokenError({ detail: `iss: expected one of the configured issuers, received ${iss === undefined ? 'none' : logSafe(iss)}` })
  }
}

/**
 * The `iss` claim of a compact JWS's payload, read without verifying anything; `undefined` when
 * the payload is not base64url JSON or has no `iss`. Only for routing: never trust it further.
 */
export function unverifiedIssuer (token: string): unknown {
  const dot1 = token.indexOf('.')
  const dot2 = token.indexOf('.', dot1 + 1)
  if (dot1 < 0 || dot2 < 0) return undefined
  const bytes = decodeSegment(token.slice(dot1 + 1, dot2))
  if (bytes === undefined) return undefined
  try {
    const payload = JSON.parse(bytes.toString('utf8')) as JWTPayload | null
    return payload !== null && typeof payload === 'object' ? payload.iss : undefined
  } catch {
    return undefined
  }
}
