import { type ResolvedConfig, resolveConfig } from './config.ts';
import type { DetectEnv, ScanState } from './detector.ts';
import { DETECTORS } from './detectors/index.ts';
import {
  type Candidate,
  MASK_TYPES,
  type MaskingConfig,
  type MaskResult,
  type MaskType,
  marker,
} from './types.ts';

const RANK = new Map<MaskType, number>(MASK_TYPES.map((t, i) => [t, i]));

/** One replacement: overlapping detections merged, named after the longest (ties: the most specific). */
export interface Region {
  start: number;
  end: number;
  type: MaskType;
  ctxStart: number;
  ctxEnd: number;
}

export function freshState(): ScanState {
  return { awsAccessKeySeen: false };
}

/** All enabled detections in `text`, minus those inside an allowed literal. */
export function detect(text: string, config: ResolvedConfig, state: ScanState): Candidate[] {
  if (typeof text !== 'string') throw new TypeError('masking input must be a string');
  const env: DetectEnv = { config, state };
  const found: Candidate[] = [];
  for (const detector of DETECTORS) {
    if (detector.types.some((t) => config.enabled.has(t))) detector.scan(text, found, env);
  }
  let kept = found.filter((c) => config.enabled.has(c.type) && c.end > c.start);
  if (kept.length > 0 && config.allow.length > 0) kept = dropAllowed(text, kept, config.allow);
  return kept;
}

function dropAllowed(text: string, found: Candidate[], allow: readonly string[]): Candidate[] {
  const allowed: Array<[number, number]> = [];
  for (const literal of allow) {
    for (let i = text.indexOf(literal); i !== -1; i = text.indexOf(literal, i + 1))
      allowed.push([i, i + literal.length]);
  }
  if (allowed.length === 0) return found;
  return found.filter((c) => !allowed.some(([s, e]) => s <= c.start && c.end <= e));
}

/**
 * Overlapping detections become one region so that nothing any detector found is left showing
 * (a partial overlap is masked as the union). The region is named after its longest specific
 * member; SECRET only when nothing more specific is in it.
 */
export function merge(found: Candidate[]): Region[] {
  if (found.length === 0) return [];
  found.sort((a, b) => a.start - b.start || b.end - a.end);
  const regions: Region[] = [];
  let cur: Region | undefined;
  let best: Candidate | undefined;
  for (const c of found) {
    if (cur && c.start < cur.end) {
      cur.end = Math.max(cur.end, c.end);
      cur.ctxStart = Math.min(cur.ctxStart, c.ctxStart);
      cur.ctxEnd = Math.max(cur.ctxEnd, c.ctxEnd);
      if (better(c, best!)) {
        best = c;
        cur.type = c.type;
      }
      continue;
    }
    cur = { start: c.start, end: c.end, type: c.type, ctxStart: c.ctxStart, ctxEnd: c.ctxEnd };
    best = c;
    regions.push(cur);
  }
  return regions;
}

/** A specific type names the region over the generic SECRET; otherwise the longest, then the most specific. */
function better(a: Candidate, b: Candidate): boolean {
  if ((a.type === 'SECRET') !== (b.type === 'SECRET')) return b.type === 'SECRET';
  const la = a.end - a.start;
  const lb = b.end - b.start;
  if (la !== lb) return la > lb;
  return RANK.get(a.type)! < RANK.get(b.type)!;
}

/** Builds the masked text for `text.slice(0, upTo)` from regions that end by `upTo`. */
export function apply(text: string, regions: readonly Region[], upTo = text.length): MaskResult {
  const counts: Partial<Record<MaskType, number>> = {};
  let masked = 0;
  const parts: string[] = [];
  let pos = 0;
  for (const r of regions) {
    if (r.end > upTo) break;
    parts.push(text.slice(pos, r.start), marker(r.type));
    counts[r.type] = (counts[r.type] ?? 0) + 1;
    masked++;
    pos = r.end;
  }
  if (masked === 0) return { text: upTo === text.length ? text : text.slice(0, upTo), counts, masked };
  parts.push(text.slice(pos, upTo));
  return { text: parts.join(''), counts, masked };
}

export function maskText(text: string, config?: MaskingConfig): MaskResult {
  const resolved = resolveConfig(config);
  return apply(text, merge(detect(text, resolved, freshState())));
}
