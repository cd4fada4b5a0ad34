import { maskText } from './engine.ts';
import type { MaskingConfig, MaskResult, MaskType } from './types.ts';

export const WITHHELD = '[WITHHELD: output could not be masked]' as const;

/**
 * Fail closed: on any error, the output is withheld — never passed through unmasked.
 * `counts` of a withheld result is always empty; it is typed so `result.counts.EMAIL` compiles on
 * either branch.
 */
export type SafeMaskResult =
  | ({ ok: true } & MaskResult)
  | { ok: false; text: typeof WITHHELD; counts: Partial<Record<MaskType, never>>; masked: 0; error: string };

export function maskOrWithhold(text: string, config?: MaskingConfig): SafeMaskResult {
  try {
    return { ok: true, ...maskText(text, config) };
  } catch (err) {
    return { ok: false, text: WITHHELD, counts: {}, masked: 0, error: describe(err) };
  }
}

/**
 * The error's name and message only, never the input: a message built from the text being
 * masked could carry the very secret that was not masked.
 */
export function describe(err: unknown): string {
  try {
    if (err instanceof Error) return `${err.name}: ${err.message}`.slice(0, 300);
    return `non-error thrown (${typeof err})`;
  } catch {
    return 'unprintable error';
  }
}
