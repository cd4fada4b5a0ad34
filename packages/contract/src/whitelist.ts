import { type Static, Type } from 'typebox';
import { RequestKindSchema, TierSchema } from './enums.ts';

/**
 * Who a whitelist entry added from a decision applies to, taken from the request it was
 * added on: its agent, its agent's type, its environment, or everyone. The narrowest,
 * `agent`, is the default: an exception one approver grants should not reach further than
 * they looked.
 */
export const WHITELIST_SCOPES = ['agent', 'agent_type', 'environment', 'global'] as const;
export type WhitelistScope = (typeof WHITELIST_SCOPES)[number];
export const WhitelistScopeSchema = Type.Enum(WHITELIST_SCOPES, {
  description:
    'Whom the entry applies to: the request’s agent (default), agent type, environment, or everyone',
});

/** The longest exact-command pattern: `MAX_COMMAND_LENGTH`, the longest command a request may carry. */
const MAX_PATTERN_LENGTH = 65_536;

/** The pattern of an entry: the exact command text, or a CommandMatch object (the engine validates it). */
export const WhitelistPattern = Type.Union([
  Type.String({ minLength: 1, maxLength: MAX_PATTERN_LENGTH }),
  Type.Record(Type.String(), Type.Unknown(), { maxProperties: 16 }),
]);

/** A candidate entry to score against a request before it is saved. */
export const WhitelistPreviewBody = Type.Object(
  {
    pattern: WhitelistPattern,
    scope: Type.Optional(WhitelistScopeSchema),
  },
  { additionalProperties: false },
);
export type WhitelistPreviewBody = Static<typeof WhitelistPreviewBody>;

const Scored = Type.Object({
  tier: TierSchema,
  score: Type.Integer(),
  whitelistedBy: Type.Union([Type.String(), Type.Null()]),
});

/** Something that keeps the request's command above auto even with the candidate entry. */
export const WhitelistBlocker = Type.Object({
  kind: Type.Enum(['environment', 'agent_type', 'tier', 'not_covered']),
  message: Type.String(),
});
export type WhitelistBlocker = Static<typeof WhitelistBlocker>;

export const WhitelistPreviewAnswer = Type.Object({
  kind: RequestKindSchema,
  scope: WhitelistScopeSchema,
  /** The agent id, agent type or environment the entry would be limited to; null for global. */
  scopeValue: Type.Union([Type.String(), Type.Null()]),
  environment: Type.Union([Type.String(), Type.Null()]),
  agentType: Type.String(),
  /** The request's command scored now, with the entries already saved. */
  before: Scored,
  /** The same command, same agent and environment, scored with the candidate entry added. */
  after: Scored,
  lowersToAuto: Type.Boolean(),
  /** Why `after` is not auto; empty when it is. */
  blockers: Type.Array(WhitelistBlocker),
});
export type WhitelistPreviewAnswer = Static<typeof WhitelistPreviewAnswer>;
