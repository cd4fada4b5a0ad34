import { describe, expect, it } from 'vitest';
import { type MaskingConfig, maskOrWithhold } from '../src/index.ts';
import { GITHUB } from './fixtures.ts';

const WITHHELD = '[WITHHELD: output could not be masked]';

describe('maskOrWithhold', () => {
  it('returns the masked text when masking works', () => {
    expect(maskOrWithhold(`t ${GITHUB}`)).toEqual({
      ok: true,
      text: 't [MASKED:GITHUB_TOKEN]',
      counts: { GITHUB_TOKEN: 1 },
      masked: 1,
    });
  });

  it('withholds the output when masking throws, and never echoes it', () => {
    const config = {
      get detectors(): never {
        throw new Error('config exploded');
      },
    } as MaskingConfig;
    const r = maskOrWithhold(`secret ${GITHUB}`, config);
    expect(r).toEqual({ ok: false, text: WITHHELD, counts: {}, masked: 0, error: 'Error: config exploded' });
    expect(JSON.stringify(r)).not.toContain(GITHUB);
  });

  it('withholds on an invalid config and on input that is not text', () => {
    expect(maskOrWithhold('a@example.com', { detectors: ['NOPE' as never] })).toMatchObject({
      ok: false,
      text: WITHHELD,
    });
    expect(maskOrWithhold(Buffer.from(GITHUB) as unknown as string)).toMatchObject({
      ok: false,
      text: WITHHELD,
    });
    expect(maskOrWithhold(undefined as unknown as string)).toMatchObject({ ok: false, text: WITHHELD });
  });

  it('withholds when the thrown value is hostile', () => {
    const config = new Proxy({} as MaskingConfig, {
      ownKeys() {
        throw { toString: () => GITHUB };
      },
    });
    const r = maskOrWithhold(GITHUB, config);
    expect(r.ok).toBe(false);
    expect(JSON.stringify(r)).not.toContain(GITHUB);
  });
});
