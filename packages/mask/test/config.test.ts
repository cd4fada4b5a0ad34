import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MASKING,
  MaskingConfigError,
  maskTable,
  maskText,
  parseMaskingConfig,
} from '../src/index.ts';
import { AWS_KEY, GITHUB } from './fixtures.ts';

describe('parseMaskingConfig', () => {
  it('accepts a full section and normalises detector names', () => {
    expect(
      parseMaskingConfig({
        detectors: ['email', 'CARD'],
        columns: ['notes', '*_pin'],
        entropy: { minLength: 24, minBitsPerChar: 4 },
        allow: [AWS_KEY],
      }),
    ).toEqual({
      detectors: ['EMAIL', 'CARD'],
      columns: ['notes', '*_pin'],
      entropy: { minLength: 24, minBitsPerChar: 4 },
      allow: [AWS_KEY],
    });
  });

  it('treats an absent section as the defaults', () => {
    expect(parseMaskingConfig(undefined)).toEqual({});
    expect(parseMaskingConfig(null)).toEqual({});
  });

  it('fills a partial entropy section from the defaults', () => {
    expect(parseMaskingConfig({ entropy: { minLength: 30 } }).entropy).toEqual({
      minLength: 30,
      minBitsPerChar: DEFAULT_MASKING.entropy.minBitsPerChar,
    });
  });

  it.each([
    [[], 'masking'],
    ['all', 'masking'],
    [{ detector: ['EMAIL'] }, 'masking.detector'],
    [{ detectors: 'EMAIL' }, 'masking.detectors'],
    [{ detectors: ['EMAIL', 'PASSPORT'] }, 'masking.detectors[1]'],
    [{ columns: ['ok', ''] }, 'masking.columns[1]'],
    [{ columns: ['a;drop'] }, 'masking.columns[0]'],
    [{ entropy: 3 }, 'masking.entropy'],
    [{ entropy: { minLength: 2 } }, 'masking.entropy.minLength'],
    [{ entropy: { minLength: 20.5 } }, 'masking.entropy.minLength'],
    [{ entropy: { minBitsPerChar: 'high' } }, 'masking.entropy.minBitsPerChar'],
    [{ entropy: { bits: 4 } }, 'masking.entropy.bits'],
    [{ allow: [42] }, 'masking.allow[0]'],
  ])('rejects %j at %s', (value, path) => {
    let error: unknown;
    try {
      parseMaskingConfig(value);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(MaskingConfigError);
    expect(error).toMatchObject({ code: 'ERR_MASKING_CONFIG', path });
    expect((error as Error).message.startsWith(`${path}: `)).toBe(true);
  });

  it('exposes frozen defaults with every detector on', () => {
    expect(DEFAULT_MASKING.detectors).toHaveLength(15);
    expect(Object.isFrozen(DEFAULT_MASKING)).toBe(true);
    expect(DEFAULT_MASKING.columns).toContain('email');
  });
});

describe('configuration in use', () => {
  it('runs only the listed detectors', () => {
    const text = `a@example.com ${GITHUB}`;
    expect(maskText(text, { detectors: ['EMAIL'] }).text).toBe(`[MASKED:EMAIL] ${GITHUB}`);
    expect(maskText(text, { detectors: [] }).text).toBe(text);
  });

  it('never masks allowed literals, and still masks what surrounds them', () => {
    const r = maskText(`${AWS_KEY} a@example.com`, { allow: [AWS_KEY] });
    expect(r.text).toBe(`${AWS_KEY} [MASKED:EMAIL]`);
  });

  it('adds custom columns to the defaults', () => {
    const t = maskTable(
      { columns: ['id', 'pin_code', 'email', 'name'], rows: [[1, '1234', 'x', 'Ann']] },
      { columns: ['PIN_*'] },
    );
    expect(t.rows).toEqual([[1, '[MASKED:COLUMN]', '[MASKED:COLUMN]', 'Ann']]);
  });

  it('turns column rules off when COLUMN is not a detector', () => {
    const t = maskTable({ columns: ['email'], rows: [['not an address']] }, { detectors: ['EMAIL'] });
    expect(t.rows).toEqual([['not an address']]);
  });

  it('uses the entropy settings for unlabelled tokens', () => {
    const token = 'Qx7Lm2Rt9Kw4Zp8Vn3Bc';
    expect(maskText(`v ${token}`).text).toBe('v [MASKED:SECRET]');
    expect(maskText(`v ${token}`, { entropy: { minLength: 24, minBitsPerChar: 3.5 } }).text).toBe(
      `v ${token}`,
    );
    expect(maskText(`v ${token}`, { entropy: { minLength: 20, minBitsPerChar: 5 } }).text).toBe(`v ${token}`);
  });

  it('rejects an invalid config passed straight to maskText', () => {
    expect(() => maskText('x', { detectors: ['NOPE' as never] })).toThrow(MaskingConfigError);
  });
});
