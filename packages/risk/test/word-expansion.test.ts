// biome-ignore-all lint/suspicious/noTemplateCurlyInString: the words are bash syntax such as ${V%.txt}.
/**
 * Differential test of word expansion against the real bash of this machine. Words are
 * generated (fast-check) from quotes, `$'…'`, brace lists and sequences, parameter expansion of
 * variables the script assigns, and globs over a temporary directory; bash prints what it makes
 * of each with `printf '%s\0'`, and the engine's expansion must be exactly that — or the engine
 * must say it cannot expand the word, and then a command built from it is never auto. The test
 * spawns bash; the library itself never does.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { GatehouseRiskEngine } from '../src/index.ts';
import { ShellAnalyzer } from '../src/shell/analyzer.ts';
import { BashParser, initShellParser } from '../src/shell/parser.ts';
import { defaultEngine } from './helpers.ts';

const BASH = '/bin/bash';
const PREAMBLE = "V=hello.world.txt; E=; P='a/b/c.tar.gz'";
const SAMPLES = 400;
/** Fixed so a failure reproduces; GATEHOUSE_WORD_SEED explores other samples. */
const SEED = Number(process.env.GATEHOUSE_WORD_SEED ?? 12);

const plain = fc.stringMatching(/^[a-zA-Z0-9._/=:@%+-]{1,6}$/);
const squoteChars = fc.constantFrom(...'ab $*{},"\\;|&x'.split(''));
const dquoteChars = fc.constantFrom(
  'a',
  'b',
  ' ',
  '*',
  '{',
  '}',
  ',',
  "'",
  '\\$',
  '\\"',
  '\\\\',
  '$V',
  '${E}',
  '?',
);
const ansiPieces = fc.constantFrom(
  'a',
  'Z',
  '\\x41',
  '\\x7e',
  '\\n',
  '\\t',
  '\\101',
  "\\'",
  '\\\\',
  '\\u00e9',
  ' ',
  '{',
  ',',
);
const token = fc.stringMatching(/^[a-z0-9]{0,3}$/);

const part = fc.oneof(
  plain,
  fc.array(squoteChars, { maxLength: 6 }).map((cs) => `'${cs.join('')}'`),
  fc.array(dquoteChars, { maxLength: 5 }).map((cs) => `"${cs.join('')}"`),
  fc.array(ansiPieces, { minLength: 1, maxLength: 5 }).map((cs) => `$'${cs.join('')}'`),
  fc.array(token, { minLength: 2, maxLength: 4 }).map((ts) => `{${ts.join(',')}}`),
  fc
    .tuple(fc.integer({ min: -3, max: 12 }), fc.integer({ min: -3, max: 12 }))
    .map(([a, b]) => `{${a}..${b}}`),
  fc.constantFrom(
    '{a..e}',
    '{e..a..2}',
    '{01..03}',
    '{a,{b,c}}',
    'x{,y}',
    "{a,''}",
    'a{b}c',
    '{a,b',
    '${V}{1,2}',
  ),
  fc.constantFrom(
    '$V',
    '${V}',
    '${V#hello.}',
    '${V##*.}',
    '${V%.txt}',
    '${V%%.*}',
    '${V/o/0}',
    '${V//o/0}',
    '${V/#hello/HI}',
    '${V/%txt/md}',
    '${#V}',
    '${V^^}',
    '${V^}',
    '${V:1:3}',
    '${V:6}',
    '${E:-dflt}',
    '${E:+alt}',
    '${V:+alt}',
    '${V:-dflt}',
    '${P##*/}',
    '${P%/*}',
    '"${P%%.*}"',
    '$E',
    '"$E"',
  ),
  fc.constantFrom('*.txt', '?.md', '[ab].txt', 'b*', 'nomatch*.zz'),
);
const word = fc.array(part, { minLength: 1, maxLength: 3 }).map((parts) => parts.join(''));

/** What bash passes to printf for each word, from one bash process for the whole sample. */
function bashFields(words: string[], dir: string): string[][] {
  const marker = '@@END-OF-WORD@@';
  const script = [
    `cd ${dir}`,
    PREAMBLE,
    ...words.map((w) => `printf '%s\\0' ${w}; printf '${marker}\\0'`),
  ].join('\n');
  const run = spawnSync(BASH, ['--norc', '--noprofile', '-c', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  const out: string[][] = [[]];
  for (const field of run.stdout.split('\0').slice(0, -1)) {
    if (field === marker) out.push([]);
    else out[out.length - 1]?.push(field);
  }
  return out.slice(0, words.length);
}

describe('word expansion against /bin/bash', () => {
  let analyzer: ShellAnalyzer;
  let engine: GatehouseRiskEngine;
  let dir: string;

  beforeAll(async () => {
    await initShellParser();
    analyzer = new ShellAnalyzer(new BashParser(), () => {});
    engine = await defaultEngine();
    dir = mkdtempSync(join(tmpdir(), 'gatehouse-words-'));
    for (const f of ['a.txt', 'b.txt', 'c.md', 'b-1.md']) writeFileSync(join(dir, f), '');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('expands every generated word as bash does, or reports it unknown', () => {
    const words = fc.sample(word, { numRuns: SAMPLES, seed: SEED });
    const expected = bashFields(words, dir);
    const mismatches: string[] = [];
    let unknown = 0;
    words.forEach((w, i) => {
      const engineSide = analyzer.expandLastCommand(`${PREAMBLE}; printf '%s\\0' ${w}`);
      if ('unknown' in engineSide) {
        unknown++;
        return;
      }
      // printf and its format string; with no arguments left printf still prints one empty field.
      const args = engineSide.fields.slice(2);
      const fields = args.length === 0 ? [''] : args;
      if (JSON.stringify(fields) !== JSON.stringify(expected[i]))
        mismatches.push(`${w}: engine ${JSON.stringify(fields)}, bash ${JSON.stringify(expected[i])}`);
    });
    expect(mismatches).toEqual([]);
    // The generator covers globs and unassigned variables, which must be reported unknown…
    expect(unknown).toBeGreaterThan(0);
    // …but most words are statically knowable and the engine must know them.
    expect(unknown).toBeLessThan(SAMPLES / 2);
  });

  it('reports globs and variables the script does not assign as unknown, not as their text', () => {
    for (const w of ['*.txt', '[ab].txt', '${UNSET:-build}', '$HOSTNAME', '"$(date)"', '${V:-$(id)}'])
      expect(analyzer.expandLastCommand(`${PREAMBLE}; printf '%s\\0' ${w}`), w).toHaveProperty('unknown');
  });

  it('never lets an unknown word run as an auto command', () => {
    const words = fc.sample(word, { numRuns: SAMPLES, seed: SEED });
    let checked = 0;
    for (const w of words) {
      // As a program name, and as the target of a delete: neither may pass as its literal text.
      // `--` makes every word an operand of rm, even one that starts with `-`.
      for (const command of [`${PREAMBLE}; ${w} --version`, `${PREAMBLE}; rm -rf -- ${w}`]) {
        if (!('unknown' in analyzer.expandLastCommand(command))) continue;
        checked++;
        expect(engine.assess({ kind: 'shell', command }).tier, command).not.toBe('auto');
      }
    }
    expect(checked).toBeGreaterThan(0);
  });
});
