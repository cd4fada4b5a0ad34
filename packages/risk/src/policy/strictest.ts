import { productionMatcher } from '../shell/production.ts';
import type { Category, Tier } from '../types.ts';
import { TIERS } from '../types.ts';
import type { Adjustment, RuleOverride } from './types.ts';

/**
 * Production must never be the weakest environment: whatever another environment profile adds
 * (a score boost, a floor, a stricter rule), the production profile has it too. A staging boost
 * written for caution would otherwise make staging stricter than prod for the very commands
 * production protects most. Applied when the policy is resolved, to every environment whose
 * name is a production name, so a team's custom environments are covered without listing them.
 */
export function strengthenProduction(
  environments: Record<string, Adjustment>,
  productionNames: readonly string[],
): Record<string, Adjustment> {
  const isProduction = productionMatcher(productionNames);
  const names = Object.keys(environments);
  const others = names.filter((n) => !isProduction.test(n)).map((n) => environments[n] as Adjustment);
  if (others.length === 0) return environments;
  const out: Record<string, Adjustment> = { ...environments };
  for (const name of names) {
    if (isProduction.test(name)) out[name] = others.reduce(strictest, environments[name] as Adjustment);
  }
  return out;
}

function maxTier(a: Tier | undefined, b: Tier | undefined): Tier | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return TIERS.indexOf(a) >= TIERS.indexOf(b) ? a : b;
}

/** The adjustment that is at least as strict as both: larger boosts, higher floors, stricter rules. */
function strictest(base: Adjustment, other: Adjustment): Adjustment {
  const out: Adjustment = { ...base };
  const scoreAdd = Math.max(base.scoreAdd ?? 0, other.scoreAdd ?? 0);
  if (scoreAdd !== 0) out.scoreAdd = scoreAdd;
  const minimumTier = maxTier(base.minimumTier, other.minimumTier);
  if (minimumTier) out.minimumTier = minimumTier;
  if (base.categoryFloors || other.categoryFloors) {
    const floors: Partial<Record<Category, Tier>> = { ...base.categoryFloors };
    for (const [category, floor] of Object.entries(other.categoryFloors ?? {}) as [Category, Tier][])
      floors[category] = maxTier(floors[category], floor) as Tier;
    out.categoryFloors = floors;
  }
  if (base.rules || other.rules) {
    const rules: Record<string, RuleOverride> = { ...base.rules };
    for (const [id, override] of Object.entries(other.rules ?? {})) {
      const mine = rules[id] ?? {};
      const merged: RuleOverride = { ...mine };
      // Another environment's weight override counts only when it is stricter than ours.
      if (override.weight !== undefined && (mine.weight === undefined || override.weight > mine.weight))
        merged.weight = override.weight;
      const floor = maxTier(mine.floor, override.floor);
      if (floor) merged.floor = floor;
      rules[id] = merged;
    }
    out.rules = rules;
  }
  if (base.allowWhitelist === false || other.allowWhitelist === false) out.allowWhitelist = false;
  return out;
}
