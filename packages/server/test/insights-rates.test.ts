import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  alarmAction,
  DEFAULT_DRIFT,
  driftPeriods,
  driftThresholds,
  evaluateDrift,
} from '../src/insights/drift.ts';
import { splitRange } from '../src/insights/queries.ts';
import {
  BUCKET_MS,
  BUCKETS,
  bucketStart,
  bucketStarts,
  type Cell,
  histogramQuantile,
  LATENCY_BOUNDS_SECONDS,
  latencyBucket,
  mergeHistograms,
  rate,
  toSeries,
} from '../src/insights/rates.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const instant = fc.integer({ min: Date.UTC(2020, 0, 1), max: Date.UTC(2035, 0, 1) });
const bucket = fc.constantFrom(...BUCKETS);

describe('buckets', () => {
  it('a bucket starts on its boundary, holds the instant, and is one bucket long', () => {
    fc.assert(
      fc.property(instant, bucket, (t, b) => {
        const start = bucketStart(t, b);
        expect(start).toBeLessThanOrEqual(t);
        expect(t - start).toBeLessThan(BUCKET_MS[b]);
        expect(bucketStart(start, b)).toBe(start);
      }),
    );
  });

  it('weeks start on Monday 00:00 UTC, days at midnight UTC', () => {
    // Sunday 2026-03-15 23:30 UTC belongs to the week of Monday 2026-03-09.
    expect(new Date(bucketStart(Date.UTC(2026, 2, 15, 23, 30), 'week')).toISOString()).toBe(
      '2026-03-09T00:00:00.000Z',
    );
    expect(new Date(bucketStart(Date.UTC(2026, 2, 16, 0, 0), 'week')).toISOString()).toBe(
      '2026-03-16T00:00:00.000Z',
    );
    fc.assert(
      fc.property(instant, (t) => {
        expect(new Date(bucketStart(t, 'week')).getUTCDay()).toBe(1);
      }),
    );
    expect(new Date(bucketStart(Date.UTC(2026, 2, 15, 23, 30), 'day')).toISOString()).toBe(
      '2026-03-15T00:00:00.000Z',
    );
  });

  it('the starts of a range cover it without gaps or overlap', () => {
    fc.assert(
      fc.property(instant, fc.integer({ min: 1, max: 60 * DAY }), bucket, (from, length, b) => {
        const starts = bucketStarts(from, from + length, b);
        expect(starts[0]).toBe(bucketStart(from, b));
        expect(starts.at(-1)!).toBeLessThan(from + length);
        for (let i = 1; i < starts.length; i++) expect(starts[i]! - starts[i - 1]!).toBe(BUCKET_MS[b]);
      }),
    );
  });
});

describe('rates', () => {
  it('is the share of auto-approved requests, and null, not 0, when nothing was submitted', () => {
    expect(rate(0, 0)).toBeNull();
    expect(rate(0, 4)).toBe(0);
    expect(rate(3, 4)).toBe(0.75);
    fc.assert(
      fc.property(fc.nat(1e6), fc.nat(1e6), (a, b) => {
        const [auto, total] = a <= b ? [a, b] : [b, a];
        const r = rate(auto, total);
        if (total === 0) expect(r).toBeNull();
        else {
          expect(r).toBeGreaterThanOrEqual(0);
          expect(r).toBeLessThanOrEqual(1);
        }
      }),
    );
  });

  const cells = fc.array(
    fc.record({
      key: fc.constantFrom('ci', 'coding-agent', 'untrusted'),
      hour: fc.integer({ min: 0, max: 24 * 30 - 1 }),
      total: fc.integer({ min: 1, max: 500 }),
      autoShare: fc.double({ min: 0, max: 1, noNaN: true }),
    }),
    { maxLength: 200 },
  );
  const base = Date.UTC(2026, 0, 5); // a Monday

  it('series keep every count: summing buckets gives the totals, whatever the bucket size', () => {
    fc.assert(
      fc.property(cells, bucket, (raw, b) => {
        const input: Cell[] = raw.map((c) => ({
          key: c.key,
          start: base + c.hour * HOUR,
          total: c.total,
          autoApproved: Math.floor(c.total * c.autoShare),
        }));
        const series = toSeries(input, base, base + 30 * DAY, b);
        const sum = (f: (c: Cell) => number) => input.reduce((n, c) => n + f(c), 0);
        expect(series.reduce((n, s) => n + s.total, 0)).toBe(sum((c) => c.total));
        expect(series.reduce((n, s) => n + s.autoApproved, 0)).toBe(sum((c) => c.autoApproved));
        for (const s of series) {
          expect(s.buckets.reduce((n, x) => n + x.total, 0)).toBe(s.total);
          expect(s.buckets.length).toBe(bucketStarts(base, base + 30 * DAY, b).length);
          for (const x of s.buckets) expect(x.rate).toBe(rate(x.autoApproved, x.total));
        }
        // Largest first.
        for (let i = 1; i < series.length; i++)
          expect(series[i - 1]!.total).toBeGreaterThanOrEqual(series[i]!.total);
      }),
    );
  });

  it('the daily rate is the rate of the summed hours, not the mean of hourly rates', () => {
    const series = toSeries(
      [
        { key: 'all', start: base, total: 100, autoApproved: 100 },
        { key: 'all', start: base + HOUR, total: 900, autoApproved: 0 },
      ],
      base,
      base + DAY,
      'day',
    );
    expect(series[0]!.buckets[0]!.rate).toBe(0.1);
  });

  it('empty buckets are gaps (rate null), and cells outside the range are left out', () => {
    const [s] = toSeries(
      [
        { key: 'all', start: base + 2 * DAY, total: 4, autoApproved: 1 },
        { key: 'all', start: base - DAY, total: 1000, autoApproved: 1000 },
      ],
      base,
      base + 3 * DAY,
      'day',
    );
    expect(s!.buckets.map((b) => b.rate)).toEqual([null, null, 0.25]);
    expect(s!.total).toBe(4);
  });
});

