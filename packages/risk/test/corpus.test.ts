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
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kind } from '../src/types.ts';
import { TIERS } from '../src/types.ts';
import {
  assessCorpus,
  corpusReport,
  dangerousAuto,
  defaultEngine,
  describeOutcome,
  loadCorpus,
  type Outcome,
  rank,
} from './helpers.ts';

const CORPUS_DIR = join(dirname(fileURLToPath(import.meta.url)), 'corpus');

const MIN_SHELL = 600;
const MIN_SQL = 200;
const MIN_MYSQL = 60;
const MIN_DENY_RECALL = 0.95;
const MIN_MULTI_PARTY_RECALL = 0.95;
const MIN_AUTO_RECALL = 0.9;

const shell = loadCorpus(CORPUS_DIR, 'shell.jsonl', 'shell');
const sql = loadCorpus(CORPUS_DIR, 'sql.jsonl', 'sql');

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

describe('risk engine against the evaluation corpus', () => {
  const outcomes: Record<Kind, Outcome[]> = { shell: [], sql: [] };

  beforeAll(async () => {
    const engine = await defaultEngine();
    outcomes.shell = assessCorpus(engine, shell.items);
    outcomes.sql = assessCorpus(engine, sql.items);
    console.log([corpusReport('shell', outcomes.shell), corpusReport('sql', outcomes.sql)].join('\n\n'));
  }, 180_000);

  it('assessed every corpus item without throwing', () => {
    const errors = [...outcomes.shell, ...outcomes.sql].filter((o) => o.actual === 'error');
    expect(errors.map(describeOutcome)).toEqual([]);
  });

  for (const kind of ['shell', 'sql'] as const) {
    describe(kind, () => {
      it('scores no multi_party or deny item as auto', () => {
        expect(dangerousAuto(outcomes[kind]).map(describeOutcome)).toEqual([]);
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
