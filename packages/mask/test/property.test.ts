import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { maskOrWithhold, maskText } from '../src/index.ts';
import { PLANTED } from './fixtures.ts';

/** Text that looks like command output: words, numbers, punctuation, and near-miss fragments. */
const noise = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.constantFrom(
    'user@localhost',
    'git@github.com:o/r.git',
    '2024-01-15',
    '10.0.0.1:5432',
    'sha512-abc',
    '3f786850e387550fdab836ed7e6dc881de23001b',
    'password=',
    'token: ',
    'eyJ',
    '-----BEGIN PRIVATE KEY-----',
    'https://',
    '4111',
    '+1',
    '[MASKED:EMAIL]',
    '\n',
  ),
  fc.stringMatching(/^[A-Za-z0-9+/_-]{15,45}$/),
);

describe('masking properties', () => {
  it('is idempotent', () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(noise, fc.constantFrom(...PLANTED.map((p) => p.fragment)))), (parts) => {
        const once = maskText(parts.join(' ')).text;
        expect(maskText(once).text).toBe(once);
      }),
      { numRuns: 500 },
    );
  });

  it('never lets a planted secret through', () => {
    fc.assert(
      fc.property(
        fc.array(noise, { maxLength: 8 }),
        fc.array(fc.integer({ min: 0, max: PLANTED.length - 1 }), { minLength: 1, maxLength: 6 }),
        (words, picks) => {
          const parts = [...words];
          for (const [i, pick] of picks.entries())
            parts.splice(i % (parts.length + 1), 0, PLANTED[pick]!.fragment);
          const out = maskText(parts.join(' \n ')).text;
          for (const pick of picks) expect(out).not.toContain(PLANTED[pick]!.secret);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('never throws and never withholds on arbitrary text', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string({ unit: 'binary', maxLength: 300 }),
          fc.array(noise).map((a) => a.join('')),
        ),
        (s) => {
          expect(maskOrWithhold(s).ok).toBe(true);
        },
      ),
      { numRuns: 1000 },
    );
  });
});
