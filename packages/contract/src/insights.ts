import { type Static, Type } from 'typebox';

/** Time buckets of the security console's series; UTC, weeks start on Monday. */
export const INSIGHT_BUCKETS = ['hour', 'day', 'week'] as const;
export type InsightBucket = (typeof INSIGHT_BUCKETS)[number];
/** What a series can be split by; without `by`, one series (`all`). */
export const INSIGHT_SPLITS = ['agentType', 'environment', 'agent'] as const;
export type InsightSplit = (typeof INSIGHT_SPLITS)[number];

const Instant = Type.String({ format: 'date-time', maxLength: 40 });
const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
  description: 'auto-approved / total, 0–1; null when nothing was submitted',
});

const Range = {
  from: Type.Optional({ ...Instant, description: 'start (inclusive); default: 7 days before `to`' }),
  to: Type.Optional({ ...Instant, description: 'end (exclusive); default: now' }),
};

export const AutoApprovalQuery = Type.Object(
  {
    ...Range,
    bucket: Type.Enum(INSIGHT_BUCKETS, { default: 'day' }),
    by: Type.Optional(Type.Enum(INSIGHT_SPLITS)),
  },
  { additionalProperties: false },
);
export type AutoApprovalQuery = Static<typeof AutoApprovalQuery>;

export const RateBucket = Type.Object({
  start: Instant,
  total: Type.Integer({ minimum: 0 }),
  autoApproved: Type.Integer({ minimum: 0 }),
  rate: Rate,
});
export type RateBucket = Static<typeof RateBucket>;

export const RateSeries = Type.Object({
  /** `all`, or the agent type, environment or agent id the series is for. */
  key: Type.String(),
  /** What people read for the key (an agent's name); the key itself otherwise. */
  label: Type.String(),
  total: Type.Integer({ minimum: 0 }),
  autoApproved: Type.Integer({ minimum: 0 }),
  rate: Rate,
  buckets: Type.Array(RateBucket),
});
export type RateSeries = Static<typeof RateSeries>;

export const AutoApprovalAnswer = Type.Object({
  from: Instant,
  to: Instant,
  bucket: Type.Enum(INSIGHT_BUCKETS),
  by: Type.Union([Type.Enum(INSIGHT_SPLITS), Type.Null()]),
  /** Requests up to this instant are in the rollups; later ones appear on the job's next run. */
  updatedAt: Type.Union([Instant, Type.Null()]),
  series: Type.Array(RateSeries),
});
export type AutoApprovalAnswer = Static<typeof AutoApprovalAnswer>;

export const SummaryQuery = Type.Object(Range, { additionalProperties: false });
export type SummaryQuery = Static<typeof SummaryQuery>;

const Count = Type.Integer({ minimum: 0 });
const TopItem = Type.Object({ key: Type.String(), count: Count });

export const InsightSummary = Type.Object({
  from: Instant,
  to: Instant,
  updatedAt: Type.Union([Instant, Type.Null()]),
  total: Count,
  autoApproved: Count,
  rate: Rate,
  /** Requests by the tier the risk engine gave them. */
  tiers: Type.Object({ auto: Count, review: Count, multi_party: Count, deny: Count }),
  /** What became of the requests that went to people. */
  outcomes: Type.Object({
    pending: Count,
    approved: Count,
    rejected: Count,
    expired: Count,
    cancelled: Count,
  }),
  /** Submit to decision, for requests that went to people and were closed. */
  decisionLatency: Type.Object({
    count: Count,
    p50Seconds: Type.Union([Type.Number(), Type.Null()]),
    p90Seconds: Type.Union([Type.Number(), Type.Null()]),
  }),
  /** Auto-approved command families: program + subcommand, or the SQL statement kind. */
  topFamilies: Type.Array(TopItem),
  /** Whitelist entries by how many requests they lowered. */
  topWhitelist: Type.Array(TopItem),
  /** Risk rules by how many requests carried them. */
  topReasons: Type.Array(TopItem),
});
export type InsightSummary = Static<typeof InsightSummary>;

export const DRIFT_TRIGGERS = ['ceiling', 'rise'] as const;

export const DriftQuery = Type.Object(
  {
    state: Type.Enum(['open', 'all'], {
      default: 'open',
      description: '`open`: not yet acknowledged; `all`: the 200 most recent',
    }),
  },
  { additionalProperties: false },
);

export const DriftAlarm = Type.Object({
  id: Type.String(),
  /** `<agent type>/<environment>`. */
  key: Type.String(),
  agentType: Type.String(),
  environment: Type.String(),
  trigger: Type.Enum(DRIFT_TRIGGERS),
  /** The window's rate when raised. */
  rate: Type.Number(),
  baseline: Type.Union([Type.Number(), Type.Null()]),
  /** The rate at the latest check. */
  currentRate: Type.Number(),
  total: Count,
  windowDays: Type.Integer(),
  /** When it was raised. */
  since: Instant,
  checkedAt: Instant,
  acknowledgedAt: Type.Union([Instant, Type.Null()]),
  acknowledgedBy: Type.Union([Type.String(), Type.Null()]),
  comment: Type.Union([Type.String(), Type.Null()]),
});
export type DriftAlarm = Static<typeof DriftAlarm>;

export const DriftThresholdsView = Type.Object({
  windowDays: Type.Integer(),
  baselineDays: Type.Integer(),
  ceiling: Type.Number(),
  risePoints: Type.Number(),
  minRequests: Type.Integer(),
  fromPolicy: Type.Array(Type.String(), {
    description:
      'the thresholds set by the policy file’s `insights.drift` section; the others come from GATEHOUSE_DRIFT_*',
  }),
});

export const DriftAnswer = Type.Object({
  alarms: Type.Array(DriftAlarm),
  thresholds: DriftThresholdsView,
});
export type DriftAnswer = Static<typeof DriftAnswer>;

export const AcknowledgeBody = Type.Object(
  { comment: Type.String({ minLength: 1, maxLength: 2000, description: 'what the reviewer found' }) },
  { additionalProperties: false },
);
export type AcknowledgeBody = Static<typeof AcknowledgeBody>;

export const MixQuery = Type.Object(
  { ...Range, bucket: Type.Enum(INSIGHT_BUCKETS, { default: 'day' }) },
  { additionalProperties: false },
);
export type MixQuery = Static<typeof MixQuery>;

const Seconds = Type.Union([Type.Number({ minimum: 0 }), Type.Null()]);

export const MixBucket = Type.Object({
  start: Instant,
  total: Count,
  /** Requests created in the bucket, by the tier the risk engine gave them. */
  tiers: Type.Object({ auto: Count, review: Count, multi_party: Count, deny: Count }),
  /** What became of the requests created in the bucket that went to people, as of `updatedAt`. */
  outcomes: Type.Object({
    pending: Count,
    approved: Count,
    rejected: Count,
    expired: Count,
    cancelled: Count,
  }),
  /** Submit to decision of the bucket's requests closed by people; null when none was. */
  decisionLatency: Type.Object({ count: Count, p50Seconds: Seconds, p90Seconds: Seconds }),
});
export type MixBucket = Static<typeof MixBucket>;

export const MixAnswer = Type.Object({
  from: Instant,
  to: Instant,
  bucket: Type.Enum(INSIGHT_BUCKETS),
  updatedAt: Type.Union([Instant, Type.Null()]),
  /** One per bucket overlapping the range, in order; empty buckets have zero counts. */
  buckets: Type.Array(MixBucket),
});
export type MixAnswer = Static<typeof MixAnswer>;
