import { REQUEST_KINDS, TIERS } from '@gatehouse/contract';
import Type, { type Static, type TOptional } from 'typebox';
import type { Category } from '../types.ts';

// The policy file's shape, once, as TypeBox: the loader validates with it, the types derive
// from it and `npm run docs:policy-schema` publishes it as policy/policy.schema.json for editors.
// Besides the JSON Schema keywords a node may carry:
//   errorMessage  the whole message for a wrong value of this node (yaml-language-server and
//                 VS Code show it too)
//   what          how messages name an object ("rule", "whitelist entry") for unknown or
//                 missing keys
// What JSON Schema cannot say (regexes compile, ids are unique, thresholds increase, exactly one
// of command or match, dates parse) is checked after it, in validate.ts.

export const CATEGORIES = [
  'read_only',
  'idempotent_write',
  'side_effect',
  'irreversible',
  'privilege',
  'credential_access',
  'exfiltration',
  'remote_code',
  'persistence',
  'defense_evasion',
  'network_config',
  'sabotage',
  'uncertainty',
  'context',
] as const satisfies readonly Category[];

/** Rule ids, whitelist profile names: lowercase words separated by dots (or `-`, `_`). */
export const RULE_ID = /^[a-z0-9][a-z0-9_.-]*$/;

const text = (label: string, options: object = {}) =>
  Type.String({ pattern: '\\S', errorMessage: `${label} must be a non-empty string`, ...options });

/** One string, or a list of them (`program: make` or `program: [make, gmake]`). */
const stringList = (label: string, options: { allowEmpty?: boolean } = {}) =>
  Type.Union(
    [
      Type.String(),
      Type.Array(Type.String({ errorMessage: `${label} entries must be strings` }), {
        minItems: options.allowEmpty ? 0 : 1,
      }),
    ],
    {
      errorMessage: `${label} must be a string or a${options.allowEmpty ? '' : ' non-empty'} list of strings`,
    },
  );

const score = (label: string, minimum = 0) =>
  Type.Number({
    minimum,
    maximum: 100,
    errorMessage: `${label} must be a number between ${minimum} and 100`,
  });

const tier = (label: string) =>
  Type.Enum(TIERS, { errorMessage: `${label} must be one of ${TIERS.join(', ')}` });

const category = Type.Enum(CATEGORIES, { errorMessage: `category must be one of ${CATEGORIES.join(', ')}` });

const kind = Type.Enum(REQUEST_KINDS, { errorMessage: `kind must be ${REQUEST_KINDS.join(' or ')}` });

const ruleId = (errorMessage: string) => Type.String({ pattern: RULE_ID.source, errorMessage });

const mapping = <P extends Parameters<typeof Type.Object>[0]>(
  what: string,
  properties: P,
  options: object = {},
) =>
  Type.Object(properties, {
    additionalProperties: false,
    what,
    errorMessage: `${what} must be a mapping`,
    ...options,
  });

export const MatchSchema = mapping(
  'match',
  {
    kind: Type.Optional(kind),
    program: Type.Optional(stringList('program')),
    subcommand: Type.Optional(stringList('subcommand')),
    args: Type.Optional(
      mapping('args', {
        includes: Type.Optional(stringList('includes')),
        includesAny: Type.Optional(stringList('includesAny')),
        excludes: Type.Optional(stringList('excludes')),
        regex: Type.Optional(text('regex', { description: 'a JavaScript regular expression' })),
      }),
    ),
    first: Type.Optional(stringList('first')),
    via: Type.Optional(text('via')),
    // An empty list is meaningful here: the command must run without any wrapper.
    viaOnly: Type.Optional(stringList('viaOnly', { allowEmpty: true })),
  },
  { minProperties: 1, description: 'A pattern over one parsed command: every present field must hold.' },
);

export const RuleSchema = mapping(
  'rule',
  {
    id: ruleId('rule id must be lowercase words separated by dots'),
    category,
    weight: Type.Optional(score('weight')),
    floor: Type.Optional(tier('floor')),
    explanation: text('explanation'),
    match: Type.Optional(MatchSchema),
  },
  { description: 'A rule needs a weight or a floor (or both).' },
);

export const ThresholdsSchema = mapping('thresholds', {
  review: score('thresholds.review', 1),
  multi_party: score('thresholds.multi_party', 1),
  deny: score('thresholds.deny', 1),
});

export const RuleOverrideSchema = mapping('rule override', {
  weight: Type.Optional(score('weight')),
  floor: Type.Optional(tier('floor')),
});

