/**
 * Server-provided DPoP nonces (RFC 9449 §8, §9), stateless: a nonce names a time slot and carries
 * an HMAC of it, so any instance holding the same secret accepts it without shared state. A nonce
 * is accepted during its own slot and the next one: from `lifetime` to twice `lifetime` after it
 * was first handed out.
 *
 * Without a configured secret each instance draws its own at start: behind a load balancer, a
 * nonce from one instance is then refused by another (the client retries with the new one).
 *
 * @see RFC 9449 §8 (nonces at the resource server), §9 (`use_dpop_nonce`)
 */
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto'

/** Default time slot of a nonce, in milliseconds (a nonce lives one to two of them). */
export const DEFAULT_DPOP_NONCE_LIFETIME = 300_000

/** Options of {@link DPoPNonces}. */
export interface DPoPNoncesOptions {
  /** Shared between instances so that each accepts the others' nonces; default: 32 random bytes. */
  secret?: string | undefined
  /** Milliseconds. */
  lifetime: number
}

/** Issues and checks nonces; see the module comment. */
export class DPoPNonces {
  readonly #secret: Buffer
  readonly #lifetime: number
  #slot = -1
  #current = ''

  constructor (options: DPoPNoncesOptions) {
    this.#secret = options.secret === undefined ? randomBytes(32) : Buffer.from(options.secret, 'utf8')
    this.#lifetime = options.lifetime
  }

  /** The nonce to hand out now (the same string for a whole slot). */
  current (): string {
    const slot = Math.floor(Date.now() / this.#lifetime)
    if (slot !== this.#slot) {
      this.#slot = slot
      this.#current = `${slot.toString(36)}.${this.#mac(slot).toString('base64url')}`
    }
    return this.#current
  }

  /** Whether `nonce` was issued (with this secret) in the current slot or the one before. */
  accepts (nonce: unknown): boolean {
    if (typeof nonce !== 'string' || nonce.length > 64) return false
    const dot = nonce.indexOf('.')
    if (dot < 1) return false
    const slot = parseInt(nonce.slice(0, dot), 36)
    const now = Math.floor(Date.now() / this.#lifetime)
    if (!(slot === now || slot === now - 1) || slot.toString(36) !== nonce.slice(0, dot)) return false
    const mac = Buffer.from(nonce.slice(dot + 1), 'base64url')
    const expected = this.#mac(slot)
    return mac.length === expected.length && timingSafeEqual(mac, expected)
  }

  #mac (slot: number): Buffer {
    return createHmac('sha256', this.#secret).update(`dpop-nonce:${slot}`).digest()
  }
}
