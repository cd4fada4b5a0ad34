import type { ResolvedConfig } from './config.ts';
import type { Candidate, MaskType } from './types.ts';

/** What a scan carries from one piece of text to the next (a stream's chunks). */
export interface ScanState {
  /** An AWS access key id appeared earlier, so a bare 40-character secret-shaped token nearby is its secret key. */
  awsAccessKeySeen: boolean;
}

export interface DetectEnv {
  config: ResolvedConfig;
  state: ScanState;
}

/**
 * A detector appends candidates for the types it knows. Every detector must run in time linear
 * in the text: regexes start at a literal or a lookbehind-guarded class and use bounded repeats,
 * or the detector scans by hand and never revisits a run it has rejected.
 */
export interface Detector {
  types: readonly MaskType[];
  scan(text: string, out: Candidate[], env: DetectEnv): void;
}

export function candidate(
  start: number,
  end: number,
  type: MaskType,
  ctxStart = start,
  ctxEnd = end,
): Candidate {
  return { start, end, type, ctxStart: Math.min(ctxStart, start), ctxEnd: Math.max(ctxEnd, end) };
}

/** A value that is a template or an earlier replacement, never a secret itself. */
export function isPlaceholder(value: string): boolean {
  if (value.startsWith('[MASKED:')) return true;
  const c = value[0];
  if (c === '$' || c === '<' || c === '{' || c === '%') return true;
  return /^(?:\*+|x+|X+|\.+|-+|#+)$/.test(value);
}
