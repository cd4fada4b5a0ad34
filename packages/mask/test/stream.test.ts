import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type MaskResult, maskText, StreamMasker } from '../src/index.ts';
import { AWS_KEY, AWS_SECRET, GITHUB, JWT, PLANTED, PRIVATE_KEY } from './fixtures.ts';

function run(chunks: string[]): { text: string; emitted: string[]; masked: number } {
  const m = new StreamMasker();
  const results: MaskResult[] = chunks.map((c) => m.push(c));
  results.push(m.end());
  return {
    text: results.map((r) => r.text).join(''),
    emitted: results.map((r) => r.text),
    masked: results.reduce((n, r) => n + r.masked, 0),
  };
}

/** No emitted piece may contain 6+ consecutive characters of the secret. */
function expectNoPiece(emitted: string[], secret: string): void {
  for (const piece of emitted)
    for (let i = 0; i + 6 <= secret.length; i++) expect(piece).not.toContain(secret.slice(i, i + 6));
}

describe('StreamMasker', () => {
  it('masks a secret split at every possible point and never emits part of it', () => {
    const text = `line one\nexport GITHUB_TOKEN=${GITHUB} # set\nline three\n`;
    const whole = maskText(text);
    for (let k = 1; k < text.length; k++) {
      const r = run([text.slice(0, k), text.slice(k)]);
      expect(r.text).toBe(whole.text);
      expect(r.masked).toBe(whole.masked);
      expectNoPiece(r.emitted, GITHUB.slice(4));
    }
  });

  it('holds a private key block across chunks until its END line', () => {
    const lines = `before\n${PRIVATE_KEY}\nafter\n`.split(/(?<=\n)/);
    const r = run(lines);
    expect(r.text).toBe('before\n[MASKED:PRIVATE_KEY]\nafter\n');
    expectNoPiece(r.emitted, PRIVATE_KEY.split('\n')[1]!);
  });

  it('emits complete lines as they arrive', () => {
    const m = new StreamMasker();
    expect(m.push('a@example.com\npartial ').text).toBe('[MASKED:EMAIL]\n');
    expect(m.push('line').text).toBe('');
    expect(m.end().text).toBe('partial line');
  });

  it('remembers an access key id for a secret key in a later chunk', () => {
    const r = run([`id ${AWS_KEY}\n`, `secret ${AWS_SECRET}\n`]);
    expect(r.text).toBe('id [MASKED:AWS_ACCESS_KEY]\nsecret [MASKED:AWS_SECRET_KEY]\n');
  });

  it('cuts a very long line at delimiters without splitting secrets', () => {
    const parts: string[] = [];
    for (let i = 0; i < 12_000; i++)
      parts.push(i % 97 === 0 ? `"t":"${JWT}"` : `"k${i}":"value number ${i}"`);
    const line = `{${parts.join(',')}}`;
    const chunks: string[] = [];
    for (let i = 0; i < line.length; i += 1000) chunks.push(line.slice(i, i + 1000));
    const r = run(chunks);
    expect(r.text).toBe(maskText(line).text);
    expect(r.emitted.filter((e) => e !== '').length).toBeGreaterThan(2);
    expectNoPiece(r.emitted, JWT.split('.')[2]!);
  });

  it('replaces an unterminated private key with one marker and drops the rest of it', () => {
    const m = new StreamMasker();
    let out = m.push('start\n-----BEGIN RSA PRIVATE KEY-----\n').text;
    const body = `${'MIIEpAIBAAKCAQEA7bq98Zk3Lm2Qp'.repeat(2)}\n`;
    for (let i = 0; i < 25_000; i++) out += m.push(body).text;
    out += m.push('-----END RSA PRIVATE KEY-----\nafter\n').text;
    out += m.end().text;
    expect(out).toBe('start\n[MASKED:PRIVATE_KEY]\nafter\n');
  });

  it('equals maskText over the whole text for any chunking', () => {
    const text = `${PLANTED.map((p) => p.fragment).join(' ok\n')}\nend`;
    const whole = maskText(text).text;
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: text.length - 1 }), { maxLength: 12 }), (cuts) => {
        const points = [...new Set(cuts)].sort((a, b) => a - b);
        const chunks = [0, ...points].map((p, i) => text.slice(p, points[i] ?? text.length));
        expect(run(chunks).text).toBe(whole);
      }),
      { numRuns: 200 },
    );
  });

  it('refuses input after end() and non-string chunks', () => {
    const m = new StreamMasker();
    expect(() => m.push(42 as unknown as string)).toThrow(TypeError);
    m.end();
    expect(() => m.push('x')).toThrow();
  });
});