const categoryFloor = Type.Optional(tier('category floor'));
const categoryFloors = Object.fromEntries(CATEGORIES.map((c) => [c, categoryFloor])) as {
  [C in (typeof CATEGORIES)[number]]: TOptional<ReturnType<typeof tier>>;
};

export const AdjustmentSchema = mapping('profile', {
  scoreAdd: Type.Optional(
    Type.Number({
      minimum: -100,
      maximum: 100,
      errorMessage: 'scoreAdd must be a number between -100 and 100',
    }),
  ),
  minimumTier: Type.Optional(tier('minimumTier')),
  categoryFloors: Type.Optional(mapping('categoryFloors', categoryFloors)),
  rules: Type.Optional(
    Type.Record(Type.String(), RuleOverrideSchema, { errorMessage: 'rules must be a mapping' }),
  ),
  allowWhitelist: Type.Optional(Type.Boolean({ errorMessage: 'allowWhitelist must be true or false' })),
});

const profiles = (label: string) =>
  Type.Record(Type.String(), AdjustmentSchema, { errorMessage: `${label} must be a mapping` });

export const WhitelistEntrySchema = mapping(
  'whitelist entry',
  {
    id: text('id'),
    command: Type.Optional(text('command')),
    match: Type.Optional(MatchSchema),
    rules: Type.Optional(
      Type.Union(
        [
          ruleId('rules entries must be rule ids'),
          Type.Array(ruleId('rules entries must be rule ids'), { minItems: 1 }),
        ],
        { errorMessage: 'rules must be a rule id or a non-empty list of rule ids' },
      ),
    ),
    kind: Type.Optional(kind),
    environments: Type.Optional(stringList('environments')),
    agentTypes: Type.Optional(stringList('agentTypes')),
    agents: Type.Optional(stringList('agents')),
    expires: Type.String({
      errorMessage: 'expires must be an ISO 8601 date or date-time',
      description: 'The entry stops applying at this instant (ISO 8601 date or date-time).',
    }),
    reason: Type.Optional(text('reason')),
  },
  { description: 'Exactly one of command or match.' },
);

const whitelist = Type.Union([Type.Null(), Type.Array(WhitelistEntrySchema)], {
  errorMessage: 'whitelist must be a list',
});

export const WhitelistProfileSchema = mapping('whitelist profile', {
  description: text('description'),
  blastRadius: Type.Optional(text('blastRadius')),
  whitelist: Type.Array(WhitelistEntrySchema, {
    errorMessage: 'whitelist must be a list of whitelist entries',
  }),
});

const count = (label: string, minimum: number, maximum: number) =>
  Type.Integer({
    minimum,
    maximum,
    errorMessage: `${label} must be an integer from ${minimum} to ${maximum}`,
  });

const percent = (label: string) =>
  Type.Number({ minimum: 0, maximum: 100, errorMessage: `${label} must be a number between 0 and 100` });

/**
 * The security console's settings (read by the server, not by the risk engine): the drift
 * alarm's thresholds. Each one left out falls back to its `GATEHOUSE_DRIFT_*` variable.
 */
export const InsightsSchema = mapping(
  'insights',
  {
    drift: Type.Optional(
      mapping(
        'insights.drift',
        {
          windowDays: Type.Optional(count('insights.drift.windowDays', 1, 90)),
          baselineDays: Type.Optional(count('insights.drift.baselineDays', 1, 365)),
          ceilingPercent: Type.Optional(percent('insights.drift.ceilingPercent')),
          risePoints: Type.Optional(percent('insights.drift.risePoints')),
          minRequests: Type.Optional(count('insights.drift.minRequests', 1, 1_000_000)),
        },
        {
          description:
            'Auto-approval drift alarm: the rolling window (days), its baseline (days before it), the ceiling (percent), the rise over the baseline (points) and the fewest requests judged.',
        },
      ),
    ),
    anomaly: Type.Optional(
      mapping(
        'insights.anomaly',
        {
          enabled: Type.Optional(
            Type.Boolean({ errorMessage: 'insights.anomaly.enabled must be true or false' }),
          ),
          windowDays: Type.Optional(count('insights.anomaly.windowDays', 1, 365)),
          learningRequests: Type.Optional(count('insights.anomaly.learningRequests', 1, 1_000_000)),
          targets: Type.Optional(
            Type.Array(
              Type.Enum(['host', 'path', 'database', 'table'], {
                errorMessage: 'insights.anomaly.targets entries must be host, path, database or table',
              }),
              { uniqueItems: true, errorMessage: 'insights.anomaly.targets must be a list without repeats' },
            ),
          ),
          offHoursPercent: Type.Optional(percent('insights.anomaly.offHoursPercent')),
          burstFactor: Type.Optional(
            Type.Number({
              minimum: 1,
              maximum: 1000,
              errorMessage: 'insights.anomaly.burstFactor must be a number from 1 to 1000',
            }),
          ),
          burstMinimum: Type.Optional(count('insights.anomaly.burstMinimum', 1, 1_000_000)),
          weight: Type.Optional(score('insights.anomaly.weight')),
        },
        {
          description:
            'Anomaly detection per agent type and per agent: on/off, the window (days) a family or target stays known, the requests a new type or agent is learning for, which new targets are flagged, the share of an hour below which it is off-hours (percent), the burst factor over the usual per-minute peak and its floor (requests per minute), and the score an anomaly adds.',
        },
      ),
    ),
  },
  { description: 'Security console settings (read by the server).' },
);

