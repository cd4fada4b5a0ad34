/**
 * Public types of the risk engine. Everything the engine returns is plain data so that it
 * can be stored, signed into a verdict and shown to an approver without translation.
 */

import type { RequestKind, SqlDialectName, Tier } from '@gatehouse/contract';

/** Tiers are ordered from least to most restrictive; index comparisons combine them. */
export { SQL_DIALECTS, TIERS, type Tier } from '@gatehouse/contract';

export type Kind = RequestKind;

/** SQL dialects the engine can parse. `postgresql` uses the real PostgreSQL parser. */
export type SqlDialect = SqlDialectName;

export type Environment = 'dev' | 'staging' | 'prod' | (string & {});

export interface AssessContext {
  cwd?: string;
  host?: string;
  database?: string;
  environment?: Environment;
  tool?: string;
  justification?: string;
  /** The requesting agent's type (`ci`, `coding-agent`, …); selects an agent-type profile. */
  agentType?: string;
  /** The requesting agent's id; only whitelist entries scoped to agents (`agents`) read it. */
  agentId?: string;
  /** Evaluation time for whitelist expiry; defaults to now. Injected so tests are deterministic. */
  now?: Date;
}

export interface AssessInput {
  kind: Kind;
  command: string;
  dialect?: SqlDialect;
  context?: AssessContext;
}

/**
 * Rule categories. The first five are the tier-table categories of the default policy;
 * the rest are out-of-scope categories that the default policy denies (`network_config`:
 * changing the host's or the cloud's network; `sabotage`: destroying or exhausting the host or
 * hijacking it, e.g. wiping `/` or a disk, fork bombs, crypto miners), plus `uncertainty` for
 * anything the parsers could not fully understand.
 */
export type Category =
  | 'read_only'
  | 'idempotent_write'
  | 'side_effect'
  | 'irreversible'
  | 'privilege'
  | 'credential_access'
  | 'exfiltration'
  | 'remote_code'
  | 'persistence'
  | 'defense_evasion'
  | 'network_config'
  | 'sabotage'
  | 'uncertainty'
  | 'context';

export interface Reason {
  /** Stable rule id from the policy, e.g. `shell.rm.recursive-root` or `sql.delete.no-where`. */
  rule: string;
  category: Category;
  /** Contribution to the score (0-100). Floors are reported with the weight of the rule. */
  weight: number;
  /** Human explanation from the policy, specialised with what was matched. */
  detail: string;
  /** Tier floor this rule imposes, when it has one. */
  floor?: Tier;
  /**
   * What the engine resolved the matched text to (unwrapped command, decoded payload, target
   * resolved against `cd`), up to three forms joined with `; `. Shown by `gatehouse score --explain`.
   */
  resolved?: string;
}

/** One command as the engine understood it, after quoting, escapes and wrappers were resolved. */
export interface ParsedCommand {
  kind: Kind;
  /** Shell: resolved program name (basename, e.g. `rm`); SQL: statement type (e.g. `DELETE`). */
  name: string;
  /** Shell: resolved argv after the program name; SQL: empty. */
  args: string[];
  /** The source text this command came from. */
  text: string;
  /** Wrapper chain that led here, outermost first (e.g. `['sudo', 'bash -c']`). */
  via: string[];
  /** SQL dialect, for SQL commands (also for SQL found inside `psql -c`). */
  dialect?: SqlDialect;
  /** SQL: the tables (and views) the statement names, schema-qualified as written. */
  tables?: string[];
}

export interface Assessment {
  score: number;
  tier: Tier;
  reasons: Reason[];
  commands: ParsedCommand[];
  /** Version of the policy that produced this assessment; goes into the verdict. */
  policyVersion: string;
  /**
   * Id of the whitelist entry that lowered the tier, when one did; the ids joined with `,`
   * when several entries together covered the input (e.g. `mkdir -p build && npm run build`).
   */
  whitelistedBy?: string;
}

/** The policy file's `insights:` section: the drift alarm's thresholds, each optional. */
export interface InsightsSettings {
  drift?: {
    windowDays?: number;
    baselineDays?: number;
    /** Percent, 0–100. */
    ceilingPercent?: number;
    risePoints?: number;
    minRequests?: number;
  };
  /** Anomaly detection (read by the server's anomaly/ domain); see docs/console.md. */
  anomaly?: {
    enabled?: boolean;
    windowDays?: number;
    learningRequests?: number;
    targets?: ('host' | 'path' | 'database' | 'table')[];
    /** Percent, 0–100. */
    offHoursPercent?: number;
    burstFactor?: number;
    burstMinimum?: number;
    weight?: number;
  };
}

/** The policy file's `whitelistReview:` section, each optional (the server supplies defaults). */
export interface WhitelistReviewSettings {
  intervalDays?: number;
  graceDays?: number;
  dueWithinDays?: number;
}

export interface RiskEngine {
  assess(input: AssessInput): Assessment;
  /**
   * `masking` is the policy's output-masking section, uninterpreted here; `insights` the
   * security console's settings (drift thresholds), validated by the schema, read by the server.
   */
  readonly policy: {
    version: string;
    approvalDeadlineSeconds: number;
    masking?: unknown;
    insights?: InsightsSettings;
    whitelistReview?: WhitelistReviewSettings;
  };
}

/** What an analyzer observed: a policy rule id and what exactly matched. */
export interface Finding {
  rule: string;
  detail: string;
  /** The resolved form behind the finding (see `Reason.resolved`). */
  resolved?: string;
  /**
   * Indexes into the analysis's `commands` of the parsed commands this finding is about (a
   * wrapper's finding is about the commands it runs). Absent when the analyzer cannot tie the
   * finding to particular commands; it is then about the whole input. Whitelists use it to
   * require that every command with a reason to stop is covered, not just some command.
   */
  commands?: number[];
}

/** An analyzer's output: the commands it understood and what it found in them. */
export interface Analysis {
  commands: ParsedCommand[];
  findings: Finding[];
}
