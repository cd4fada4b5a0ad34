// Pure arithmetic of the security console: time buckets, auto-approval rates, series with
// their empty buckets filled, and latency percentiles from the rollups' histograms. No I/O.

export const BUCKETS = ['hour', 'day', 'week'] as const;
export type Bucket = (typeof BUCKETS)[number];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const WEEK_MS = 7 * DAY_MS;
/** 1970-01-05 was a Monday: weeks start on Monday (ISO 8601), in UTC like every bucket. */
const FIRST_MONDAY_MS = 4 * DAY_MS;

export const BUCKET_MS: Record<Bucket, number> = { hour: HOUR_MS, day: DAY_MS, week: WEEK_MS };

/** The start of the UTC hour, day or ISO week (Monday) that holds `t`. */
export function bucketStart(t: number, bucket: Bucket): number {
  if (bucket === 'week') return t - mod(t - FIRST_MONDAY_MS, WEEK_MS);
  return t - mod(t, BUCKET_MS[bucket]);
}

function mod(a: number, b: number): number {
  return ((a % b) + b) % b;
}

/** The starts of every bucket that overlaps [from, to), in order. */
export function bucketStarts(from: number, to: number, bucket: Bucket): number[] {
  const starts: number[] = [];
  for (let t = bucketStart(from, bucket); t < to; t += BUCKET_MS[bucket]) starts.push(t);
  return starts;
}

/** The auto-approval rate, 0–1; null when nothing was submitted (no rate, rather than 0%). */
export function rate(autoApproved: number, total: number): number | null {
  return total > 0 ? autoApproved / total : null;
}

/** Counts of one key in one bucket, as the rollup query returns them. */
export interface Cell {
  key: string;
  /** Bucket start, ms since the epoch. */
  start: number;
  total: number;
  autoApproved: number;
}

export interface SeriesBucket {
  start: string;
  total: number;
  autoApproved: number;
  rate: number | null;
}

export interface Series {
  key: string;
  total: number;
  autoApproved: number;
  rate: number | null;
  buckets: SeriesBucket[];
}

/**
 * One series per key with a bucket for every start in [from, to) (empty ones with total 0 and
 * rate null, so a chart shows a gap, not a drop to 0%), keys by volume, largest first. Cells
 * of the same key and bucket are added up, so hourly rows can be handed in for day buckets.
 */
export function toSeries(cells: readonly Cell[], from: number, to: number, bucket: Bucket): Series[] {
  const starts = bucketStarts(from, to, bucket);
  const index = new Map(starts.map((s, i) => [s, i]));
  const byKey = new Map<string, { total: number[]; auto: number[] }>();
  for (const cell of cells) {
    const i = index.get(bucketStart(cell.start, bucket));
    if (i === undefined) continue;
    let series = byKey.get(cell.key);
    if (!series) {
      series = { total: starts.map(() => 0), auto: starts.map(() => 0) };
      byKey.set(cell.key, series);
    }
    series.total[i]! += cell.total;
    series.auto[i]! += cell.autoApproved;
  }
  const result: Series[] = [];
  for (const [key, { total, auto }] of byKey) {
    const sumTotal = total.reduce((a, b) => a + b, 0);
    const sumAuto = auto.reduce((a, b) => a + b, 0);
    result.push({
      key,
      total: sumTotal,
      autoApproved: sumAuto,
      rate: rate(sumAuto, sumTotal),
      buckets: starts.map((s, i) => ({
        start: new Date(s).toISOString(),
        total: total[i]!,
        autoApproved: auto[i]!,
        rate: rate(auto[i]!, total[i]!),
      })),
    });
  }
  return result.sort((a, b) => b.total - a.total || (a.key < b.key ? -1 : 1));
}

/**
 * Upper bounds (seconds) of the submit-to-decision latency histogram kept in the rollups; the
 * histogram has one more bucket, for everything above the last bound. Changing these means
 * rebuilding the rollups.
 */
export const LATENCY_BOUNDS_SECONDS = [
  1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 21_600, 86_400,
] as const;

/** Which histogram bucket a latency falls in: the first bound it does not exceed. */
export function latencyBucket(seconds: number): number {
  const i = LATENCY_BOUNDS_SECONDS.findIndex((bound) => seconds <= bound);
  return i === -1 ? LATENCY_BOUNDS_SECONDS.length : i;
}

/** Adds histograms bucket by bucket (a shorter one counts as zeros). */
export function mergeHistograms(histograms: readonly (readonly number[])[]): number[] {
  const out = new Array<number>(LATENCY_BOUNDS_SECONDS.length + 1).fill(0);
  for (const h of histograms) for (let i = 0; i < out.length; i++) out[i]! += h[i] ?? 0;
  return out;
}

/**
 * The q-quantile (0 < q ≤ 1) of a latency histogram, interpolated linearly inside its bucket
 * (as Prometheus' histogram_quantile does); null for an empty histogram. A quantile that falls
 * in the open last bucket is reported as the last bound: "more than a day".
 */
export function histogramQuantile(histogram: readonly number[], q: number): number | null {
  const total = histogram.reduce((a, b) => a + b, 0);
  if (total === 0) return null;
  const rank = q * total;
  let seen = 0;
  for (let i = 0; i < histogram.length; i++) {
    const count = histogram[i] ?? 0;
    if (count > 0 && seen + count >= rank) {
      if (i >= LATENCY_BOUNDS_SECONDS.length) return LATENCY_BOUNDS_SECONDS.at(-1)!;
      const lower = i === 0 ? 0 : LATENCY_BOUNDS_SECONDS[i - 1]!;
      const upper = LATENCY_BOUNDS_SECONDS[i]!;
      return lower + ((upper - lower) * (rank - seen)) / count;
    }
    seen += count;
  }
  return LATENCY_BOUNDS_SECONDS.at(-1)!;
}

/** The longest range one insights query may cover, by bucket: bounds the answer's size. */
export const MAX_BUCKETS = 2_000;
