import { type Static, Type } from 'typebox';
import { ConnectionName } from './connections.ts';
import {
  DecisionSchema,
  RequestKindSchema,
  RequestStatusSchema,
  SqlDialectSchema,
  TierSchema,
} from './enums.ts';
import { WhitelistPattern, WhitelistScopeSchema } from './whitelist.ts';

/** Largest command accepted; the body limit is the outer bound, this the useful one. */
export const MAX_COMMAND_LENGTH = 65_536;
/** Longest a verdict long-poll may wait, in seconds. */
export const MAX_WAIT_SECONDS = 60;

export const IdParams = Type.Object({ id: Type.String({ maxLength: 64 }) });
export type IdParams = Static<typeof IdParams>;

/** Where and why a command runs; `environment` selects the policy profile and the approvers. */
export const RequestContext = Type.Object(
  {
    cwd: Type.Optional(Type.String({ maxLength: 1024 })),
    host: Type.Optional(Type.String({ maxLength: 255 })),
    database: Type.Optional(Type.String({ maxLength: 255 })),
    environment: Type.Optional(Type.String({ maxLength: 32 })),
    tool: Type.Optional(Type.String({ maxLength: 128 })),
    justification: Type.Optional(Type.String({ maxLength: 4096 })),
  },
  { additionalProperties: false },
);
export type RequestContext = Static<typeof RequestContext>;

export const SubmitRequestBody = Type.Object(
  {
    kind: RequestKindSchema,
    command: Type.String({ minLength: 1, maxLength: MAX_COMMAND_LENGTH }),
    dialect: Type.Optional(SqlDialectSchema),
    context: Type.Optional(RequestContext),
    /** SQL only: run through the gateway on this registered connection (its engine sets the dialect). */
    connection: Type.Optional(ConnectionName),
  },
  { additionalProperties: false },
);
export type SubmitRequestBody = Static<typeof SubmitRequestBody>;

/** One explanation from the risk engine. */
export const Reason = Type.Object({
  rule: Type.String(),
  category: Type.Optional(Type.String()),
  weight: Type.Optional(Type.Number()),
  detail: Type.Optional(Type.String()),
  floor: Type.Optional(Type.String()),
});
export type Reason = Static<typeof Reason>;

/** What an agent sees of its own request: the outcome and the reasons, and the verdict once final. */
export const AgentRequestView = Type.Object({
  id: Type.String(),
  status: RequestStatusSchema,
  tier: TierSchema,
  score: Type.Number(),
  reasons: Type.Array(Reason),
  requiredApprovals: Type.Optional(Type.Integer()),
  deadline: Type.Optional(Type.Union([Type.String(), Type.Null()])),
  verdict: Type.Optional(Type.String()),
});
export type AgentRequestView = Static<typeof AgentRequestView>;

export const VerdictWaitQuery = Type.Object(
  { wait: Type.Integer({ minimum: 0, maximum: MAX_WAIT_SECONDS, default: 0 }) },
  { additionalProperties: false },
);

export const VerdictAnswer = Type.Object({ status: RequestStatusSchema, verdict: Type.String() });
export const PendingAnswer = Type.Object({ status: Type.Literal('pending') });

export const OutputChunk = Type.Object(
  {
    t: Type.Integer({ minimum: 0, description: 'milliseconds since the command started' }),
    stream: Type.Union([Type.Literal('stdout'), Type.Literal('stderr')]),
    data: Type.String({ maxLength: 1_048_576 }),
  },
  { additionalProperties: false },
);
export type OutputChunk = Static<typeof OutputChunk>;

export const ExecutionReportBody = Type.Object(
  {
    exitCode: Type.Optional(Type.Union([Type.Integer({ minimum: -1, maximum: 255 }), Type.Null()])),
    signal: Type.Optional(Type.String({ maxLength: 32 })),
    durationMs: Type.Integer({ minimum: 0, maximum: 86_400_000 }),
    output: Type.Optional(
      Type.Object(
        { truncated: Type.Boolean(), chunks: Type.Array(OutputChunk, { maxItems: 20_000 }) },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type ExecutionReportBody = Static<typeof ExecutionReportBody>;

/** A whitelist entry added with an approval ("approve and whitelist"). */
export const WhitelistInput = Type.Object(
  {
    pattern: WhitelistPattern,
    expiresAt: Type.String({ format: 'date-time' }),
    reason: Type.String({ minLength: 1, maxLength: 2048 }),
    scope: Type.Optional(WhitelistScopeSchema),
  },
  { additionalProperties: false },
);
export type WhitelistInput = Static<typeof WhitelistInput>;

export const DecisionBody = Type.Object(
  {
    decision: DecisionSchema,
    comment: Type.Optional(Type.String({ maxLength: 4096 })),
    whitelist: Type.Optional(WhitelistInput),
  },
  { additionalProperties: false },
);
export type DecisionBody = Static<typeof DecisionBody>;

export const DecisionAnswer = Type.Object({
  status: RequestStatusSchema,
  approvals: Type.Integer(),
  required: Type.Integer(),
  whitelistId: Type.Optional(Type.String()),
});
export type DecisionAnswer = Static<typeof DecisionAnswer>;

export const ListRequestsQuery = Type.Object(
  {
    status: Type.Optional(RequestStatusSchema),
    agent: Type.Optional(Type.String({ maxLength: 64 })),
    tier: Type.Optional(TierSchema),
    decision: Type.Optional(Type.Union([Type.Literal('allow'), Type.Literal('deny')])),
    from: Type.Optional(Type.String({ format: 'date-time' })),
    to: Type.Optional(Type.String({ format: 'date-time' })),
    q: Type.Optional(Type.String({ minLength: 1, maxLength: 200 })),
    cursor: Type.Optional(Type.String({ maxLength: 512 })),
    limit: Type.Integer({ minimum: 1, maximum: 500, default: 100 }),
    all: Type.Boolean({ default: false }),
  },
  { additionalProperties: false },
);
export type ListRequestsQuery = Static<typeof ListRequestsQuery>;

/** The history's filters for an export of everything they select: no paging. */
export const ExportRequestsQuery = Type.Omit(ListRequestsQuery, ['cursor', 'limit'], {
  additionalProperties: false,
});
export type ExportRequestsQuery = Static<typeof ExportRequestsQuery>;
