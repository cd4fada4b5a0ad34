import type { Static } from 'typebox';
import type { Category, InsightsSettings, Kind, Tier, WhitelistReviewSettings } from '../types.ts';
import type { AdjustmentSchema, RuleOverrideSchema, ThresholdsSchema } from './schema.ts';

/**
 * A pure-data pattern over one parsed command. Every present field must hold.
 * `subcommand` words must appear, in this order, among the arguments that are not options.
 */
export interface CommandMatch {
  kind?: Kind;
  program?: string[];
  subcommand?: string[];
  args?: {
    /** Every listed argument is present. */
    includes?: string[];
    /** At least one listed argument is present. */
    includesAny?: string[];
    /** None of the listed arguments is present. */
    excludes?: string[];
    /** Some argument matches this regular expression. */
    regex?: string;
  };
  /** The first argument that is not an option is one of these (`npx vitest`, `git commit`). */
  first?: string[];
  /** Some wrapper in the chain starts with this word (e.g. `sudo`, `ssh`). */
  via?: string;
  /**
   * Every wrapper in the chain starts with one of these words; `[]` means the command must run
   * directly. Keeps an entry for working-tree commands from matching them under `sudo`,
   * `ssh host` or `docker exec`, whose effect is elsewhere.
   */
  viaOnly?: string[];
}

/** A compiled match: regexes built once at load time. */
export interface CompiledMatch extends CommandMatch {
  argRegex?: RegExp;
}

export interface PolicyRule {
  id: string;
  category: Category;
  weight: number;
  floor?: Tier;
  explanation: string;
  match?: CompiledMatch;
}

/** Per-rule weight or floor replacements in a profile. */
export type RuleOverride = Static<typeof RuleOverrideSchema>;

/**
 * How an environment or an agent type adjusts an assessment: `scoreAdd` (added to the score when
 * any reason is not read-only), `minimumTier` (for every assessment in the profile),
 * `categoryFloors` (minimum tier for assessments with a reason of the category), `rules`
 * (per-rule overrides) and `allowWhitelist` (whether whitelist entries apply, default true).
 */
export type Adjustment = Static<typeof AdjustmentSchema>;

export interface WhitelistEntry {
  id: string;
  /** Exact command text (compared after trimming surrounding whitespace). */
  command?: string;
  /**
   * Or: a pattern for parsed commands. Every command that has a reason to stop (a finding that
   * is not read-only) must be matched by this or another applicable entry.
   */
  match?: CompiledMatch;
  /**
   * Only findings of these rule ids are lowered by this entry (e.g. `shell.rm.regenerable`);
   * any other finding on a matched command still needs a human. Absent: every rule.
   */
  rules?: string[];
  kind?: Kind;
  /** Only in these environments, when set. */
  environments?: string[];
  /** Only for these agent types, when set. */
  agentTypes?: string[];
  /** Only for these agents (ids, matched against `context.agentId`), when set. */
  agents?: string[];
  /** The entry stops applying at this instant. */
  expires: Date;
  reason?: string;
}

export type Thresholds = Static<typeof ThresholdsSchema>;

/**
 * An opt-in bundle of whitelist entries shipped with a policy (e.g. `coding-workstation`):
 * off until a policy names it in `useWhitelistProfiles`.
 */
export interface WhitelistProfile {
  description: string;
  /** What the entries let run without a person, stated for whoever turns the profile on. */
  blastRadius?: string;
  whitelist: WhitelistEntry[];
}

/** A validated policy, ready for the engine. */
export interface Policy {
  version: string;
  thresholds: Thresholds;
  approvalDeadlineSeconds: number;
  environments: Record<string, Adjustment>;
  agentTypes: Record<string, Adjustment>;
  whitelist: WhitelistEntry[];
  rules: Map<string, PolicyRule>;
  /** Names that mean production in namespaces, contexts, workspaces, remotes, stages. */
  productionNames: string[];
  /** Whitelist profiles that are switched on (their entries are part of `whitelist`). */
  whitelistProfiles: string[];
  /** The `masking:` section, passed through as written: output masking validates and applies it. */
  masking?: unknown;
  /** The `insights:` section (validated by the schema), carried for the server's insights job. */
  insights?: InsightsSettings;
  /** The `whitelistReview:` section, carried for the server's whitelist review. */
  whitelistReview?: WhitelistReviewSettings;
}

/** What `loadPolicy` returns: a validated document, possibly still to be merged onto the default. */
export interface PolicyDocument {
  extends?: 'default';
  version: string;
  thresholds?: Thresholds;
  approvalDeadlineSeconds?: number;
  masking?: unknown;
  insights?: InsightsSettings;
  whitelistReview?: WhitelistReviewSettings;
  environments?: Record<string, Adjustment>;
  agentTypes?: Record<string, Adjustment>;
  whitelist?: WhitelistEntry[];
  /**
   * With `extends: default`: `false` drops the default policy's whitelist, a list keeps only
   * the default entries with those ids. Absent or `true`: every default entry applies.
   */
  defaultWhitelist?: boolean | string[];
  /** Names that mean production (`production: {names: [...]}`); merged: the document's replace the default's. */
  production?: { names: string[] };
  /** Opt-in whitelist bundles this document defines. */
  whitelistProfiles?: Record<string, WhitelistProfile>;
  /** The whitelist profiles (of this document or the default) to switch on. */
  useWhitelistProfiles?: string[];
  rules: PolicyRule[];
  source?: string;
}
