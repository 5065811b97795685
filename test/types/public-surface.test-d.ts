// The public surface (docs/api.md): internals are not exported, public types are.
// Checked by `tsc -p test/types` (npm run typecheck); each line after an expect-error must fail.
import type * as guard from '../../lib/index.js'
import { errorResponseSchema } from '../../lib/index.js'

// @ts-expect-error ResolvedOptions is internal
export type A = guard.ResolvedOptions
// @ts-expect-error RouteSecurity is internal
export type B = guard.RouteSecurity
// @ts-expect-error ResolvedIssuer is internal
export type C = guard.ResolvedIssuer
// @ts-expect-error ErrorResponseSchema (TypeBox) is replaced by the plain errorResponseSchema
export type D = typeof guard.ErrorResponseSchema
// @ts-expect-error the log-redaction helpers are internal
export type E = typeof guard.redactURL

export const schema: Readonly<Record<string, unknown>> = errorResponseSchema
export type Public = [guard.AuthContext, guard.OAuthGuardOptions, guard.AuthenticateOptions, guard.Authenticate, guard.OAuthGuardAPI, guard.RouteReportRow, guard.IssuerOptions, guard.ErrorResponse]
