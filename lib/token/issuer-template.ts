/**
 * Issuer templates: one configured issuer that stands for many, as Microsoft Entra ID's
 * multi-tenant issuer `https://login.microsoftonline.com/{tenantid}/v2.0` does. A token's `iss`
 * matches when it is the template with `{tenantid}` replaced by one tenant ID; the tenant must be
 * allowed (an allow-list or a function), and, once the signature is verified, the token's `tid`
 * claim must name the same tenant, so a tenant cannot present a token whose `iss` names another.
 *
 * Not checked: that the tenant exists or that its keys differ from others' (Entra signs every
 * tenant's tokens with the keys of the common JWKS, which is why the template has one key set).
 *
 * @see https://learn.microsoft.com/entra/identity-platform/access-tokens#validate-the-issuer
 */
import type { JWTPayload } from 'jose'
import { logSafe } from './refusal-detail.js'

/** The placeholder of a template issuer. */
export const TENANT_PLACEHOLDER = '{tenantid}'

/** The characters a tenant ID may have in an issuer: GUIDs and domain names, never a `/`, `?` or `#`. */
const TENANT_ID = '([0-9A-Za-z][0-9A-Za-z._-]{0,127})'

/** Which tenants a template accepts: an allow-list, or a function (a throw refuses). */
export type TenantPolicy = readonly string[] | ((tenantId: string) => boolean)

/** Whether `issuer` is a template (holds {@link TENANT_PLACEHOLDER}). */
export function isIssuerTemplate (issuer: string): boolean {
  return issuer.includes(TENANT_PLACEHOLDER)
}

/** A template issuer and its tenant policy; see the module comment. */
export class IssuerTemplate {
  /** The template as configured. */
  readonly template: string
  readonly #pattern: RegExp
  readonly #allowed: (tenantId: string) => boolean

  constructor (template: string, tenants: TenantPolicy) {
    this.template = template
    const [before, after] = template.split(TENANT_PLACEHOLDER) as [string, string]
    this.#pattern = new RegExp(`^${escape(before)}${TENANT_ID}${escape(after)}$`)
    if (typeof tenants === 'function') {
      this.#allowed = (tenantId) => {
        try {
          return tenants(tenantId) === true
        } catch {
          // A policy that throws refuses: failing open on a bug would accept every tenant.
          return false
        }
      }
    } else {
      const set = new Set(tenants)
      this.#allowed = (tenantId) => set.has(tenantId)
    }
  }

  /** The tenant ID `iss` names, or `null` when `iss` is not of this template. */
  tenantOf (iss: unknown): string | null {
    if (typeof iss !== 'string') return null
    return this.#pattern.exec(iss)?.[1] ?? null
  }

  /** The tenant `iss` names when it is of this template and the tenant is allowed; else `null`. */
  allowedTenantOf (iss: unknown): string | null {
    const tenant = this.tenantOf(iss)
    return tenant !== null && this.#allowed(tenant) ? tenant : null
  }

  /** The check of verified claims: `iss` of this template, an allowed tenant, and `tid` naming it. */
  readonly accepts = (claims: JWTPayload): boolean => {
    const tenant = this.allowedTenantOf(claims.iss)
    return tenant !== null && claims.tid === tenant
  }
}

/** The refusal detail of a template's check, log-safe: what `iss` and `tid` were received. */
export function templateIssuerDetail (claims: JWTPayload, template: string): string {
  return `iss: expected ${logSafe(template)} with an allowed tenant, and tid naming it, received iss ${logSafe(claims.iss)}, tid ${logSafe(claims.tid)}`
}

function escape (text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
