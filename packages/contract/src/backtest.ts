import { type Static, Type } from 'typebox';
import { TierSchema } from './enums.ts';

/**
 * The largest candidate policy a backtest takes, in UTF-8 bytes: the risk engine's own limit
 * for a policy file, so whatever would load as the server's policy can be tried first.
 */
export const MAX_BACKTEST_POLICY_BYTES = 2 * 1024 * 1024;

/** Examples kept per tier move: enough to judge a move, bounded however many requests moved. */
export const BACKTEST_EXAMPLES_PER_MOVE = 5;

/** `30d`, `12h`: how far back from now the history is re-scored. */
export const BACKTEST_SINCE_PATTERN = '^[1-9][0-9]{0,3}[hd]$';

const Instant = Type.String({ format: 'date-time', maxLength: 40 });
const Count = Type.Integer({ minimum: 0 });
const Rate = Type.Union([Type.Number({ minimum: 0, maximum: 1 }), Type.Null()], {
  description: 'auto / total, 0–1; null when the window holds no request',
});

export const BacktestBody = Type.Object(
  {
    policy: Type.String({
      minLength: 1,
      description: `the candidate policy, YAML text (at most ${MAX_BACKTEST_POLICY_BYTES} bytes)`,
    }),
    since: Type.Union(
      [
        Type.String({ pattern: BACKTEST_SINCE_PATTERN, description: 'a duration back from now: 30d, 12h' }),
        { ...Instant, description: 'an ISO 8601 instant' },
      ],
      { default: '30d', description: 'the start of the re-scored history (default 30d)' },
    ),
  },
  { additionalProperties: false },
);
export type BacktestBody = Static<typeof BacktestBody>;

export const TierCounts = Type.Object({
  auto: Count,
  review: Count,
  multi_party: Count,
  deny: Count,
});
export type TierCounts = Static<typeof TierCounts>;

export const BacktestExample = Type.Object({
  id: Type.String({ description: 'the request id' }),
  createdAt: Instant,
  agentId: Type.String(),
  kind: Type.String(),
  command: Type.String({ description: 'the command, cut to 300 characters' }),
  environment: Type.Union([Type.String(), Type.Null()]),
  fromScore: Type.Integer(),
  toScore: Type.Integer(),
  /** The rule ids behind the candidate's tier, strongest first. */
  rules: Type.Array(Type.String()),
});
export type BacktestExample = Static<typeof BacktestExample>;

export const BacktestMove = Type.Object({
  from: TierSchema,
  to: TierSchema,
  count: Count,
  /** `looser` when the candidate asks less of people than what happened, `stricter` when more. */
  direction: Type.Enum(['looser', 'stricter'] as const),
  examples: Type.Array(BacktestExample, { maxItems: BACKTEST_EXAMPLES_PER_MOVE }),
});
export type BacktestMove = Static<typeof BacktestMove>;

export const BacktestSide = Type.Object({
  tiers: TierCounts,
  autoApprovalRate: Rate,
});

export const BacktestProgress = Type.Object({
  type: Type.Literal('progress'),
  done: Count,
  total: Count,
});
export type BacktestProgress = Static<typeof BacktestProgress>;

export const BacktestResult = Type.Object({
  type: Type.Literal('result'),
  policyVersion: Type.String(),
  /** SHA-256 (hex) of the policy text, as the audit event records it. */
  policyHash: Type.String(),
  since: Instant,
  until: Instant,
  total: Count,
  /** Requests whose tier the candidate changes. */
  moved: Count,
  /** Requests the candidate engine could not score; counted as review, as at submission. */
  errors: Count,
  /** The tiers the requests were given when they were submitted. */
  current: BacktestSide,
  /** The tiers the candidate policy, with the live whitelist entries, gives them. */
  candidate: BacktestSide,
  /** Every tier change that happened at least once, largest first. */
  moves: Type.Array(BacktestMove),
  /** `matrix[from][to]`: requests per recorded tier → candidate tier, the unchanged ones included. */
  matrix: Type.Record(TierSchema, TierCounts),
  elapsedMs: Type.Number({ minimum: 0 }),
});
export type BacktestResult = Static<typeof BacktestResult>;

/** A run that broke off after it started streaming: the result never follows one of these. */
export const BacktestFailure = Type.Object({
  type: Type.Literal('error'),
  code: Type.String(),
  message: Type.String(),
});
export type BacktestFailure = Static<typeof BacktestFailure>;

export type BacktestLine = BacktestProgress | BacktestResult | BacktestFailure;
