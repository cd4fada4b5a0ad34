import type { InsightSplit } from '@gatehouse/contract';
import type { Db } from '@gatehouse/db';
import { type SQL, sql } from 'drizzle-orm';
import {
  type Bucket,
  bucketStart,
  bucketStarts,
  type Cell,
  histogramQuantile,
  LATENCY_BOUNDS_SECONDS,
  mergeHistograms,
  type Series,
  toSeries,
} from './rates.ts';

// Reads of the security console. Every query here reads the rollups, never the requests
// table: the day rollups (insight_rollups_daily, insight_facets_daily) for the whole UTC days
// of the range, the hour rollups (insight_rollups, insight_facets) for the hours at its ends.
// Their cost follows the number of days and hours × cells in the range, not the number of
// requests; the answers are the same as from the hour rollups alone.

const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

/** Whether a query may read the day rollups (tests compare both ways). */
export interface ReadOptions {
  days?: boolean;
}

export interface RangeParts {
  /** Whole UTC days [start, end) read from the day rollups; null when there are none. */
  days: [number, number] | null;
  /** Hours [start, end) read from the hour rollups. */
  hours: [number, number][];
}

/**
 * Which rollup answers which part of [from, to) (ms). The hour rollups' rows in range are
 * the hours h with from <= h < to, i.e. the hour starts in [ceilHour(from), ceilHour(to)); a
 * day row stands for its 24 hours, so it is read only when all of them are in range.
 */
export function splitRange(from: number, to: number, useDays = true): RangeParts {
  const a = Math.ceil(from / HOUR_MS) * HOUR_MS;
  const b = Math.ceil(to / HOUR_MS) * HOUR_MS;
  if (b <= a) return { days: null, hours: [] };
  const dayStart = Math.ceil(a / DAY_MS) * DAY_MS;
  const dayEnd = Math.floor(b / DAY_MS) * DAY_MS;
  if (!useDays || dayStart >= dayEnd) return { days: null, hours: [[a, b]] };
  const hours: [number, number][] = [];
  if (a < dayStart) hours.push([a, dayStart]);
  if (dayEnd < b) hours.push([dayEnd, b]);
  return { days: [dayStart, dayEnd], hours };
}

const ts = (ms: number) => sql`${new Date(ms).toISOString()}::timestamptz`;

/**
 * The rollup rows of [from, to) as one relation with an `hour` column (a day row's `hour` is
 * its day's start), over the given columns. `facets` reads the facet tables instead.
 */
export function rollupRows(from: Date, to: Date, columns: string, useDays: boolean, facets = false): SQL {
  const parts = splitRange(from.getTime(), to.getTime(), useDays);
  const hourTable = sql.raw(facets ? 'insight_facets' : 'insight_rollups');
  const dayTable = sql.raw(facets ? 'insight_facets_daily' : 'insight_rollups_daily');
  const cols = sql.raw(columns);
  const pieces = parts.hours.map(
    ([a, b]) => sql`select hour, ${cols} from ${hourTable} where hour >= ${ts(a)} and hour < ${ts(b)}`,
  );
  if (parts.days)
    pieces.push(
      sql`select day as hour, ${cols} from ${dayTable} where day >= ${ts(parts.days[0])} and day < ${ts(parts.days[1])}`,
    );
  if (pieces.length === 0) pieces.push(sql`select hour, ${cols} from ${hourTable} where false`);
  return sql`(${sql.join(pieces, sql` union all `)})`;
}

const SPLIT_COLUMN: Record<InsightSplit, string> = {
  agentType: 'agent_type',
  environment: 'environment',
  agent: 'agent_id',
};

/** More series than this (agents, usually) are folded into one `other` series. */
export const MAX_SERIES = 50;

export interface RangeQuery {
  from: Date;
  to: Date;
}

export async function autoApprovalCells(
  db: Db,
  q: RangeQuery & { bucket: Bucket; by: InsightSplit | null },
  options: ReadOptions = {},
): Promise<Cell[]> {
  const key = q.by ? sql.raw(SPLIT_COLUMN[q.by]) : sql.raw(`'all'`);
  // A day (or week) bucket is made of whole days, so a day row falls in the same bucket as
  // each of its hours; an hour bucket needs the hour rollups.
  const rows = rollupRows(
    q.from,
    q.to,
    'agent_type, environment, agent_id, status, count',
    q.bucket !== 'hour' && options.days !== false,
  );
  const result = await db.execute(sql`
    select ${key} as key, date_trunc(${q.bucket}, hour, 'UTC') as start,
           sum(count)::int as total,
           (sum(count) filter (where status = 'auto_approved'))::int as auto
      from ${rows} r
     group by 1, 2`);
  return (result.rows as { key: string; start: string | Date; total: number; auto: number | null }[]).map(
    (row) => ({
      key: row.key,
      start: new Date(row.start).getTime(),
      total: Number(row.total),
      autoApproved: Number(row.auto ?? 0),
    }),
  );
}

