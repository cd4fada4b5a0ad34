import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRiskEngine, type GatehouseRiskEngine } from '../src/index.ts';
import type { AssessContext, Assessment, Kind, RiskEngine, SqlDialect, Tier } from '../src/types.ts';
import { SQL_DIALECTS, TIERS } from '../src/types.ts';

let shared: Promise<GatehouseRiskEngine> | undefined;

/** One default-policy engine per test file (creating one loads the wasm parsers). */
export function defaultEngine(): Promise<GatehouseRiskEngine> {
  shared ??= createRiskEngine();
  return shared;
}

export function atLeast(actual: Tier, minimum: Tier): boolean {
  return TIERS.indexOf(actual) >= TIERS.indexOf(minimum);
}

export function shell(engine: GatehouseRiskEngine, command: string, context?: AssessContext): Assessment {
  return engine.assess(context ? { kind: 'shell', command, context } : { kind: 'shell', command });
}

export function rules(assessment: Assessment): string[] {
  return assessment.reasons.map((r) => r.rule);
}

// ---------------------------------------------------------------------------------------------
// Labelled corpora (`test/corpus/`, `test/heldout/`): one JSON object per line, same format.

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

export interface CorpusItem {
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

export interface LoadedCorpus {
  items: CorpusItem[];
  errors: string[];
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function validateContext(context: unknown): string[] {
  if (!isPlainObject(context) || Object.keys(context).length === 0) {
    return ['context must be a non-empty object when present'];
  }
  const problems: string[] = [];
  for (const [k, val] of Object.entries(context)) {
    if (!CONTEXT_KEYS.has(k)) problems.push(`unknown context field "${k}"`);
    else if (typeof val !== 'string' || val === '') problems.push(`context.${k} must be a non-empty string`);
  }
  return problems;
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
  if (v.context !== undefined) problems.push(...validateContext(v.context));
  return problems;
}

/** What makes two items the same question: (kind, dialect, command, context). */
export function corpusIdentity(i: Pick<CorpusItem, 'kind' | 'dialect' | 'command' | 'context'>): string {
  const ctx = i.context
    ? Object.fromEntries(Object.entries(i.context).sort(([a], [b]) => a.localeCompare(b)))
    : null;
  return JSON.stringify([i.kind, i.dialect ?? null, i.command, ctx]);
}

/**
 * Reads `dir/fileName`, one item per line. Malformed lines, blank lines and duplicates are
 * reported in `errors` (with file:line) rather than thrown, so a test can list them all.
 */
export function loadCorpus(dir: string, fileName: string, kind: Kind): LoadedCorpus {
  const lines = readFileSync(join(dir, fileName), 'utf8').split('\n');
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
    const id = corpusIdentity(item);
    const first = seen.get(id);
    if (first !== undefined) errors.push(`${where}: duplicate of line ${first}`);
    else seen.set(id, line);
    items.push(item);
  });
  return { items, errors };
}

// ---------------------------------------------------------------------------------------------
// Scoring a corpus and reporting the result.

export type Actual = Tier | 'error';

export interface Outcome {
  item: CorpusItem;
  actual: Actual;
  assessment?: Assessment;
  error?: string;
}

export const rank = (t: Actual): number => (t === 'error' ? -1 : TIERS.indexOf(t));

/** Scores every item; an engine that throws is recorded as `error`, never aborts the run. */
export function assessCorpus(engine: RiskEngine, items: readonly CorpusItem[]): Outcome[] {
  return items.map((item) => {
    try {
      const assessment = engine.assess({
        kind: item.kind,
        command: item.command,
        ...(item.dialect ? { dialect: item.dialect } : {}),
        ...(item.context ? { context: item.context } : {}),
      });
      return { item, actual: assessment.tier, assessment };
    } catch (e) {
      return { item, actual: 'error', error: e instanceof Error ? e.message : String(e) };
    }
  });
}

/** Items labelled multi_party or deny that were scored auto: the safety property. */
export function dangerousAuto(outcomes: readonly Outcome[]): Outcome[] {
  return outcomes.filter(
    (o) => (o.item.expected === 'multi_party' || o.item.expected === 'deny') && o.actual === 'auto',
  );
}

function label(i: CorpusItem): string {
  const parts = [i.kind === 'sql' ? `sql/${i.dialect}` : 'shell', i.category];
  if (i.context) parts.push(`ctx=${JSON.stringify(i.context)}`);
  return parts.join(' ');
}

export function describeOutcome(o: Outcome): string {
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

/** Expected tier (rows) × actual tier (columns), with the recall of each expected tier. */
export function confusionMatrix(title: string, outcomes: readonly Outcome[]): string {
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

function perCategory(outcomes: readonly Outcome[]): string {
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

/**
 * The printed measurement for one kind: confusion matrix (per SQL dialect too), correct
 * counts per expected tier/category, and every misclassified item, under-scoring first.
 */
export function corpusReport(kind: Kind, outcomes: readonly Outcome[]): string {
  const report = [confusionMatrix(kind, outcomes)];
  if (kind === 'sql') {
    for (const d of new Set(outcomes.map((o) => o.item.dialect))) {
      report.push(
        confusionMatrix(
          `sql/${d}`,
          outcomes.filter((o) => o.item.dialect === d),
        ),
      );
    }
  }
  report.push(`${kind}: correct per expected tier/category\n${perCategory(outcomes)}`);
  const wrong = outcomes.filter((o) => o.actual !== o.item.expected);
  report.push(`${kind}: ${wrong.length} misclassified item(s)`);
  // Most dangerous misses first: under-scoring before over-scoring, then by distance.
  const signedMiss = (o: Outcome) => rank(o.actual) - rank(o.item.expected);
  wrong.sort((a, b) => signedMiss(a) - signedMiss(b) || a.item.line - b.item.line);
  for (const o of wrong) report.push(describeOutcome(o));
  return report.join('\n\n');
}
