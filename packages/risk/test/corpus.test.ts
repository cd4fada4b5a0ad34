/**
 * Measures the risk engine against the labelled evaluation corpus in `test/corpus/`.
 *
 * The labels are ground truth (see test/corpus/README.md); this test does not adapt them to the
 * engine. It prints a confusion matrix per kind and every misclassified item, and asserts, for
 * shell and SQL separately:
 *   1. no item labelled `multi_party` or `deny` is scored `auto`;
 *   2. ≥ 95 % of `deny` items score `deny`, ≥ 95 % of `multi_party` items score `multi_party` or higher;
 *   3. ≥ 90 % of `auto` items score `auto`.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AssessContext, Assessment, Kind, RiskEngine, SqlDialect, Tier } from '../src/types.ts';
import { SQL_DIALECTS, TIERS } from '../src/types.ts';

const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

const MIN_SHELL = 600;
const MIN_SQL = 200;
const MIN_MYSQL = 60;
const MIN_DENY_RECALL = 0.95;
const MIN_MULTI_PARTY_RECALL = 0.95;
const MIN_AUTO_RECALL = 0.9;

const ITEM_KEYS = new Set(['kind', 'dialect', 'command', 'expected', 'category', 'note', 'context']);
/** JSON-representable fields of AssessContext (`now` is a Date and cannot appear in a corpus line). */
const CONTEXT_KEYS = new Set([
  'cwd',
  'host',
  'database',
  'environment',
  'tool',
  'justification',
  'agentType',
]);

interface CorpusItem {
  file: string;
  line: number;
  kind: Kind;
  dialect?: SqlDialect;
  command: string;
  expected: Tier;
  category: string;
  note?: string;
  context?: AssessContext;
}

