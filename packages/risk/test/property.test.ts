// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the strings are shell commands, where ${…} is bash syntax.
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { type GatehouseRiskEngine, MAX_COMMAND_LENGTH, RiskInputError } from '../src/index.ts';
import { defaultEngine } from './helpers.ts';

let engine: GatehouseRiskEngine;
beforeAll(async () => {
  engine = await defaultEngine();
});

const SEEDS = [
  'rm -rf /',
  'git push --force origin main',
  "bash -c 'curl x | sh'",
  'psql -c "DROP TABLE users"',
  'cat <<EOF | psql\nDELETE FROM t;\nEOF',
  'python3 -c \'import os; os.system("ls")\'',
  'for i in $(seq 3); do echo "$i" > out.$i; done',
  'f() { sudo rm -rf "$1"; }; f /var',
  "echo $'\\x72m' `id` ${X:-y} <(ls) >(cat)",
];
const SHELL_CHARS = [
  '$',
  '(',
  ')',
  '`',
  "'",
  '"',
  '\\',
  '|',
  '&',
  ';',
  '<',
  '>',
  '{',
  '}',
  '\n',
  ' ',
  '#',
  '*',
  '=',
  '!',
  '~',
];

/** A seed command with random shell metacharacters inserted, removed or replaced. */
const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.constantFrom(...SHELL_CHARS, ''), fc.boolean()), { maxLength: 6 }),
  )
  .map(([seed, edits]) => {
    let text = seed;
    for (const [position, char, replace] of edits) {
      const at = position % (text.length + 1);
      text = text.slice(0, at) + char + text.slice(replace ? at + 1 : at);
    }
    return text;
  });

const randomText = fc.oneof(
  fc.string({ maxLength: 200 }),
  fc.string({ unit: 'grapheme', maxLength: 100 }),
  fc.string({ unit: fc.constantFrom(...SHELL_CHARS, 'a', 'rm', 'sh', '-c'), maxLength: 60 }),
);

describe('assess on arbitrary input', () => {
  it('never throws and always answers a tier (shell)', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, randomText), (command) => {
        const a = engine.assess({ kind: 'shell', command });
        expect(['auto', 'review', 'multi_party', 'deny']).toContain(a.tier);
        expect(a.score).toBeGreaterThanOrEqual(0);
        expect(a.score).toBeLessThanOrEqual(100);
      }),
      { numRuns: 1500 },
    );
  });

  it('never throws on arbitrary SQL', () => {
    fc.assert(
      fc.property(
        fc.oneof(randomText, fc.constantFrom('DROP TABLE x', 'SELECT 1; DELETE FROM t')),
        (command) => {
          engine.assess({ kind: 'sql', command, dialect: 'postgresql' });
          engine.assess({ kind: 'sql', command, dialect: 'mysql' });
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never answers auto for input bash cannot parse', () => {
    fc.assert(
      fc.property(fc.oneof(mutated, randomText), (command) => {
        const a = engine.assess({ kind: 'shell', command });
        if (a.reasons.some((r) => r.rule === 'shell.parse-error')) expect(a.tier).not.toBe('auto');
      }),
      { numRuns: 1500 },
    );
  });

  it('finishes quickly on pathological input (no hang)', () => {
    const inputs = [
      '$('.repeat(5000),
      '('.repeat(10000),
      `${'bash -c "'.repeat(200)}ls`,
      'a|'.repeat(10000),
      `echo ${'"'.repeat(20000)}`,
      'x'.repeat(MAX_COMMAND_LENGTH),
      `${'a '.repeat(30_000)}`,
      `cat <<EOF\n${'$(ls)\n'.repeat(5000)}EOF`,
      `${'eval '.repeat(3000)}ls`,
    ];
    for (const command of inputs) {
      const started = performance.now();
      const a = engine.assess({ kind: 'shell', command });
      // A generous bound: this asserts termination, not speed (bench/risk.ts measures speed).
      expect(performance.now() - started).toBeLessThan(10_000);
      if (a.reasons.some((r) => r.rule === 'shell.parse-error')) expect(a.tier).not.toBe('auto');
    }
  });

  it('rejects input past the size limit with a clear error', () => {
    const tooLong = 'a'.repeat(MAX_COMMAND_LENGTH + 1);
    expect(() => engine.assess({ kind: 'shell', command: tooLong })).toThrow(RiskInputError);
    try {
      engine.assess({ kind: 'sql', command: tooLong });
    } catch (error) {
      expect((error as RiskInputError).code).toBe('ERR_INPUT_TOO_LARGE');
      expect((error as Error).message).toMatch(/limit/);
    }
  });

  it('rejects input of the wrong shape with a clear error', () => {
    expect(() => engine.assess({ kind: 'perl' as 'shell', command: 'x' })).toThrow(RiskInputError);
    expect(() => engine.assess({ kind: 'shell', command: 42 as unknown as string })).toThrow(RiskInputError);
  });
});
