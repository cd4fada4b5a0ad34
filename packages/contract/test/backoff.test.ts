import { describe, expect, it } from 'vitest';
import { backoffDelay } from '../src/backoff.ts';

describe('backoff', () => {
  it('grows exponentially under a cap, with jitter', () => {
    const opts = { baseMs: 100, maxMs: 2_000 };
    expect(backoffDelay(0, opts, () => 1)).toBe(100);
    expect(backoffDelay(3, opts, () => 1)).toBe(800);
    expect(backoffDelay(10, opts, () => 1)).toBe(2_000);
    expect(backoffDelay(1_000, opts, () => 1)).toBe(2_000);
    expect(backoffDelay(3, opts, () => 0)).toBe(50);
    expect(backoffDelay(-5, opts, () => 1)).toBe(100);
    for (let i = 0; i < 50; i++) {
      const d = backoffDelay(4, opts);
      expect(d).toBeGreaterThanOrEqual(50);
      expect(d).toBeLessThanOrEqual(1_600);
    }
  });
});
