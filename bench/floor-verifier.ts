/**
 * The "floor": the least work a correct server must do to accept a JWT it has never seen,
 * written by hand on node:crypto with no cache. Every other configuration is compared to it.
 *
 * It reads the Bearer header, decodes the JOSE header, picks the key by `kid` and checks that the
 * key was published for that `alg`, verifies the signature with `crypto.verify` on a prepared
 * KeyObject, then parses the payload and checks `iss`, `aud` and `exp`. Nothing else: no `nbf`,
 * no `typ`, no `crit`, no JSON-shape checks, no error bodies, which is why it is a floor and not a
 * verifier anyone should ship.
 */
import { createPublicKey, verify, constants, type KeyObject } from 'node:crypto'
import type { JWK } from 'jose'

/** A verification key and how to call `crypto.verify` with it. */
interface FloorKey {
  alg: string
  hash: string | null
  key: KeyObject | { key: KeyObject, dsaEncoding: 'ieee-p1363' } | { key: KeyObject, padding: number, saltLength: number }
}

/** What the floor needs to know about the issuer. */
export interface FloorOptions {
  issuer: string
  audience: string
  /** The issuer's public JWKs (each with `kid` and `alg`). */
  keys: JWK[]
}

/** Returns `verifyToken(authorization)`: the claims, or `null` for anything not accepted. */
export function createFloorVerifier (options: FloorOptions): (authorization: string | undefined) => Record<string, unknown> | null {
  const keys = new Map<string, FloorKey>()
  for (const jwk of options.keys) {
    const key = createPublicKey({ key: jwk as never, format: 'jwk' })
    const alg = String(jwk.alg)
    const hash = alg.startsWith('Ed') ? null : `sha${alg.slice(2)}`
    keys.set(String(jwk.kid), {
      alg,
      hash,
      key: alg.startsWith('ES')
        ? { key, dsaEncoding: 'ieee-p1363' }
        : alg.startsWith('PS') ? { key, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: Number(alg.slice(2)) / 8 } : key
    })
  }
  const { issuer, audience } = options

  return function verifyToken (authorization) {
    if (authorization === undefined || !authorization.startsWith('Bearer ')) return null
    const token = authorization.slice(7)
    const dot1 = token.indexOf('.')
    const dot2 = token.indexOf('.', dot1 + 1)
    if (dot1 === -1 || dot2 === -1) return null
    try {
      const header = JSON.parse(Buffer.from(token.slice(0, dot1), 'base64url').toString())
      const key = keys.get(header.kid)
      if (key === undefined || key.alg !== header.alg) return null
      const signature = Buffer.from(token.slice(dot2 + 1), 'base64url')
      if (!verify(key.hash, Buffer.from(token.slice(0, dot2)), key.key, signature)) return null
      const claims = JSON.parse(Buffer.from(token.slice(dot1 + 1, dot2), 'base64url').toString())
      if (claims.iss !== issuer || claims.aud !== audience) return null
      if (!(typeof claims.exp === 'number' && claims.exp > Date.now() / 1000)) return null
      return claims
    } catch {
      return null
    }
  }
}