/** The series of the answer: at most MAX_SERIES, the smallest beyond that added up as `other`. */
export function capSeries(series: Series[]): Series[] {
  if (series.length <= MAX_SERIES) return series;
  const kept = series.slice(0, MAX_SERIES - 1);
  const rest = series.slice(MAX_SERIES - 1);
  const buckets = rest[0]!.buckets.map((b, i) => {
    const total = rest.reduce((n, s) => n + s.buckets[i]!.total, 0);
    const autoApproved = rest.reduce((n, s) => n + s.buckets[i]!.autoApproved, 0);
    return { start: b.start, total, autoApproved, rate: total > 0 ? autoApproved / total : null };
  });
  const total = rest.reduce((n, s) => n + s.total, 0);
  const autoApproved = rest.reduce((n, s) => n + s.autoApproved, 0);
  return [
    ...kept,
    { key: 'other', total, autoApproved, rate: total > 0 ? autoApproved / total : null, buckets },
  ];
}

export async function autoApprovalSeries(
  db: Db,
  q: RangeQuery & { bucket: Bucket; by: InsightSplit | null },
  options: ReadOptions = {},
): Promise<Series[]> {
  const cells = await autoApprovalCells(db, q, options);
  return capSeries(toSeries(cells, q.from.getTime(), q.to.getTime(), q.bucket));
}

/** Agent names for agent ids (series labels). */
export async function agentNames(db: Db, ids: readonly string[]): Promise<Map<string, string>> {
  if (ids.length === 0) return new Map();
  const result = await db.execute(
    sql`select id, name from agents where id = any(${`{${ids.map((id) => `"${id.replace(/["\\]/g, '')}"`).join(',')}}`}::text[])`,
  );
  return new Map((result.rows as { id: string; name: string }[]).map((r) => [r.id, r.name]));
}

const TOP_LIMIT = 10;

export async function summary(db: Db, q: RangeQuery, options: ReadOptions = {}) {
  const days = options.days !== false;
  const counts = await db.execute(sql`
    select tier, status, sum(count)::int as n from ${rollupRows(q.from, q.to, 'tier, status, count', days)} r
     group by tier, status`);
  const histogram = await db.execute(sql`
    select u.i::int as i, sum(u.v)::int as n
      from ${rollupRows(q.from, q.to, 'latency_hist', days)} r, unnest(r.latency_hist) with ordinality as u(v, i)
     where cardinality(r.latency_hist) > 0
     group by u.i`);
  const top = async (facet: string) => {
    const result = await db.execute(sql`
      select key, sum(count)::int as count from ${rollupRows(q.from, q.to, 'facet, key, count', days, true)} r
       where facet = ${facet}
       group by key order by 2 desc, 1 limit ${TOP_LIMIT}`);
    return (result.rows as { key: string; count: number }[]).map((r) => ({
      key: r.key,
      count: Number(r.count),
    }));
  };
  const [topFamilies, topWhitelist, topReasons] = [
    await top('family'),
    await top('whitelist'),
    await top('reason'),
  ];

  const tiers = { auto: 0, review: 0, multi_party: 0, deny: 0 };
  const outcomes = { pending: 0, approved: 0, rejected: 0, expired: 0, cancelled: 0 };
  let total = 0;
  let autoApproved = 0;
  for (const row of counts.rows as { tier: keyof typeof tiers; status: string; n: number }[]) {
    const n = Number(row.n);
    total += n;
    if (row.tier in tiers) tiers[row.tier] += n;
    if (row.status === 'auto_approved') autoApproved += n;
    if (row.status in outcomes) outcomes[row.status as keyof typeof outcomes] += n;
  }
  const hist = mergeHistograms([]);
  for (const row of histogram.rows as { i: number; n: number }[]) hist[Number(row.i) - 1] = Number(row.n);
  return {
    total,
    autoApproved,
    rate: total > 0 ? autoApproved / total : null,
    tiers,
    outcomes,
    decisionLatency: {
      count: hist.reduce((a, b) => a + b, 0),
      p50Seconds: histogramQuantile(hist, 0.5),
      p90Seconds: histogramQuantile(hist, 0.9),
    },
    topFamilies,
    topWhitelist,
    topReasons,
  };
}

