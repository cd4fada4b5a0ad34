import { type Static, Type } from 'typebox';

/**
 * Anomaly baselines as the security console reads them (`GET /v1/anomaly/baselines`): per
 * agent type, whether it is still learning, what it was seen to run and touch in the window,
 * its hours and its usual per-minute peak.
 */

export const BaselineQuery = Type.Object(
  {
    agentType: Type.Optional(
      Type.String({ minLength: 1, maxLength: 100, description: 'only this agent type' }),
    ),
    limit: Type.Integer({
      minimum: 1,
      maximum: 500,
      default: 50,
      description: 'families and targets listed per type, the most used first',
    }),
  },
  { additionalProperties: false },
);
export type BaselineQuery = Static<typeof BaselineQuery>;

export const BaselineFeature = Type.Object({
  /** `family` for command families; `host`, `path`, `database` or `table` for targets. */
  feature: Type.Enum(['family', 'host', 'path', 'database', 'table']),
  value: Type.String(),
  /** Allowed requests that used it (all time, while it stayed in the window). */
  count: Type.Integer(),
  lastSeen: Type.String({ format: 'date-time' }),
});
export type BaselineFeature = Static<typeof BaselineFeature>;

export const AgentTypeBaseline = Type.Object({
  agentType: Type.String(),
  /** Fewer than `learningRequests` requests folded in: nothing is flagged for this type yet. */
  learning: Type.Boolean(),
  /** Requests folded in, all time. */
  requests: Type.Integer(),
  /** Requests still to fold in before the type stops learning (0 once learned). */
  remaining: Type.Integer(),
  /** Requests in the window. */
  windowRequests: Type.Integer(),
  /** Agents of this type with a baseline of their own, and how many of them are still learning. */
  agents: Type.Integer(),
  agentsLearning: Type.Integer(),
  firstSeen: Type.String({ format: 'date-time' }),
  lastSeen: Type.String({ format: 'date-time' }),
  /** Share of the window's requests per hour of day, UTC (24 entries, 0–1). */
  hourShare: Type.Array(Type.Number()),
  /** The usual busiest minute (mean + 3 sd of active minutes); null before a minute closed. */
  usualPerMinute: Type.Union([Type.Number(), Type.Null()]),
  /** More requests than this in a minute (on one replica) is a burst; null while unknown. */
  burstThreshold: Type.Union([Type.Integer(), Type.Null()]),
  families: Type.Array(BaselineFeature),
  targets: Type.Array(BaselineFeature),
});
export type AgentTypeBaseline = Static<typeof AgentTypeBaseline>;

export const BaselineAnswer = Type.Object({
  enabled: Type.Boolean(),
  windowDays: Type.Integer(),
  learningRequests: Type.Integer(),
  /** An hour of day holding less than this share (percent) of a type's requests is off-hours. */
  offHoursPercent: Type.Number(),
  /** Targets whose first use is flagged; the others are learned and listed only. */
  flaggedTargets: Type.Array(Type.String()),
  /** When the baseline job last ran; null before its first round. */
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
  types: Type.Array(AgentTypeBaseline),
});
export type BaselineAnswer = Static<typeof BaselineAnswer>;