/**
 * Whitelist governance (read by the server): how often each entry is reviewed, how long past
 * its review date it keeps applying, and how far ahead the review queue looks.
 */
export const WhitelistReviewSchema = mapping(
  'whitelistReview',
  {
    intervalDays: Type.Optional(count('whitelistReview.intervalDays', 1, 366)),
    graceDays: Type.Optional(count('whitelistReview.graceDays', 0, 90)),
    dueWithinDays: Type.Optional(count('whitelistReview.dueWithinDays', 0, 90)),
  },
  {
    description:
      "Whitelist review: days from an entry's creation (or last renewal) to its review, days past that date it still applies, and how many days ahead an entry counts as due.",
  },
);

export const PolicySchema = mapping(
  'policy',
  {
    version: Type.Union([text('version'), Type.Number()], {
      errorMessage: 'version must be a non-empty string',
    }),
    extends: Type.Optional(Type.Literal('default', { errorMessage: 'extends only supports "default"' })),
    thresholds: Type.Optional(ThresholdsSchema),
    approvalDeadlineSeconds: Type.Optional(
      Type.Integer({
        minimum: 10,
        maximum: 7 * 24 * 3600,
        errorMessage: 'approvalDeadlineSeconds must be an integer from 10 to 604800',
      }),
    ),
    environments: Type.Optional(profiles('environments')),
    agentTypes: Type.Optional(profiles('agentTypes')),
    whitelist: Type.Optional(whitelist),
    defaultWhitelist: Type.Optional(
      Type.Union([Type.Boolean(), stringList('defaultWhitelist', { allowEmpty: true })], {
        errorMessage: 'defaultWhitelist must be true, false or a list of default whitelist ids',
      }),
    ),
    production: Type.Optional(mapping('production', { names: stringList('production.names') })),
    whitelistProfiles: Type.Optional(
      Type.Record(Type.String({ pattern: RULE_ID.source }), WhitelistProfileSchema, {
        additionalProperties: false,
        what: 'whitelist profile name',
        errorMessage: 'whitelistProfiles must be a mapping',
      }),
    ),
    useWhitelistProfiles: Type.Optional(stringList('useWhitelistProfiles')),
    rules: Type.Optional(
      Type.Union([Type.Null(), Type.Array(RuleSchema)], { errorMessage: 'rules must be a list' }),
    ),
    // Owned by output masking (@gatehouse/mask validates it); the risk engine only carries it.
    masking: Type.Optional(Type.Unknown({ description: 'Output masking (validated by @gatehouse/mask).' })),
    // Read by the server's insights job; the risk engine only carries it.
    insights: Type.Optional(InsightsSchema),
    // Read by the server's whitelist review; the risk engine only carries it.
    whitelistReview: Type.Optional(WhitelistReviewSchema),
  },
  {
    title: 'Gatehouse risk policy',
    description:
      'A Gatehouse risk policy. Thresholds and rules are required unless the policy has `extends: default`.',
  },
);

/** A policy file as written, after the schema and before normalisation. */
export type PolicyFile = Static<typeof PolicySchema>;
export type RuleFile = Static<typeof RuleSchema>;
export type MatchFile = Static<typeof MatchSchema>;
export type WhitelistEntryFile = Static<typeof WhitelistEntrySchema>;
export type InsightsFile = Static<typeof InsightsSchema>;

/** The published JSON Schema (`policy/policy.schema.json`): the TypeBox schema as plain JSON. */
export function policyJsonSchema(): Record<string, unknown> {
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    title: 'Gatehouse risk policy',
    ...(JSON.parse(JSON.stringify(PolicySchema)) as Record<string, unknown>),
  };
}
