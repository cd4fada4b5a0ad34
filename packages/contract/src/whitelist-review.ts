import { type Static, type TSchema, Type } from 'typebox';
import { RequestKindSchema, TierSchema } from './enums.ts';

/**
 * Whitelist governance: every entry (the policy file's and those approvers added) with its
 * reach, its hits and its review, the review queue, and the reviewer's renew / retire.
 */

const Instant = Type.String({ format: 'date-time', maxLength: 40 });
const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);

export const WHITELIST_REVIEW_STATES = ['current', 'due', 'overdue', 'lapsed', 'retired'] as const;
export type WhitelistReviewState = (typeof WHITELIST_REVIEW_STATES)[number];

export const BLAST_RADII = ['narrow', 'moderate', 'wide'] as const;

const Person = Type.Object({ id: Type.String(), email: Nullable(Type.String()) });

export const WhitelistReviewEvent = Type.Object({
  action: Type.Enum(['renew', 'retire']),
  by: Person,
  at: Instant,
  comment: Type.String(),
  /** The review date a renewal set; null for a retirement. */
  nextReviewAt: Nullable(Instant),
});

export const GovernedWhitelistEntry = Type.Object({
  id: Type.String(),
  source: Type.Enum(['policy', 'added'], {
    description: '`policy`: listed in the policy file; `added`: added by an approver with a decision',
  }),
  kind: Nullable(RequestKindSchema),
  /** The exact command, or null when `match` is a pattern over parsed commands. */
  command: Nullable(Type.String()),
  match: Nullable(Type.Record(Type.String(), Type.Unknown())),
  /** Only findings of these rules are lowered; null: every rule. */
  rules: Nullable(Type.Array(Type.String())),
  agents: Nullable(Type.Array(Type.String())),
  agentTypes: Nullable(Type.Array(Type.String())),
  environments: Nullable(Type.Array(Type.String())),
  lowers: Type.Object(
    { from: TierSchema, to: TierSchema },
    { description: 'The tier the entry lowers, and to what: a whitelist lowers review to auto' },
  ),
  blastRadius: Type.Enum(BLAST_RADII, {
    description:
      '`narrow`: an exact command for named agents; `moderate`: an exact command for an agent type or environment, or a pattern for named agents; `wide`: anything for everyone, or a pattern for a type or environment',
  }),
  /** Null for a policy-file entry (its author is whoever changed the policy file). */
  author: Nullable(Person),
  reason: Nullable(Type.String()),
  /** A policy-file entry: when the server first saw it. */
  createdAt: Instant,
  expiresAt: Instant,
  revokedAt: Nullable(Instant),
  /** Whether the entry lowers anything now: not expired, revoked, retired or lapsed. */
  active: Type.Boolean(),
  hits: Type.Object({
    count: Type.Integer(),
    lastHitAt: Nullable(Instant),
    agents: Type.Array(
      Type.Object({ id: Type.String(), name: Nullable(Type.String()), count: Type.Integer() }),
    ),
    agentTypes: Type.Array(Type.String()),
  }),
  review: Type.Object({
    state: Type.Enum(WHITELIST_REVIEW_STATES),
    nextReviewAt: Instant,
    /** The entry stops applying at this instant unless it is renewed. */
    lapsesAt: Instant,
    due: Type.Boolean(),
    history: Type.Array(WhitelistReviewEvent),
  }),
});
export type GovernedWhitelistEntry = Static<typeof GovernedWhitelistEntry>;

const Settings = Type.Object({
  intervalDays: Type.Integer(),
  graceDays: Type.Integer(),
  dueWithinDays: Type.Integer(),
});

export const WhitelistGovernanceAnswer = Type.Object({
  items: Type.Array(GovernedWhitelistEntry),
  settings: Settings,
  /** When the hit counts were last brought up to date; null before the first round. */
  hitsUpdatedAt: Nullable(Instant),
});
export type WhitelistGovernanceAnswer = Static<typeof WhitelistGovernanceAnswer>;

export const WhitelistReviewQuery = Type.Object(
  {
    withinDays: Type.Optional(
      Type.Integer({
        minimum: 0,
        maximum: 366,
        description:
          'Due: the review date passed or is within this many days (default: the policy’s dueWithinDays)',
      }),
    ),
  },
  { additionalProperties: false },
);
export type WhitelistReviewQuery = Static<typeof WhitelistReviewQuery>;

export const RenewWhitelistBody = Type.Object(
  {
    nextReviewAt: Type.String({
      minLength: 1,
      maxLength: 40,
      description: 'the next review date (ISO 8601)',
    }),
    comment: Type.String({ minLength: 1, maxLength: 2000, description: 'what the reviewer checked' }),
  },
  { additionalProperties: false },
);
export type RenewWhitelistBody = Static<typeof RenewWhitelistBody>;

export const RetireWhitelistBody = Type.Object(
  { comment: Type.String({ minLength: 1, maxLength: 2000, description: 'why the entry goes' }) },
  { additionalProperties: false },
);
export type RetireWhitelistBody = Static<typeof RetireWhitelistBody>;

export const WhitelistReviewAnswer = Type.Object({
  id: Type.String(),
  action: Type.Enum(['renew', 'retire']),
  at: Instant,
  nextReviewAt: Nullable(Instant),
});
export type WhitelistReviewAnswer = Static<typeof WhitelistReviewAnswer>;