describe('latency histogram', () => {
  it('puts a latency in the first bucket whose bound it does not exceed', () => {
    expect(latencyBucket(0)).toBe(0);
    expect(latencyBucket(1)).toBe(0);
    expect(latencyBucket(1.01)).toBe(1);
    expect(latencyBucket(900)).toBe(LATENCY_BOUNDS_SECONDS.indexOf(900));
    expect(latencyBucket(1e9)).toBe(LATENCY_BOUNDS_SECONDS.length);
  });

  it('a quantile lies within the bucket that holds its rank, and grows with q', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0, max: 100_000, noNaN: true }), { minLength: 1, maxLength: 300 }),
        (latencies) => {
          const hist = mergeHistograms([]);
          for (const l of latencies) hist[latencyBucket(l)]!++;
          const sorted = [...latencies].sort((a, b) => a - b);
          let previous = 0;
          for (const q of [0.1, 0.5, 0.9, 0.99, 1]) {
            const estimate = histogramQuantile(hist, q)!;
            expect(estimate).toBeGreaterThanOrEqual(previous);
            previous = estimate;
            const exact = sorted[Math.max(0, Math.ceil(q * sorted.length) - 1)]!;
            const i = latencyBucket(exact);
            const lower = i === 0 ? 0 : LATENCY_BOUNDS_SECONDS[i - 1]!;
            const upper = LATENCY_BOUNDS_SECONDS[i] ?? LATENCY_BOUNDS_SECONDS.at(-1)!;
            expect(estimate).toBeGreaterThanOrEqual(Math.min(lower, upper));
            expect(estimate).toBeLessThanOrEqual(upper);
          }
        },
      ),
    );
    expect(histogramQuantile(mergeHistograms([]), 0.5)).toBeNull();
  });

  it('merges bucket by bucket', () => {
    expect(
      mergeHistograms([
        [1, 2],
        [0, 1, 5],
      ]).slice(0, 3),
    ).toEqual([1, 3, 5]);
  });
});

