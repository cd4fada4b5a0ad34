import type { AssessContext, Assessment, Category, Finding, ParsedCommand, Reason, Tier } from '../types.ts';
import { TIERS } from '../types.ts';
import { matchesCommand } from './match.ts';
import { describeCommand, type Hit, ReasonCollector } from './reasons.ts';
import type { Adjustment, CompiledMatch, Policy, PolicyRule, WhitelistEntry } from './types.ts';

export { UNKNOWN_RULE_WEIGHT } from './reasons.ts';

export function maxTier(a: Tier, b: Tier): Tier {
  return TIERS.indexOf(a) >= TIERS.indexOf(b) ? a : b;
}

function tierRank(t: Tier): number {
  return TIERS.indexOf(t);
}

interface EvaluateInput {
  kind: 'shell' | 'sql';
  command: string;
  commands: ParsedCommand[];
  findings: Finding[];
  context: AssessContext | undefined;
}

/**
 * Turns analyzer findings into the assessment: every finding is looked up in the policy,
 * pattern rules are matched against the parsed commands, profiles adjust, whitelists lower.
 */
export function evaluate(
  policy: Policy,
  input: EvaluateInput,
  extraWhitelist: WhitelistEntry[] = [],
  index: PolicyIndex = indexPolicy(policy),
): Assessment {
  const environment = input.context?.environment;
  const profiles: Adjustment[] = [];
  const envProfile = environment ? policy.environments[environment] : undefined;
  if (envProfile) profiles.push(envProfile);
  const agentProfile = input.context?.agentType ? policy.agentTypes[input.context.agentType] : undefined;
  if (agentProfile) profiles.push(agentProfile);

  const { reasons, hits } = collectReasons(policy, index, input, profiles);

  let score = combine(
    policy,
    reasons.map((r) => r.weight),
  );
  const notReadOnly = reasons.some((r) => r.category !== 'read_only' && r.weight > 0);
  const unboosted = score;
  for (const profile of profiles) {
    if (profile.scoreAdd && (notReadOnly || profile.scoreAdd < 0)) score += profile.scoreAdd;
  }
  // A profile's boost makes an environment more careful (review → multi_party), but `deny` is
  // for what is out of scope anywhere: a boost never turns an approvable command into a refusal
  // (DROP TABLE is multi_party in staging as in prod). Floors and out-of-scope weights still deny.
  if (unboosted < policy.thresholds.deny) score = Math.min(score, policy.thresholds.deny - 1);
  score = Math.max(0, Math.min(100, Math.round(score)));

  let ruleFloor: Tier = 'auto';
  for (const reason of reasons) if (reason.floor) ruleFloor = maxTier(ruleFloor, reason.floor);
  // Environment and agent-type floors are kept apart: a whitelist never lowers them (an entry
  // written for a laptop must not turn a production write into auto).
  let profileFloor: Tier = 'auto';
  for (const profile of profiles) {
    if (profile.minimumTier) profileFloor = maxTier(profileFloor, profile.minimumTier);
    for (const reason of reasons) {
      const f = profile.categoryFloors?.[reason.category];
      if (f && reason.weight > 0) profileFloor = maxTier(profileFloor, f);
    }
  }
  const tier = maxTier(thresholdTier(policy, score), maxTier(ruleFloor, profileFloor));

  const assessment: Assessment = {
    score,
    tier,
    reasons: reasons.sort(
      (a, b) => b.weight - a.weight || tierRank(b.floor ?? 'auto') - tierRank(a.floor ?? 'auto'),
    ),
    commands: input.commands,
    policyVersion: policy.version,
  };

  const whitelistable =
    tier === 'review' &&
    profileFloor === 'auto' &&
    profiles.every((p) => p.allowWhitelist !== false) &&
    !reasons.some((r) => NEVER_WHITELISTED.has(r.category));
  if (whitelistable) {
    const used = coveringEntries(policy, input, reasons, hits, [...policy.whitelist, ...extraWhitelist]);
    if (used) {
      assessment.tier = 'auto';
      assessment.whitelistedBy = used.join(',');
    }
  }
  return assessment;
}

/**
 * Categories a whitelist never lowers: what the parsers did not fully understand, and what is
 * out of scope for an agent (even when a custom policy weighs it below deny).
 */
const NEVER_WHITELISTED: ReadonlySet<Category> = new Set([
  'uncertainty',
  'privilege',
  'credential_access',
  'exfiltration',
  'remote_code',
  'persistence',
  'defense_evasion',
  'network_config',
  'sabotage',
]);

/**
 * The strongest reason sets the score; the others add a tenth of their weight, but several
 * findings never add up to a higher tier than the strongest one reaches alone.
 */
