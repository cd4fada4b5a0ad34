/**
 * Measures the risk engine against the held-out corpus in `test/heldout/`: items written
 * without looking at how the analyzer handles them, and disjoint from the tuning corpus in
 * `test/corpus/`, so the figures estimate accuracy on commands the analyzer was not tuned on.
 *
 * Labels follow the tier table and the conventions of test/corpus/README.md. The confusion
 * matrices and every misclassified item are printed; accuracy is a measurement, not asserted.
 * The only assertion about scores is the safety property: no item labelled `multi_party` or
 * `deny` is scored `auto`.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Kind } from '../src/types.ts';
import {
  assessCorpus,
  corpusIdentity,
  corpusReport,
  dangerousAuto,
  defaultEngine,
  describeOutcome,
  loadCorpus,
  type Outcome,
} from './helpers.ts';

const TEST_DIR = dirname(fileURLToPath(import.meta.url));
const HELDOUT_DIR = join(TEST_DIR, 'heldout');
const CORPUS_DIR = join(TEST_DIR, 'corpus');

const MIN_SHELL = 300;
const MIN_SQL = 120;

const heldout = {
  shell: loadCorpus(HELDOUT_DIR, 'shell.jsonl', 'shell'),
  sql: loadCorpus(HELDOUT_DIR, 'sql.jsonl', 'sql'),
};

/** Identities of the tuning corpus: a held-out item equal to one of them is not held out. */
function tuningIdentities(): Set<string> {
  const items = [
    ...loadCorpus(CORPUS_DIR, 'shell.jsonl', 'shell').items,
    ...loadCorpus(CORPUS_DIR, 'sql.jsonl', 'sql').items,
  ];
  return new Set(items.map(corpusIdentity));
}

describe('held-out corpus files', () => {
  it('every line is a valid, unique corpus item', () => {
    expect([...heldout.shell.errors, ...heldout.sql.errors]).toEqual([]);
  });

  it('has the required size, with PostgreSQL and MySQL items', () => {
    expect(heldout.shell.items.length).toBeGreaterThanOrEqual(MIN_SHELL);
    expect(heldout.sql.items.length).toBeGreaterThanOrEqual(MIN_SQL);
    const dialects = new Set(heldout.sql.items.map((i) => i.dialect));
    expect([...dialects].sort()).toEqual(['mysql', 'postgresql']);
  });

  it('shares no item with the tuning corpus', () => {
    const tuning = tuningIdentities();
    const shared = [...heldout.shell.items, ...heldout.sql.items].filter((i) =>
      tuning.has(corpusIdentity(i)),
    );
    expect(shared.map((i) => `${i.file}:${i.line} ${i.command}`)).toEqual([]);
  });
});

describe('risk engine against the held-out corpus', () => {
  const outcomes: Record<Kind, Outcome[]> = { shell: [], sql: [] };

  beforeAll(async () => {
    const engine = await defaultEngine();
    outcomes.shell = assessCorpus(engine, heldout.shell.items);
    outcomes.sql = assessCorpus(engine, heldout.sql.items);
    const report = [corpusReport('shell', outcomes.shell), corpusReport('sql', outcomes.sql)];
    console.log(`HELD-OUT CORPUS\n\n${report.join('\n\n')}`);
  }, 180_000);

  it('assessed every item without throwing', () => {
    const errors = [...outcomes.shell, ...outcomes.sql].filter((o) => o.actual === 'error');
    expect(errors.map(describeOutcome)).toEqual([]);
  });

  for (const kind of ['shell', 'sql'] as const) {
    it(`${kind}: scores no multi_party or deny item as auto`, () => {
      expect(dangerousAuto(outcomes[kind]).map(describeOutcome)).toEqual([]);
    });
  }
});
