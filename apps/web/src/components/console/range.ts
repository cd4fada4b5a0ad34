// The console's view (range, bucket, split) lives in the URL query, so a reviewer can send the
// link to what they are looking at. Anything in the query that is not a valid choice falls back
// to the default, never to an error page: links get hand-edited and outlive releases.

export const RANGES = [
  { id: '24h', label: 'last 24 hours', ms: 24 * 3_600_000, bucket: 'hour' },
  { id: '7d', label: 'last 7 days', ms: 7 * 86_400_000, bucket: 'day' },
  { id: '30d', label: 'last 30 days', ms: 30 * 86_400_000, bucket: 'day' },
  { id: '90d', label: 'last 90 days', ms: 90 * 86_400_000, bucket: 'week' },
] as const;
export type Preset = (typeof RANGES)[number]['id'];
export type Bucket = 'hour' | 'day' | 'week';
export type Split = '' | 'agentType' | 'environment' | 'agent';

export interface ConsoleView {
  range: Preset | 'custom';
  /** UTC days, `YYYY-MM-DD`, both included; set when `range` is `custom`. */
  from?: string;
  to?: string;
  bucket: Bucket;
  split: Split;
}

const DAY_MS = 86_400_000;
export const DEFAULT_VIEW: ConsoleView = { range: '30d', bucket: 'day', split: 'agentType' };
const BUCKETS: readonly string[] = ['hour', 'day', 'week'];
const SPLITS: readonly string[] = ['agentType', 'environment', 'agent'];

/** A `YYYY-MM-DD` that names a real day (2026-02-30 does not). */
export function isDay(text: string | null | undefined): text is string {
  if (!text || !/^\d{4}-\d\d-\d\d$/.test(text)) return false;
  const t = Date.parse(`${text}T00:00:00Z`);
  return Number.isFinite(t) && new Date(t).toISOString().slice(0, 10) === text;
}

export function parseView(search: string): ConsoleView {
  const params = new URLSearchParams(search);
  const range = params.get('range');
  const from = params.get('from');
  const to = params.get('to');
  let view: ConsoleView;
  if (range === 'custom' && isDay(from) && isDay(to)) view = { ...DEFAULT_VIEW, range, from, to };
  else {
    const preset = RANGES.find((r) => r.id === range) ?? RANGES.find((r) => r.id === DEFAULT_VIEW.range)!;
    view = { ...DEFAULT_VIEW, range: preset.id, bucket: preset.bucket };
  }
  const bucket = params.get('bucket');
  if (bucket && BUCKETS.includes(bucket)) view.bucket = bucket as Bucket;
  const by = params.get('by');
  if (by === 'all') view.split = '';
  else if (by && SPLITS.includes(by)) view.split = by as Split;
  return view;
}

/** The query string of a view, `?…`. */
export function viewSearch(view: ConsoleView): string {
  const params = new URLSearchParams({ range: view.range });
  if (view.range === 'custom' && view.from && view.to) {
    params.set('from', view.from);
    params.set('to', view.to);
  }
  params.set('bucket', view.bucket);
  params.set('by', view.split === '' ? 'all' : view.split);
  return `?${params.toString()}`;
}

/**
 * The instants a view asks the server for. A custom range covers its last day whole (to the
 * next midnight, UTC like every bucket); a reversed one is sent as it is, so the server's
 * answer says what is wrong with it.
 */
export function viewSpan(view: ConsoleView, now = Date.now()): { from: Date; to: Date } {
  if (view.range === 'custom' && view.from && view.to)
    return {
      from: new Date(`${view.from}T00:00:00Z`),
      to: new Date(Date.parse(`${view.to}T00:00:00Z`) + DAY_MS),
    };
  const preset = RANGES.find((r) => r.id === view.range) ?? RANGES[2];
  return { from: new Date(now - preset.ms), to: new Date(now) };
}

/** The UTC day of an instant, for prefilling the date inputs. */
export function dayOf(t: Date | number): string {
  return new Date(t).toISOString().slice(0, 10);
}
