import { type Static, Type } from 'typebox';

/**
 * What the audit API answers: the verification report (what `gatehouse audit verify` prints)
 * and the filters of an export.
 */

/** How an audit chain or checkpoint can be wrong. */
export const AUDIT_PROBLEM_KINDS = [
  'modified',
  'deleted',
  'inserted',
  'reordered',
  'truncated',
  'bad-checkpoint',
  'checkpoint-missing',
] as const;
export type AuditProblemKind = (typeof AUDIT_PROBLEM_KINDS)[number];
export const AuditProblemKindSchema = Type.Enum(AUDIT_PROBLEM_KINDS);

export const AuditProblem = Type.Object({
  kind: AuditProblemKindSchema,
  id: Type.Optional(Type.Integer({ description: 'row id of the event, when the problem is at an event' })),
  chain: Type.Optional(Type.String()),
  seq: Type.Optional(Type.Integer()),
  checkpoint: Type.Optional(Type.Integer({ description: 'checkpoint number, for checkpoint problems' })),
  detail: Type.String(),
});
export type AuditProblem = Static<typeof AuditProblem>;

export const AuditVerifyReport = Type.Object({
  ok: Type.Boolean(),
  events: Type.Integer(),
  chains: Type.Integer(),
  checkpoints: Type.Integer(),
  covered: Type.Integer({
    description: 'events at or below a signed checkpoint head; the rest are linked but not yet vouched for',
  }),
  problems: Type.Array(AuditProblem),
});
export type AuditVerifyReport = Static<typeof AuditVerifyReport>;

/** The verification takes no options: `{}` (or no body), and unknown options are refused. */
export const AuditVerifyBody = Type.Object({}, { additionalProperties: false });

/** An RFC 3339 time with its offset, e.g. 2026-11-22T10:00:00Z. */
const Time = Type.String({ format: 'date-time', maxLength: 64 });

export const AuditExportQuery = Type.Object(
  {
    since: Type.Optional(Time),
    until: Type.Optional(Time),
    agent: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  },
  { additionalProperties: false },
);
export type AuditExportQuery = Static<typeof AuditExportQuery>;

/** The public keys (JWK) that sign audit checkpoints. */
export const AuditKeys = Type.Object({ keys: Type.Array(Type.Unknown(), { description: 'public JWKs' }) });