describe('drift', () => {
  const t = DEFAULT_DRIFT;
  const counts = (total: number, autoApproved: number) => ({ total, autoApproved });

  it('alarms above the ceiling, strictly', () => {
    expect(evaluateDrift(counts(100, 96), counts(0, 0), t).trigger).toBe('ceiling');
    expect(evaluateDrift(counts(100, 95), counts(0, 0), t).trigger).toBeNull();
  });

  it('alarms on a rise of more than the set points over the baseline, strictly', () => {
    expect(evaluateDrift(counts(100, 71), counts(1000, 600), t).trigger).toBe('rise');
    expect(evaluateDrift(counts(100, 70), counts(1000, 600), t).trigger).toBeNull();
    expect(evaluateDrift(counts(100, 50), counts(1000, 600), t).trigger).toBeNull();
  });

  it('does not judge too few requests, in the window or in the baseline', () => {
    expect(evaluateDrift(counts(49, 49), counts(0, 0), t).trigger).toBeNull();
    expect(evaluateDrift(counts(100, 90), counts(49, 0), t).trigger).toBeNull();
  });

  it('never alarms at or below the baseline nor at or below the ceiling without a rise', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 50, max: 10_000 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (total, share) => {
          const auto = Math.floor(total * share);
          // Same rate in the baseline: no rise; only the ceiling can trigger.
          const e = evaluateDrift(counts(total, auto), counts(total * 4, auto * 4), t);
          expect(e.trigger).toBe(auto / total > t.ceiling ? 'ceiling' : null);
        },
      ),
    );
  });

  it('window and baseline are adjacent, the baseline before the window', () => {
    const now = Date.UTC(2026, 5, 1);
    const p = driftPeriods(now, t);
    expect(p.window.end).toBe(now);
    expect(p.window.end - p.window.start).toBe(7 * DAY);
    expect(p.baseline.end).toBe(p.window.start);
    expect(p.baseline.end - p.baseline.start).toBe(28 * DAY);
  });

  it('an alarm stays until acknowledged, and an acknowledged one re-arms only after clearing', () => {
    const out = evaluateDrift(counts(100, 99), counts(0, 0), t);
    const within = evaluateDrift(counts(100, 50), counts(0, 0), t);
    expect(alarmAction({ open: false, acknowledgedUncleared: false }, out)).toBe('raise');
    expect(alarmAction({ open: true, acknowledgedUncleared: false }, out)).toBe('update');
    expect(alarmAction({ open: true, acknowledgedUncleared: false }, within)).toBe('update');
    expect(alarmAction({ open: false, acknowledgedUncleared: true }, out)).toBe('none');
    expect(alarmAction({ open: false, acknowledgedUncleared: true }, within)).toBe('clear');
    expect(alarmAction({ open: false, acknowledgedUncleared: false }, within)).toBe('none');
  });
});

describe('day rollups: which table answers which part of a range', () => {
  const H = 3_600_000;
  const D = 24 * H;
  it('reads whole days from the day rollups and the ragged ends from the hour rollups', () => {
    expect(splitRange(10 * D, 20 * D)).toEqual({ days: [10 * D, 20 * D], hours: [] });
    expect(splitRange(10 * D + 1, 20 * D - 1)).toEqual({
      days: [11 * D, 20 * D],
      hours: [[10 * D + H, 11 * D]],
    });
    expect(splitRange(10 * D, 11 * D - 30 * 60_000)).toEqual({ days: [10 * D, 11 * D], hours: [] });
    expect(splitRange(10 * D, 10 * D + 5 * H)).toEqual({ days: null, hours: [[10 * D, 10 * D + 5 * H]] });
    expect(splitRange(10 * D, 20 * D, false)).toEqual({ days: null, hours: [[10 * D, 20 * D]] });
    expect(splitRange(5 * H + 1, 5 * H + 2)).toEqual({ days: null, hours: [] });
  });

  it('covers exactly the hours the hour rollups alone would read', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 40 * D }),
        fc.integer({ min: 1, max: 20 * D }),
        (from, length) => {
          const to = from + length;
          const expected: number[] = [];
          for (let h = Math.ceil(from / H) * H; h < to; h += H) expected.push(h);
          const parts = splitRange(from, to);
          const got: number[] = [];
          for (const [a, b] of parts.hours) for (let h = a; h < b; h += H) got.push(h);
          if (parts.days) {
            expect(parts.days[0] % D).toBe(0);
            expect(parts.days[1] % D).toBe(0);
            for (let h = parts.days[0]; h < parts.days[1]; h += H) got.push(h);
          }
          expect(got.sort((x, y) => x - y)).toEqual(expected);
        },
      ),
    );
  });
});

describe('drift thresholds: the policy file over the GATEHOUSE_DRIFT_* variables', () => {
  it('takes each threshold the policy sets (the ceiling in percent), the others from config', () => {
    expect(driftThresholds(DEFAULT_DRIFT, undefined)).toEqual({ ...DEFAULT_DRIFT, fromPolicy: [] });
    expect(driftThresholds(DEFAULT_DRIFT, { ceilingPercent: 90, windowDays: 3 })).toEqual({
      ...DEFAULT_DRIFT,
      ceiling: 0.9,
      windowDays: 3,
      fromPolicy: ['windowDays', 'ceiling'],
    });
    expect(
      driftThresholds(DEFAULT_DRIFT, {
        windowDays: 1,
        baselineDays: 2,
        ceilingPercent: 0,
        risePoints: 0,
        minRequests: 1,
      }),
    ).toEqual({
      windowDays: 1,
      baselineDays: 2,
      ceiling: 0,
      risePoints: 0,
      minRequests: 1,
      fromPolicy: ['windowDays', 'baselineDays', 'ceiling', 'risePoints', 'minRequests'],
    });
  });
});
