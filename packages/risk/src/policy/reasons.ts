import type { Category, ParsedCommand, Reason, Tier } from '../types.ts';
import type { Adjustment, Policy, PolicyRule } from './types.ts';

/** Rule used when an analyzer reports an id the policy does not define: fail closed. */
export const UNKNOWN_RULE_WEIGHT = 50;

/** At most this many distinct details, and resolved forms, are kept per rule. */
const MAX_DETAILS = 5;
const MAX_RESOLVED = 3;

/** One finding or pattern-rule match, with the parsed commands it is about. */
export interface Hit {
  rule: string;
  commands: number[] | undefined;
}

/** What was seen of one rule so far. */
interface Collected {
  id: string;
  details: string[];
  resolved: string[];
}

/**
 * Gathers the findings and pattern matches of one assessment by rule, then turns each rule into
 * its reason. The reason objects are built once, at the end, with their final fields (no copies
 * per finding), in the order the rules were first seen.
 */
export class ReasonCollector {
  private readonly byRule = new Map<string, Collected>();
  readonly hits: Hit[] = [];

  add(ruleId: string, detail: string, resolved: string | undefined, commands: number[] | undefined): void {
    this.hits.push({ rule: ruleId, commands });
    const existing = this.byRule.get(ruleId);
    if (!existing) {
      this.byRule.set(ruleId, { id: ruleId, details: [detail], resolved: resolved ? [resolved] : [] });
      return;
    }
    if (existing.details.length < MAX_DETAILS && !existing.details.includes(detail))
      existing.details.push(detail);
    if (resolved && existing.resolved.length < MAX_RESOLVED && !existing.resolved.includes(resolved))
      existing.resolved.push(resolved);
  }

  reasons(policy: Policy, profiles: readonly Adjustment[]): Reason[] {
    const out: Reason[] = [];
    for (const { id, details, resolved } of this.byRule.values()) {
      const rule = policy.rules.get(id);
      const reason = rule ? knownReason(rule, profiles) : unknownReason(id);
      const specifics = details.filter(Boolean);
      const keepDetail = reason.category === 'uncertainty' && reason.rule === specifics[0];
      if (!keepDetail && specifics.length > 0) reason.detail = `${reason.detail} (${specifics.join('; ')})`;
      if (resolved.length > 0) reason.resolved = resolved.join('; ');
      out.push(reason);
    }
    return out;
  }
}

/** The rule's reason with the profiles' overrides applied (fields in the order of the public shape). */
function knownReason(rule: PolicyRule, profiles: readonly Adjustment[]): Reason {
  let weight = rule.weight;
  let floor: Tier | undefined = rule.floor;
  for (const profile of profiles) {
    const override = profile.rules?.[rule.id];
    if (override?.weight !== undefined) weight = override.weight;
    if (override?.floor !== undefined) floor = override.floor;
  }
  const reason: Reason = {
    rule: rule.id,
    category: rule.category as Category,
    weight,
    detail: rule.explanation,
  };
  if (floor) reason.floor = floor;
  return reason;
}

function unknownReason(id: string): Reason {
  return {
    rule: id,
    category: 'uncertainty',
    weight: UNKNOWN_RULE_WEIGHT,
    floor: 'review',
    detail: `unknown rule ${id}: the policy does not define it, so it is treated as uncertainty`,
  };
}

/** A parsed command as a pattern rule's detail shows it. */
export function describeCommand(command: ParsedCommand): string {
  const text = command.args.length > 0 ? `${command.name} ${command.args.join(' ')}` : command.name;
  const shown = text.length > 120 ? `${text.slice(0, 117)}...` : text;
  return command.via.length > 0 ? `${shown} via ${command.via.join(' > ')}` : shown;
}
