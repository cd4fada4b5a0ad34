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
  /** The database is behind a witness or an expected head: checkpoints it once had are gone. */
  'rolled-back',
  /** A lane a checkpoint or witness vouched for has no events left. */
  'lane-missing',
  /** The witness itself does not verify: a bad signature, an entry missing or out of line. */
  'witness-broken',
  /** A witness the verification was told to use cannot be read. */
  'witness-unavailable',
] as const;
export type AuditProblemKind = (typeof AUDIT_PROBLEM_KINDS)[number];
export const AuditProblemKindSchema = Type.Enum(AUDIT_PROBLEM_KINDS);

export const AuditProblem = Type.Object({
  kind: AuditProblemKindSchema,
  id: Type.Optional(Type.Integer({ description: 'row id of the event, when the problem is at an event' })),
  chain: Type.Optional(Type.String()),
  seq: Type.Optional(Type.Integer()),
  checkpoint: Type.Optional(Type.Integer({ description: 'checkpoint number, for checkpoint problems' })),
  since: Type.Optional(
    Type.String({
      description:
        'since when what is missing was known to exist (the checkpoint or witness entry that saw it)',
    }),
  ),
  witness: Type.Optional(Type.String({ description: 'the witness that recorded what the database lacks' })),
  detail: Type.String(),
});
export type AuditProblem = Static<typeof AuditProblem>;

export const AuditWitnessSummary = Type.Object({
  name: Type.String(),
  status: Type.Union([
    Type.Literal('ok'),
    Type.Literal('broken'),
    Type.Literal('unavailable'),
    Type.Literal('absent'),
  ]),
  entries: Type.Integer(),
  lastAt: Type.Optional(Type.String()),
  checkpoint: Type.Optional(Type.Integer({ description: 'the newest checkpoint it recorded' })),
});

export const AuditVerifyReport = Type.Object({
  ok: Type.Boolean(),
  events: Type.Integer(),
  chains: Type.Integer(),
  checkpoints: Type.Integer(),
  covered: Type.Integer({
    description: 'events at or below a signed checkpoint head; the rest are linked but not yet vouched for',
  }),
  problems: Type.Array(AuditProblem),
  head: Type.Optional(
    Type.Object(
      { checkpoint: Type.Integer(), hash: Type.String() },
      { description: 'the newest checkpoint that verified: record it, and pass it later as --expect-head' },
    ),
  ),
  witnesses: Type.Optional(Type.Array(AuditWitnessSummary)),
  from: Type.Optional(
    Type.Object(
      { at: Type.String(), checkpoint: Type.Union([Type.Integer(), Type.Null()]) },
      { description: 'an incremental verification: the report it continued from' },
    ),
  ),
});
export type AuditVerifyReport = Static<typeof AuditVerifyReport>;

/** The last verification the server ran (the worker's continuous verification), for the console. */
export const AuditStatus = Type.Object({
  alarm: Type.Boolean({ description: 'the last verification failed, or a witness cannot be written' }),
  verification: Type.Union([
    Type.Object({
      at: Type.String(),
      ok: Type.Boolean(),
      full: Type.Boolean(),
      events: Type.Integer(),
      checkpoint: Type.Union([Type.Integer(), Type.Null()]),
      problems: Type.Array(AuditProblem),
      problemCount: Type.Integer(),
    }),
    Type.Null(),
  ]),
  witnesses: Type.Array(
    Type.Object({
      name: Type.String(),
      lastWrittenAt: Type.Optional(Type.String()),
      lastEntry: Type.Optional(Type.Integer()),
      failing: Type.Optional(Type.Object({ since: Type.String(), error: Type.String() })),
      failures: Type.Integer(),
    }),
    { description: "this server process's witnesses" },
  ),
});
export type AuditStatus = Static<typeof AuditStatus>;

/** Options of a verification (`{}`, or no body, for the defaults); unknown options are refused. */
export const AuditVerifyBody = Type.Object(
  {
    expectHead: Type.Optional(
      Type.String({
        pattern: '^\\d+:[0-9a-f]{64}$',
        description:
          'CHECKPOINT:HASH recorded earlier (the "head" of a report): fail when the database no longer has it',
      }),
    ),
    since: Type.Optional(
      Type.Boolean({
        description: 'read only what changed since the newest verification report that passed',
      }),
    ),
  },
  { additionalProperties: false },
);
export type AuditVerifyBody = Static<typeof AuditVerifyBody>;

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
