import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ERRORS, errorCatalogueMarkdown, isErrorCode } from '../src/index.ts';

describe('the error catalogue', () => {
  it('gives every code one client or server error status and a summary', () => {
    for (const [code, { status, summary }] of Object.entries(ERRORS)) {
      expect(code).toMatch(/^[A-Z][A-Z_]+$/);
      expect(status >= 400 && status < 600, `${code}: ${status}`).toBe(true);
      expect(summary.length, code).toBeGreaterThan(10);
    }
    expect(isErrorCode('REQUEST_NOT_FOUND')).toBe(true);
    expect(isErrorCode('toString')).toBe(false);
  });

  it('is documented as it is: docs/errors.md is generated from it (npm run docs:errors)', () => {
    const committed = readFileSync(new URL('../../../docs/errors.md', import.meta.url), 'utf8');
    expect(committed).toBe(errorCatalogueMarkdown());
  });
});