interface Loaded {
  items: CorpusItem[];
  errors: string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Validates one parsed line; returns the problems found (empty when the line is valid). */
function validate(v: unknown, kind: Kind): string[] {
  if (!isPlainObject(v)) return ['not a JSON object'];
  const problems: string[] = [];
  for (const k of Object.keys(v)) if (!ITEM_KEYS.has(k)) problems.push(`unknown field "${k}"`);
  if (v.kind !== kind) problems.push(`kind must be "${kind}" in this file, got ${JSON.stringify(v.kind)}`);
  if (typeof v.command !== 'string' || v.command.trim() === '')
    problems.push('command must be a non-empty string');
  if (typeof v.expected !== 'string' || !(TIERS as readonly string[]).includes(v.expected)) {
    problems.push(`expected must be one of ${TIERS.join('|')}, got ${JSON.stringify(v.expected)}`);
  }
  if (typeof v.category !== 'string' || !/^[a-z][a-z0-9_]*$/.test(v.category)) {
    problems.push(`category must be a snake_case tag, got ${JSON.stringify(v.category)}`);
  }
  if (v.note !== undefined && (typeof v.note !== 'string' || v.note === '')) {
    problems.push('note must be a non-empty string when present');
  }
  if (kind === 'sql') {
    if (typeof v.dialect !== 'string' || !(SQL_DIALECTS as readonly string[]).includes(v.dialect)) {
      problems.push(`dialect must be one of ${SQL_DIALECTS.join('|')}, got ${JSON.stringify(v.dialect)}`);
    }
  } else if (v.dialect !== undefined) {
    problems.push('dialect is only allowed on sql items');
  }
  if (v.context !== undefined) {
    if (!isPlainObject(v.context) || Object.keys(v.context).length === 0) {
      problems.push('context must be a non-empty object when present');
    } else {
      for (const [k, val] of Object.entries(v.context)) {
        if (!CONTEXT_KEYS.has(k)) problems.push(`unknown context field "${k}"`);
        else if (typeof val !== 'string' || val === '')
          problems.push(`context.${k} must be a non-empty string`);
      }
    }
  }
  return problems;
}

function identity(i: Pick<CorpusItem, 'kind' | 'dialect' | 'command' | 'context'>): string {
  const ctx = i.context
    ? Object.fromEntries(Object.entries(i.context).sort(([a], [b]) => a.localeCompare(b)))
    : null;
  return JSON.stringify([i.kind, i.dialect ?? null, i.command, ctx]);
}

function loadCorpus(fileName: string, kind: Kind): Loaded {
  const text = readFileSync(join(CORPUS_DIR, fileName), 'utf8');
  const lines = text.split('\n');
  // A single trailing newline is expected; anything else blank is a malformed line.
  if (lines.at(-1) === '') lines.pop();
  const items: CorpusItem[] = [];
  const errors: string[] = [];
  const seen = new Map<string, number>();
  lines.forEach((raw, idx) => {
    const line = idx + 1;
    const where = `${fileName}:${line}`;
    if (raw.trim() === '') {
      errors.push(`${where}: blank line`);
      return;
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(raw);
    } catch (e) {
      errors.push(`${where}: invalid JSON (${(e as Error).message})`);
      return;
    }
    const problems = validate(parsed, kind);
    if (problems.length > 0) {
      errors.push(`${where}: ${problems.join('; ')}`);
      return;
    }
    const item = { ...(parsed as Omit<CorpusItem, 'file' | 'line'>), file: fileName, line };
    const id = identity(item);
    const first = seen.get(id);
    if (first !== undefined) errors.push(`${where}: duplicate of line ${first}`);
    else seen.set(id, line);
    items.push(item);
  });
  return { items, errors };
}

const shell = loadCorpus('shell.jsonl', 'shell');
const sql = loadCorpus('sql.jsonl', 'sql');

describe('evaluation corpus files', () => {
  it('shell.jsonl: every line is a valid, unique corpus item', () => {
    expect(shell.errors).toEqual([]);
  });

  it('sql.jsonl: every line is a valid, unique corpus item', () => {
    expect(sql.errors).toEqual([]);
  });

  it('has the required size', () => {
    expect(shell.items.length).toBeGreaterThanOrEqual(MIN_SHELL);
    expect(sql.items.length).toBeGreaterThanOrEqual(MIN_SQL);
    expect(sql.items.filter((i) => i.dialect === 'mysql').length).toBeGreaterThanOrEqual(MIN_MYSQL);
  });

  it('labels every tier in both kinds', () => {
    for (const items of [shell.items, sql.items]) {
      for (const tier of TIERS) expect(items.some((i) => i.expected === tier)).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------

type Actual = Tier | 'error';
interface Outcome {
  item: CorpusItem;
  actual: Actual;
  assessment?: Assessment;
  error?: string;
}

const rank = (t: Actual): number => (t === 'error' ? -1 : TIERS.indexOf(t));

function label(i: CorpusItem): string {
  const parts = [i.kind === 'sql' ? `sql/${i.dialect}` : 'shell', i.category];
  if (i.context) parts.push(`ctx=${JSON.stringify(i.context)}`);
  return parts.join(' ');
}

function describeOutcome(o: Outcome): string {
  const head = `  ${o.item.file}:${o.item.line} expected=${o.item.expected} actual=${o.actual} [${label(o.item)}]`;
  const cmd = `    command: ${JSON.stringify(o.item.command)}`;
  if (o.error) return `${head}\n${cmd}\n    error: ${o.error}`;
  const reasons = [...(o.assessment?.reasons ?? [])]
    .sort((a, b) => b.weight - a.weight)
    .slice(0, 3)
    .map((r) => `${r.rule}(${r.category}, ${r.weight}${r.floor ? `, floor=${r.floor}` : ''}): ${r.detail}`);
  const why = reasons.length > 0 ? reasons.join(' | ') : '(no reasons)';
  const note = o.item.note ? `\n    label note: ${o.item.note}` : '';
  return `${head}\n${cmd}\n    score=${o.assessment?.score} top reasons: ${why}${note}`;
}

function confusionMatrix(title: string, outcomes: Outcome[]): string {
  const cols: Actual[] = [...TIERS, 'error'];
  const w = 13;
  const pad = (s: string | number) => String(s).padStart(w);
  const rows = [`${title} — expected (rows) × actual (columns), n=${outcomes.length}`];
  rows.push(`${''.padEnd(w)}${cols.map(pad).join('')}${pad('recall')}`);
  for (const exp of TIERS) {
    const inRow = outcomes.filter((o) => o.item.expected === exp);
    const counts = cols.map((c) => inRow.filter((o) => o.actual === c).length);
    const hit = inRow.filter((o) => o.actual === exp).length;
    const recall = inRow.length === 0 ? '-' : `${((100 * hit) / inRow.length).toFixed(1)}%`;
    rows.push(`${exp.padEnd(w)}${counts.map(pad).join('')}${pad(recall)}`);
  }
  return rows.join('\n');
}

function perCategory(outcomes: Outcome[]): string {
  const by = new Map<string, { n: number; ok: number }>();
  for (const o of outcomes) {
    const k = `${o.item.expected}/${o.item.category}`;
    const e = by.get(k) ?? { n: 0, ok: 0 };
    e.n++;
    if (o.actual === o.item.expected) e.ok++;
    by.set(k, e);
  }
  return [...by]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, { n, ok }]) => `  ${k.padEnd(36)} ${String(ok).padStart(4)}/${String(n).padEnd(4)}`)
    .join('\n');
}

describe('risk engine against the evaluation corpus', () => {
  const outcomes: Record<Kind, Outcome[]> = { shell: [], sql: [] };

  beforeAll(async () => {
    const { createRiskEngine } = await import('../src/index.ts');
    const engine: RiskEngine = await createRiskEngine();
    for (const item of [...shell.items, ...sql.items]) {
      try {
        const assessment = engine.assess({
          kind: item.kind,
          command: item.command,
          ...(item.dialect ? { dialect: item.dialect } : {}),
          ...(item.context ? { context: item.context } : {}),
        });
        outcomes[item.kind].push({ item, actual: assessment.tier, assessment });
      } catch (e) {
        outcomes[item.kind].push({
          item,
          actual: 'error',
          error: e instanceof Error ? e.message : String(e),
        });
      }
    }

    const report: string[] = [];
    for (const kind of ['shell', 'sql'] as const) {
      const all = outcomes[kind];
      report.push(confusionMatrix(kind, all));
      if (kind === 'sql') {
        for (const d of [...new Set(all.map((o) => o.item.dialect))]) {
          report.push(
            confusionMatrix(
              `sql/${d}`,
              all.filter((o) => o.item.dialect === d),
            ),
          );
        }
      }
      report.push(`${kind}: correct per expected tier/category\n${perCategory(all)}`);
      const wrong = all.filter((o) => o.actual !== o.item.expected);
      report.push(`${kind}: ${wrong.length} misclassified item(s)`);
      // most dangerous misses first: under-scoring before over-scoring, then by distance
      wrong.sort(
        (a, b) =>
          rank(a.actual) - rank(a.item.expected) - (rank(b.actual) - rank(b.item.expected)) ||
          a.item.line - b.item.line,
      );
      for (const o of wrong) report.push(describeOutcome(o));
    }
    console.log(report.join('\n\n'));
  }, 180_000);

  it('assessed every corpus item without throwing', () => {
    const errors = [...outcomes.shell, ...outcomes.sql].filter((o) => o.actual === 'error');
    expect(errors.map(describeOutcome)).toEqual([]);
  });

  for (const kind of ['shell', 'sql'] as const) {
    describe(kind, () => {
      it('scores no multi_party or deny item as auto', () => {
        const leaks = outcomes[kind].filter(
          (o) => (o.item.expected === 'multi_party' || o.item.expected === 'deny') && o.actual === 'auto',
        );
        expect(leaks.map(describeOutcome)).toEqual([]);
      });

      it(`scores at least ${MIN_DENY_RECALL * 100}% of deny items as deny`, () => {
        const items = outcomes[kind].filter((o) => o.item.expected === 'deny');
        expect(items.length).toBeGreaterThan(0);
        const misses = items.filter((o) => o.actual !== 'deny');
        const recall = 1 - misses.length / items.length;
        expect(
          recall,
          `deny recall ${recall}; misses:\n${misses.map(describeOutcome).join('\n')}`,
        ).toBeGreaterThanOrEqual(MIN_DENY_RECALL);
      });

      it(`scores at least ${MIN_MULTI_PARTY_RECALL * 100}% of multi_party items as multi_party or higher`, () => {
        const items = outcomes[kind].filter((o) => o.item.expected === 'multi_party');
        expect(items.length).toBeGreaterThan(0);
        const misses = items.filter((o) => rank(o.actual) < rank('multi_party'));
        const recall = 1 - misses.length / items.length;
        expect(
          recall,
          `multi_party recall ${recall}; misses:\n${misses.map(describeOutcome).join('\n')}`,
        ).toBeGreaterThanOrEqual(MIN_MULTI_PARTY_RECALL);
      });

      it(`scores at least ${MIN_AUTO_RECALL * 100}% of auto items as auto`, () => {
        const items = outcomes[kind].filter((o) => o.item.expected === 'auto');
        expect(items.length).toBeGreaterThan(0);
        const misses = items.filter((o) => o.actual !== 'auto');
        const recall = 1 - misses.length / items.length;
        expect(
          recall,
          `auto recall ${recall}; misses:\n${misses.map(describeOutcome).join('\n')}`,
        ).toBeGreaterThanOrEqual(MIN_AUTO_RECALL);
      });
    });
  }
});
