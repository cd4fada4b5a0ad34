import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeSql, initSql, SQL_RULE_IDS } from '../src/sql/index.ts';
import { SQL_DIALECTS } from '../src/types.ts';
import { tierOf } from './sql-helpers.ts';

beforeAll(async () => {
  await initSql();
});

const SEEDS = [
  'SELECT id FROM users WHERE id = 1',
  'DELETE FROM users WHERE id = 5',
  'UPDATE t SET a = 1 WHERE b = 2',
  'DROP TABLE users',
  "COPY t TO '/tmp/x'",
  "DO $$ BEGIN EXECUTE 'DROP TABLE x'; END $$",
  "SELECT * FROM t INTO OUTFILE '/tmp/x'",
  'WITH d AS (DELETE FROM t RETURNING *) SELECT * FROM d',
  'GRANT ALL ON t TO bob',
];

const FRAGMENTS = [
  ';',
  "'",
  '"',
  '`',
  '$$',
  '--',
  '/*',
  '*/',
  '/*!',
  '#',
  '\\',
  '(',
  ')',
  ' OR 1=1',
  ' WHERE ',
  'DROP',
  'TABLE',
  'SELECT',
  '\n',
  '\u0000',
  'é',
  '☃',
  '$a$',
  "E'",
  '[',
  ']',
  '@@',
  '::',
];

/** Random edits of realistic SQL: insertions of syntax-significant fragments and deletions. */
const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(
      fc.tuple(fc.nat(), fc.oneof(fc.constantFrom(...FRAGMENTS), fc.string({ maxLength: 6 })), fc.boolean()),
      { maxLength: 6 },
    ),
  )
  .map(([seed, edits]) => {
    let s = seed;
    for (const [pos, frag, del] of edits) {
      const at = pos % (s.length + 1);
      s = del ? s.slice(0, at) + s.slice(at + frag.length) : s.slice(0, at) + frag + s.slice(at);
    }
    return s;
  });

const anyInput = fc.oneof(
  mutated,
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 80 }),
);

describe('property: analyzeSql is total and fails closed', () => {
  it('never throws, always emits known rule ids, and gives every statement a finding', () => {
    fc.assert(
      fc.property(anyInput, fc.constantFrom(...SQL_DIALECTS), (sql, dialect) => {
        const a = analyzeSql(sql, dialect);
        expect(a.findings.length).toBeGreaterThan(0);
        for (const f of a.findings) expect(SQL_RULE_IDS).toContain(f.rule);
        for (const c of a.commands) {
          expect(c.kind).toBe('sql');
          expect(c.dialect).toBe(dialect);
        }
      }),
      { numRuns: 600 },
    );
  });

  it('anything with an unparsed statement is a parse error and never auto', () => {
    fc.assert(
      fc.property(anyInput, fc.constantFrom(...SQL_DIALECTS), (sql, dialect) => {
        const a = analyzeSql(sql, dialect);
        if (a.commands.length === 0 || a.commands.some((c) => c.name === 'UNPARSED')) {
          expect(a.findings.map((f) => f.rule)).toContain('sql.parse-error');
        }
        if (a.findings.some((f) => f.rule === 'sql.parse-error')) expect(tierOf(a)).not.toBe('auto');
      }),
      { numRuns: 600 },
    );
  });

  it('PostgreSQL: input the real parser rejects always yields sql.parse-error', async () => {
    const { parseSync } = await import('libpg-query');
    fc.assert(
      fc.property(anyInput, (sql) => {
        let parses = true;
        try {
          parseSync(sql);
        } catch {
          parses = false;
        }
        if (!parses)
          expect(analyzeSql(sql, 'postgresql').findings.map((f) => f.rule)).toContain('sql.parse-error');
      }),
      { numRuns: 800 },
    );
  });

  it('appending a dangerous statement never lowers the tier', () => {
    const order = ['auto', 'review', 'multi_party', 'deny'];
    fc.assert(
      fc.property(mutated, (sql) => {
        const base = order.indexOf(tierOf(analyzeSql(sql, 'postgresql')));
        const more = order.indexOf(tierOf(analyzeSql(`${sql}\n;DROP TABLE users`, 'postgresql')));
        expect(more).toBeGreaterThanOrEqual(Math.max(base, order.indexOf('review')));
      }),
      { numRuns: 300 },
    );
  });

  it('survives deep nesting without a stack overflow', () => {
    const deep = `SELECT ${'('.repeat(5000)}1${')'.repeat(5000)}`;
    expect(() => analyzeSql(deep, 'postgresql')).not.toThrow();
    const where = `DELETE FROM t WHERE ${Array.from({ length: 3000 }, (_, i) => `id = ${i}`).join(' OR ')}`;
    expect(tierOf(analyzeSql(where, 'postgresql'))).toBe('review');
  });
});