const TIERS = ['auto', 'review', 'multi_party', 'deny'] as const;
/**
 * `sum(latency_hist[1]) as h0, …`: the histograms added up slot by slot. Subscripts, not
 * unnest: one pass over the rows instead of one row per slot (bench, 7 days by hour:
 * p50 81 → 21 ms).
 */
const HISTOGRAM_SUMS = sql.raw(
  Array.from(
    { length: LATENCY_BOUNDS_SECONDS.length + 1 },
    (_, i) => `sum(latency_hist[${i + 1}])::int as h${i}`,
  ).join(', '),
);
const OUTCOMES = ['pending', 'approved', 'rejected', 'expired', 'cancelled'] as const;

/**
 * Per bucket: the tier mix, the outcomes of the requests that went to people, and the time to
 * decision from the latency histograms, summed bucket by bucket. Two grouped reads of the
 * rollups, whatever the number of requests.
 */
export async function mixBuckets(
  db: Db,
  q: RangeQuery & { bucket: Bucket },
  options: ReadOptions = {},
): Promise<MixBucketRow[]> {
  // As for the rates: a day row lies wholly inside a day or week bucket, not an hour one.
  const days = q.bucket !== 'hour' && options.days !== false;
  // Independent reads: on a pool they run side by side (PGlite queues them).
  const [counts, histograms] = await Promise.all([
    db.execute(sql`
      select date_trunc(${q.bucket}, hour, 'UTC') as start, tier, status, sum(count)::int as n
        from ${rollupRows(q.from, q.to, 'tier, status, count', days)} r
       group by 1, 2, 3`),
    db.execute(sql`
      select date_trunc(${q.bucket}, hour, 'UTC') as start, ${HISTOGRAM_SUMS}
        from ${rollupRows(q.from, q.to, 'latency_hist', days)} r
       where cardinality(r.latency_hist) > 0
       group by 1`),
  ]);
  const starts = bucketStarts(q.from.getTime(), q.to.getTime(), q.bucket);
  const index = new Map(starts.map((s, i) => [s, i]));
  const tallies = starts.map(() => ({
    total: 0,
    tiers: Object.fromEntries(TIERS.map((t) => [t, 0])) as Record<(typeof TIERS)[number], number>,
    outcomes: Object.fromEntries(OUTCOMES.map((o) => [o, 0])) as Record<(typeof OUTCOMES)[number], number>,
    hist: mergeHistograms([]),
  }));
  for (const row of counts.rows as { start: string | Date; tier: string; status: string; n: number }[]) {
    const i = index.get(bucketStart(new Date(row.start).getTime(), q.bucket));
    if (i === undefined) continue;
    const tally = tallies[i]!;
    const n = Number(row.n);
    tally.total += n;
    if (row.tier in tally.tiers) tally.tiers[row.tier as (typeof TIERS)[number]] += n;
    if (row.status in tally.outcomes) tally.outcomes[row.status as (typeof OUTCOMES)[number]] += n;
  }
  for (const row of histograms.rows as ({ start: string | Date } & Record<string, number | null>)[]) {
    const i = index.get(bucketStart(new Date(row.start).getTime(), q.bucket));
    if (i === undefined) continue;
    const hist = tallies[i]!.hist;
    for (let slot = 0; slot < hist.length; slot++) hist[slot]! += Number(row[`h${slot}`] ?? 0);
  }
  return starts.map((start, i) => {
    const { total, tiers, outcomes, hist } = tallies[i]!;
    return {
      start: new Date(start).toISOString(),
      total,
      tiers,
      outcomes,
      decisionLatency: {
        count: hist.reduce((a, b) => a + b, 0),
        p50Seconds: histogramQuantile(hist, 0.5),
        p90Seconds: histogramQuantile(hist, 0.9),
      },
    };
  });
}

export interface MixBucketRow {
  start: string;
  total: number;
  tiers: Record<(typeof TIERS)[number], number>;
  outcomes: Record<(typeof OUTCOMES)[number], number>;
  decisionLatency: { count: number; p50Seconds: number | null; p90Seconds: number | null };
}