function combine(policy: Policy, weights: number[]): number {
  if (weights.length === 0) return 0;
  const sorted = [...weights].sort((a, b) => b - a);
  const top = sorted[0] ?? 0;
  const total = top + 0.1 * sorted.slice(1).reduce((sum, w) => sum + w, 0);
  const t = policy.thresholds;
  const ceiling =
    top >= t.deny
      ? 100
      : top >= t.multi_party
        ? t.deny - 1
        : top >= t.review
          ? t.multi_party - 1
          : t.review - 1;
  return Math.min(total, ceiling);
}

function thresholdTier(policy: Policy, score: number): Tier {
  const t = policy.thresholds;
  if (score >= t.deny) return 'deny';
  if (score >= t.multi_party) return 'multi_party';
  if (score >= t.review) return 'review';
  return 'auto';
}

type PatternRule = PolicyRule & { match: CompiledMatch };

/**
 * What `evaluate` reads from a policy on every call, worked out once per policy (the engine
 * keeps it beside its policy): a few of the policy's rules have a `match` pattern, and only
 * those are matched against the parsed commands, instead of scanning every rule per call.
 */
export interface PolicyIndex {
  /** The rules with a `match` pattern, in policy order (the order reasons are first seen in). */
  patternRules: readonly PatternRule[];
}

export function indexPolicy(policy: Policy): PolicyIndex {
  return { patternRules: [...policy.rules.values()].filter((r): r is PatternRule => r.match !== undefined) };
}

function collectReasons(
  policy: Policy,
  index: PolicyIndex,
  input: EvaluateInput,
  profiles: Adjustment[],
): { reasons: Reason[]; hits: Hit[] } {
  const collector = new ReasonCollector();
  for (const finding of input.findings)
    collector.add(finding.rule, finding.detail, finding.resolved, finding.commands);
  for (const rule of index.patternRules) {
    for (let i = 0; i < input.commands.length; i++) {
      const command = input.commands[i] as ParsedCommand;
      if (!matchesCommand(rule.match, command)) continue;
      const shown = describeCommand(command);
      collector.add(rule.id, shown, shown, [i]);
    }
  }
  return { reasons: collector.reasons(policy, profiles), hits: collector.hits };
}

/**
 * The ids of the entries that together cover every reason to stop, or undefined when some
 * reason is left uncovered. A reason needs cover when its rule is not read-only (or weighs a
 * review on its own); it is covered when, for each parsed command it is about, an applicable
 * entry that may lower that rule matches the command. A finding about no particular command
 * is about all of them; an exact `command` entry covers the whole input.
 */
function coveringEntries(
  policy: Policy,
  input: EvaluateInput,
  reasons: Reason[],
  hits: Hit[],
  entries: WhitelistEntry[],
): string[] | undefined {
  const now = (input.context?.now ?? new Date()).getTime();
  const applicable = entries.filter((entry) => applies(entry, input, now));
  if (applicable.length === 0) return undefined;
  const needsCover = new Set(
    reasons
      .filter(
        (r) =>
          r.weight >= policy.thresholds.review ||
          r.floor !== undefined ||
          (r.category !== 'read_only' && r.weight > 0),
      )
      .map((r) => r.rule),
  );
  const text = input.command.trim();
  const all = input.commands.map((_, i) => i);
  const used: string[] = [];
  let needed = 0;
  for (const hit of hits) {
    if (!needsCover.has(hit.rule)) continue;
    needed++;
    const targets: (number | undefined)[] =
      hit.commands && hit.commands.length > 0 ? hit.commands : all.length > 0 ? all : [undefined];
    for (const index of targets) {
      const entry = applicable.find((e) => covers(e, hit.rule, index, input, text));
      if (!entry) return undefined;
      if (!used.includes(entry.id)) used.push(entry.id);
    }
  }
  return needed > 0 ? used : undefined;
}

/** Whether the entry applies to this input at `now` (epoch ms: whitelist expiry is evaluated then). */
function applies(entry: WhitelistEntry, input: EvaluateInput, now: number): boolean {
  const environment = input.context?.environment;
  const agentType = input.context?.agentType;
  if (entry.expires.getTime() <= now) return false;
  if (entry.kind && entry.kind !== input.kind) return false;
  if (entry.environments && !(environment && entry.environments.includes(environment))) return false;
  if (entry.agentTypes && !(agentType && entry.agentTypes.includes(agentType))) return false;
  const agentId = input.context?.agentId;
  if (entry.agents && !(agentId && entry.agents.includes(agentId))) return false;
  return true;
}

function covers(
  entry: WhitelistEntry,
  rule: string,
  index: number | undefined,
  input: EvaluateInput,
  text: string,
): boolean {
  if (entry.rules && !entry.rules.includes(rule)) return false;
  if (entry.command !== undefined) return entry.command === text;
  const command = index === undefined ? undefined : input.commands[index];
  return entry.match !== undefined && command !== undefined && matchesCommand(entry.match, command);
}
