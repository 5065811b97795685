/**
 * The `dpop` option (RFC 9449 sender-constrained tokens): its schema, the problems the schema
 * cannot express, its resolved form, and the verifier it builds. Plugged into options.ts and
 * plugin.ts.
 */
import { Type } from '@sinclair/typebox'
import { Value } from '@sinclair/typebox/value'
import { describe, schemaProblems } from './option-messages.js'
import { DPoPNonces, DEFAULT_DPOP_NONCE_LIFETIME } from './token/dpop-nonce.js'
import { DEFAULT_DPOP_ALGORITHMS, DEFAULT_DPOP_IAT_WINDOW, DPOP_ALGORITHMS, DPoPVerifier } from './token/dpop-proof.js'
import { DEFAULT_REPLAY_MAX_ENTRIES, LocalReplayStore } from './token/local-replay-store.js'
import type { ReplayStore } from './token/replay-store.js'

/** `off`: the DPoP scheme is not accepted; `allowed` (default): DPoP and Bearer; `required`: DPoP only. */
export type DPoPMode = 'off' | 'allowed' | 'required'

/** The `dpop` option: a mode, or the mode with its settings. */
export type DPoPOptions = DPoPMode | {
  /** Default `allowed`. */
  mode?: DPoPMode
  /** JWS algorithms accepted for proofs, among ES256/384/512, RS256/384/512, PS256/384/512, EdDSA, Ed25519. Default `['ES256', 'RS256', 'PS256', 'EdDSA']`. */
  algorithms?: readonly string[]
  /** How long after its `iat` a proof is accepted, in milliseconds (plus `clockTolerance` either side). Default 60000. */
  iatWindow?: number
  /**
   * Server nonces (RFC 9449 §8): proofs must carry a nonce from the `DPoP-Nonce` header, else 401
   * `use_dpop_nonce`. `true` or settings; default `false`.
   */
  nonce?: boolean | {
    /** Shared by every instance of the API so each accepts the others' nonces; at least 32 characters. Default: random per instance. */
    secret?: string
    /** Time slot of a nonce, in milliseconds: a nonce is accepted for one to two of them. Default 300000. */
    lifetime?: number
  }
  /** Most proof `jti`s remembered against replay (per instance). Default 100000. */
  replayMaxEntries?: number
}

/** `dpop` resolved: `null` when `off`. */
export type ResolvedDPoPOptions = null | {
  readonly mode: 'allowed' | 'required'
  readonly algorithms: readonly string[]
  /** Milliseconds. */
  readonly iatWindow: number
  /** `null`: no nonces. */
  readonly nonce: null | { readonly secret: string | undefined, readonly lifetime: number }
  readonly replayMaxEntries: number
}

const Mode = Type.Union([Type.Literal('off'), Type.Literal('allowed'), Type.Literal('required')], { expected: "'off', 'allowed' or 'required'" })

/** Schema of the object form of `dpop`, checked on its own so that each problem names its field. */
const NonceSettingsSchema = Type.Object({
  secret: Type.Optional(Type.String({ minLength: 32 })),
  lifetime: Type.Optional(Type.Integer({ minimum: 1000, unit: 'milliseconds' }))
}, { additionalProperties: false })

const DPoPSettingsSchema = Type.Object({
  mode: Type.Optional(Mode),
  algorithms: Type.Optional(Type.Array(Type.String(), { minItems: 1 })),
  iatWindow: Type.Optional(Type.Integer({ minimum: 1000, maximum: 3_600_000, unit: 'milliseconds' })),
  nonce: Type.Optional(Type.Unknown()),
  replayMaxEntries: Type.Optional(Type.Integer({ minimum: 1 }))
}, { additionalProperties: false })

/** Schema of `dpop` in the options schema: its own checks are in {@link dpopProblems}. */
export const DPoPOptionsSchema = Type.Unknown()

/** Every problem of `dpop`, as "options.dpop.path: expected ..., received ...". */
export function dpopProblems (dpop: unknown): string[] {
  if (dpop === undefined) return []
  if (dpop === null || typeof dpop !== 'object' || Array.isArray(dpop)) {
    return Value.Check(Mode, dpop) ? [] : [`options.dpop: expected 'off', 'allowed', 'required' or { mode, algorithms, iatWindow, nonce, replayMaxEntries }, received ${describe(dpop)}`]
  }
  const problems = schemaProblems(DPoPSettingsSchema, dpop, 'options.dpop')
  const nonce = (dpop as { nonce?: unknown }).nonce
  if (nonce !== null && typeof nonce === 'object' && !Array.isArray(nonce)) problems.push(...schemaProblems(NonceSettingsSchema, nonce, 'options.dpop.nonce'))
  else if (nonce !== undefined && typeof nonce !== 'boolean') problems.push(`options.dpop.nonce: expected a boolean or { secret, lifetime }, received ${describe(nonce)}`)
  const algorithms = (dpop as { algorithms?: unknown }).algorithms
  for (const alg of Array.isArray(algorithms) ? algorithms : []) {
    if (typeof alg === 'string' && !DPOP_ALGORITHMS.includes(alg)) {
      problems.push(`options.dpop.algorithms: expected asymmetric JWS algorithms (${DPOP_ALGORITHMS.join(', ')}), received ${JSON.stringify(alg)}`)
    }
  }
  return problems
}

/** Resolves a valid `dpop` option (default `allowed`). */
export function resolveDPoPOptions (dpop: DPoPOptions | undefined): ResolvedDPoPOptions {
  const settings = typeof dpop === 'object' ? dpop : { mode: dpop }
  const mode = settings.mode ?? 'allowed'
  if (mode === 'off') return null
  const nonce = settings.nonce ?? false
  return {
    mode,
    algorithms: [...(settings.algorithms ?? DEFAULT_DPOP_ALGORITHMS)],
    iatWindow: settings.iatWindow ?? DEFAULT_DPOP_IAT_WINDOW,
    nonce: nonce === false
      ? null
      : { secret: nonce === true ? undefined : nonce.secret, lifetime: (nonce === true ? undefined : nonce.lifetime) ?? DEFAULT_DPOP_NONCE_LIFETIME },
    replayMaxEntries: settings.replayMaxEntries ?? DEFAULT_REPLAY_MAX_ENTRIES
  }
}

/** The verifier of resolved options, or `null` when DPoP is off. `clockTolerance`: milliseconds. */
export function createDPoPVerifier (dpop: ResolvedDPoPOptions, clockTolerance: number, shareReplay?: (local: ReplayStore) => ReplayStore): DPoPVerifier | null {
  if (dpop === null) return null
  return new DPoPVerifier({
    algorithms: dpop.algorithms,
    iatWindow: dpop.iatWindow,
    clockTolerance,
    replay: shareReplay === undefined ? new LocalReplayStore(dpop.replayMaxEntries) : shareReplay(new LocalReplayStore(dpop.replayMaxEntries)),
    nonces: dpop.nonce === null ? null : new DPoPNonces(dpop.nonce),
    required: dpop.mode === 'required'
  })
}
