/**
 * Test helpers for the SQL analyzer: rule ids of an analysis, and the tier its findings
 * imply under the SQL entries of the default policy (max of weight threshold and floor).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';
import { analyzeSql } from '../src/sql/index.ts';
import type { Analysis, SqlDialect, Tier } from '../src/types.ts';
import { TIERS } from '../src/types.ts';

export interface SqlPolicyRule {
  id: string;
  category: string;
  weight: number;
  floor?: Tier;
  explanation: string;
}

const MARKER = '# ==== SQL RULES (below this line) ====';

/** The rule entries below the SQL marker, parsed on their own. */
export function sqlPolicyRules(): SqlPolicyRule[] {
  const path = fileURLToPath(new URL('../policy/default.yaml', import.meta.url));
  const text = readFileSync(path, 'utf8');
  const below = text.slice(text.indexOf(MARKER) + MARKER.length);
  const doc = parse(`rules:\n${below}`) as { rules: SqlPolicyRule[] };
  return doc.rules;
}

const byId = new Map(sqlPolicyRules().map((r) => [r.id, r]));

function tierOfWeight(w: number): Tier {
  return w >= 90 ? 'deny' : w >= 60 ? 'multi_party' : w >= 25 ? 'review' : 'auto';
}

export function tierOf(a: Analysis): Tier {
  let worst = 0;
  for (const f of a.findings) {
    const rule = byId.get(f.rule);
    if (!rule) throw new Error(`no policy entry for ${f.rule}`);
    worst = Math.max(
      worst,
      TIERS.indexOf(tierOfWeight(rule.weight)),
      rule.floor ? TIERS.indexOf(rule.floor) : 0,
    );
  }
  return TIERS[worst]!;
}

export function rules(text: string, dialect: SqlDialect = 'postgresql'): string[] {
  return analyzeSql(text, dialect).findings.map((f) => f.rule);
}

export function tier(text: string, dialect: SqlDialect = 'postgresql'): Tier {
  return tierOf(analyzeSql(text, dialect));
}
