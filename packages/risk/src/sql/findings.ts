import { foldWhitespace } from '../text.ts';
import type { Finding } from '../types.ts';
import type { SqlRuleId } from './rules.ts';

/** Collects findings without duplicates, so a table named twice is reported once. */
export class FindingSet {
  private readonly seen = new Set<string>();
  readonly list: Finding[] = [];

  add(rule: SqlRuleId, detail: string): void {
    const key = `${rule}\u0000${detail}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.list.push({ rule, detail });
  }

  addAll(findings: readonly Finding[]): void {
    for (const f of findings) this.add(f.rule as SqlRuleId, f.detail);
  }

  get size(): number {
    return this.list.length;
  }
}

/** Keeps approver-facing details readable when a statement embeds a long literal. */
export function clip(text: string, max = 80): string {
  const flat = foldWhitespace(text);
  return flat.length > max ? `${flat.slice(0, max - 1)}…` : flat;
}
