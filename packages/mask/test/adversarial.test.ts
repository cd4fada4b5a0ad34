import { describe, expect, it } from 'vitest';
import { maskText, StreamMasker } from '../src/index.ts';

/**
 * Inputs built to trigger catastrophic backtracking in naive patterns. Each must simply return;
 * speed is the benchmark's business, but a quadratic detector would not finish these.
 */
const SIZE = 200_000;
const cases: Array<[string, string]> = [
  ['a@ repeated', 'a@'.repeat(SIZE / 2)],
  ['one long local part', `${'a'.repeat(SIZE)}@`],
  ['dotted domain run', `x@${'a.'.repeat(SIZE / 2)}`],
  ['digits', '1'.repeat(SIZE)],
  ['grouped digits', '1234 '.repeat(SIZE / 5)],
  ['eyJ repeated', 'eyJ'.repeat(SIZE / 3)],
  ['eyJ segments without signature', 'eyJa.eyJb'.repeat(SIZE / 9)],
  ['BEGIN blocks without END', '-----BEGIN PRIVATE KEY-----\n'.repeat(SIZE / 28)],
  ['url schemes', '://a:b'.repeat(SIZE / 6)],
  ['labels without values', 'password='.repeat(SIZE / 9)],
  ['keyword soup', 'tokentoken_'.repeat(SIZE / 11)],
  ['plus signs and digits', '+1 2 '.repeat(SIZE / 5)],
  ['IBAN-like', 'DE89 '.repeat(SIZE / 5)],
  ['base64 run', 'aB3/'.repeat(SIZE / 4)],
  ['AWS prefixes', 'AKIA'.repeat(SIZE / 4)],
];

describe('adversarial input', () => {
  it.each(cases)('returns for %s', (_, text) => {
    const r = maskText(text);
    expect(typeof r.text).toBe('string');
  });

  it('streams a large input in small chunks', () => {
    const m = new StreamMasker();
    const text = 'a@b'.repeat(SIZE / 3);
    let out = '';
    for (let i = 0; i < text.length; i += 512) out += m.push(text.slice(i, i + 512)).text;
    out += m.end().text;
    expect(out).toBe(maskText(text).text);
  });
});
