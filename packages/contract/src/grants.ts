import { type Static, Type } from 'typebox';
import { ConnectionName } from './connections.ts';
import { type RequestKind, RequestKindSchema, RequestStatusSchema } from './enums.ts';

/**
 * Just-in-time grants: time-boxed access an agent asks for and approvers give through the
 * same queue as commands. The grant request is a request of kind `grant` (see docs/grants.md);
 * its verdict hashes that kind, so no shell or SQL command can ever match it.
 */
export type QueuedKind = RequestKind | 'grant';

/** The tiers a grant may cover. `deny` never: a grant lowers only what people could approve. */
export const GRANT_CEILINGS = ['review', 'multi_party'] as const;
export type GrantCeiling = (typeof GRANT_CEILINGS)[number];
export const GrantCeilingSchema = Type.Enum(GRANT_CEILINGS);

/** Where a grant is alive: waiting for approvers, running, or over (with how it ended). */
export const GRANT_STATES = ['pending', 'active', 'expired', 'revoked', 'refused'] as const;
export type GrantState = (typeof GRANT_STATES)[number];
export const GrantStateSchema = Type.Enum(GRANT_STATES);

/** A CommandMatch object (program, subcommand, args, first, via, viaOnly); the risk engine validates it. */
const CommandPattern = Type.Record(Type.String(), Type.Unknown(), { maxProperties: 16 });

/** What a grant covers: every brokered statement on one connection, or commands a pattern matches. */
export const GrantScope = Type.Union([
  Type.Object(
    { type: Type.Literal('connection'), connection: ConnectionName },
    { additionalProperties: false },
  ),
  Type.Object(
    { type: Type.Literal('command'), kind: RequestKindSchema, match: CommandPattern },
    { additionalProperties: false },
  ),
]);
export type GrantScope = Static<typeof GrantScope>;

/**
 * The text of a grant request: what approvers read in the queue, and what its verdict's `cmd`
 * hashes (kind `grant`). Derived the same way by the server and the SDK, so the agent checks
 * that the verdict it got is for exactly the grant it asked for.
 */
export function describeGrant(scope: GrantScope, ceiling: GrantCeiling, minutes: number): string {
  const what =
    scope.type === 'connection'
      ? `sql on connection ${scope.connection}`
      : `${scope.kind} commands matching ${JSON.stringify(scope.match)}`;
  return `grant ${what} up to ${ceiling} for ${minutes} min`;
}

export const RequestGrantBody = Type.Object(
  {
    scope: GrantScope,
    ceiling: GrantCeilingSchema,
    durationMinutes: Type.Integer({ minimum: 1, maximum: 10_080 }),
    reason: Type.String({ minLength: 1, maxLength: 2048 }),
    /** Selects the policy profile's approvers, like a request's `context.environment`. */
    environment: Type.Optional(Type.String({ minLength: 1, maxLength: 32 })),
  },
  { additionalProperties: false },
);
export type RequestGrantBody = Static<typeof RequestGrantBody>;

const NullableString = Type.Union([Type.String(), Type.Null()]);

export const GrantView = Type.Object({
  id: Type.String(),
  requestId: Type.String(),
  agentId: Type.String(),
  requestedBy: NullableString,
  scope: GrantScope,
  ceiling: GrantCeilingSchema,
  durationMinutes: Type.Integer(),
  reason: Type.String(),
  state: GrantStateSchema,
  /** The grant request's status (pending until approvers decide). */
  requestStatus: RequestStatusSchema,
  createdAt: Type.String(),
  startsAt: NullableString,
  endsAt: NullableString,
  revokedAt: NullableString,
  revokedBy: NullableString,
});
export type GrantView = Static<typeof GrantView>;

/** What asking for a grant answers: the grant and its request, whose verdict the agent waits for. */
export const RequestGrantAnswer = Type.Object({
  grant: GrantView,
  request: Type.Object({
    id: Type.String(),
    status: RequestStatusSchema,
    requiredApprovals: Type.Integer(),
    deadline: NullableString,
  }),
});
export type RequestGrantAnswer = Static<typeof RequestGrantAnswer>;

export const ListGrantsQuery = Type.Object(
  {
    state: Type.Optional(GrantStateSchema),
    agent: Type.Optional(Type.String({ maxLength: 64 })),
    connection: Type.Optional(ConnectionName),
  },
  { additionalProperties: false },
);
export type ListGrantsQuery = Static<typeof ListGrantsQuery>;

export const GrantList = Type.Object({ items: Type.Array(GrantView) });
