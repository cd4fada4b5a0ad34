import { insertRows, schema } from '@gatehouse/db';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { mixBuckets } from '../src/insights/queries.ts';
import { rebuildRollups } from '../src/insights/rollup.ts';

// Three UTC days whose per-bucket mix is known by construction. Day d (0, 1, 2) has 6·(d+1)
// requests every hour, cycling through six kinds:
//   0 auto / auto_approved
//   1 review / approved, decided after 10 s
//   2 review / rejected, after 100 s
//   3 multi_party / expired, after 1000 s
//   4 deny / denied
//   5 review / cancelled after 50 s on day 0, still pending on days 1 and 2
// so each kind counts 24·(d+1) on day d, and the time to decision follows by hand below.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const END = Math.floor(Date.now() / DAY) * DAY; // today 00:00 UTC
const START = END - 3 * DAY;

const KINDS = [
  { tier: 'auto', status: 'auto_approved', after: null },
  { tier: 'review', status: 'approved', after: 10 },
  { tier: 'review', status: 'rejected', after: 100 },
  { tier: 'multi_party', status: 'expired', after: 1000 },
  { tier: 'deny', status: 'denied', after: null },
] as const;

function kindOf(c: number, day: number): { tier: string; status: string; after: number | null } {
  if (c % 6 < 5) return KINDS[c % 6]!;
  return day === 0
    ? { tier: 'review', status: 'cancelled', after: 50 }
    : { tier: 'review', status: 'pending', after: null };
}

describe('security console: the mix per bucket', () => {
  let gh: TestGatehouse;
  let auditor: { token: string };
  let approver: { token: string };
  let agentSession: string;

  beforeAll(async () => {
    gh = await startGatehouse({
      redis: false,
      env: { GATEHOUSE_INSIGHTS_INTERVAL_SECONDS: '3600', GATEHOUSE_DRIFT_CHECK_SECONDS: '86400' },
    });
    auditor = await gh.createUser('security@example.com', ['auditor']);
    approver = await gh.createUser('oncall@example.com', ['approver']);
    const agent = await gh.createAgent({ name: 'mix-bot', type: 'ci' });
    agentSession = await gh.session(agent.key);
    const rows: Record<string, unknown>[] = [];
    for (let t = START; t < END; t += HOUR) {
      const day = Math.floor((t - START) / DAY);
      for (let c = 0; c < 6 * (day + 1); c++) {
        const kind = kindOf(c, day);
        const createdAt = t + c * 10_000;
        rows.push({
          id: `req_mix${rows.length.toString().padStart(6, '0')}`,
          agentId: agent.id,
          sessionId: 'ses_mix',
          kind: 'shell',
          command: 'make deploy',
          context: { environment: 'staging' },
          cmdHash: `m${rows.length}`,
          score: 10,
          tier: kind.tier,
          reasons: [],
          commands: [{ kind: 'shell', name: 'make', args: ['deploy'], text: 'make deploy', via: [] }],
          policyVersion: 'mix',
          whitelistedBy: null,
          status: kind.status,
          requiredApprovals: kind.tier === 'auto' || kind.tier === 'deny' ? 0 : 1,
          createdAt: new Date(createdAt).toISOString(),
          decidedAt: kind.after === null ? null : new Date(createdAt + kind.after * 1000).toISOString(),
        });
      }
    }
    const db = gh.running.runtime.database.db;
    await db.execute(insertRows([{ table: schema.requests, rows }]));
    await rebuildRollups(db, new Date(END));
  }, 60_000);
  afterAll(async () => gh?.stop());

  const get = (path: string, token = auditor.token) => gh.api(path, { token });
  const iso = (t: number) => new Date(t).toISOString();

  it('answers each day’s tiers, outcomes and time to decision as constructed', async () => {
    const answer = await get(`/v1/insights/mix?from=${iso(START)}&to=${iso(END)}&bucket=day`);
    expect(answer.status).toBe(200);
    expect(answer.body.bucket).toBe('day');
    expect(answer.body.buckets.map((b: { start: string }) => b.start)).toEqual([
      iso(START),
      iso(START + DAY),
      iso(START + 2 * DAY),
    ]);
    answer.body.buckets.forEach((bucket: Record<string, any>, d: number) => {
      const n = 24 * (d + 1);
      expect(bucket.total).toBe(6 * n);
      expect(bucket.tiers).toEqual({ auto: n, review: 3 * n, multi_party: n, deny: n });
      expect(bucket.outcomes).toEqual({
        approved: n,
        rejected: n,
        expired: n,
        cancelled: d === 0 ? n : 0,
        pending: d === 0 ? 0 : n,
      });
    });
    // Day 0: four groups of 24 closed at 10, 50, 100 and 1000 s. The median (rank 48) closes
    // the 30–60 s bucket; p90 (rank 86.4) lies 14.4/24 into the 900–1800 s one.
    const first = answer.body.buckets[0].decisionLatency;
    expect(first.count).toBe(96);
    expect(first.p50Seconds).toBeCloseTo(60, 6);
    expect(first.p90Seconds).toBeCloseTo(1440, 6);
    // Days 1 and 2: three groups at 10, 100 and 1000 s; p50 is halfway through 60–120 s and p90
    // 70% of the way through 900–1800 s, whatever the volume.
    for (const d of [1, 2]) {
      const latency = answer.body.buckets[d].decisionLatency;
      expect(latency.count).toBe(72 * (d + 1));
      expect(latency.p50Seconds).toBeCloseTo(90, 6);
      expect(latency.p90Seconds).toBeCloseTo(1530, 6);
    }
  });

  it('answers hour buckets over a ragged range, with empty buckets filled, and weeks that add up', async () => {
    // From 21:30 on day 2 to 01:00 after it: the first bucket is the hour holding `from`;
    // 21:00, 22:00 and 23:00 hold 18 requests each, today's 00:00 none.
    const from = END - 2.5 * HOUR;
    const answer = await get(`/v1/insights/mix?from=${iso(from)}&to=${iso(END + HOUR)}&bucket=hour`);
    expect(answer.status).toBe(200);
    expect(answer.body.from).toBe(iso(END - 3 * HOUR));
    expect(answer.body.buckets.map((b: { total: number }) => b.total)).toEqual([18, 18, 18, 0]);
    expect(answer.body.buckets[3].decisionLatency).toEqual({ count: 0, p50Seconds: null, p90Seconds: null });
    expect(answer.body.buckets[1].tiers).toEqual({ auto: 3, review: 9, multi_party: 3, deny: 3 });

    const weeks = await get(`/v1/insights/mix?from=${iso(START - 7 * DAY)}&to=${iso(END)}&bucket=week`);
    const total = weeks.body.buckets.reduce((n: number, b: { total: number }) => n + b.total, 0);
    expect(total).toBe(6 * 24 * (1 + 2 + 3));
  });

  it('answers the same from the day rollups as from the hour rollups alone', async () => {
    const db = gh.running.runtime.database.db;
    const q = { from: new Date(START + 5 * HOUR), to: new Date(END - 7 * HOUR), bucket: 'day' as const };
    const withDays = await mixBuckets(db, q);
    const hoursOnly = await mixBuckets(db, q, { days: false });
    expect(withDays).toEqual(hoursOnly);
    expect(withDays[1]!.total).toBe(6 * 48);
    expect(withDays[0]!.total).toBe(6 * 24 - 6 * 5);
  });

  it('reads the rollups, not the requests', async () => {
    const db = gh.running.runtime.database.db;
    const path = `/v1/insights/mix?from=${iso(START)}&to=${iso(END)}&bucket=day`;
    const before = (await get(path)).body;
    await db.execute(sql`delete from requests where id like 'req_mix%'`);
    const after = (await get(path)).body;
    expect(after.buckets).toEqual(before.buckets);
    expect(after.buckets[2].total).toBe(6 * 72);
  });

  it('lets approvers read, refuses agents and strangers, and says why a range is impossible', async () => {
    expect((await get(`/v1/insights/mix`, approver.token)).status).toBe(200);
    expect((await get(`/v1/insights/mix`, agentSession)).status).toBe(403);
    expect((await gh.api('/v1/insights/mix')).status).toBe(401);
    const reversed = await get(`/v1/insights/mix?from=${iso(END)}&to=${iso(START)}`);
    expect(reversed.status).toBe(400);
    expect(reversed.body.error).toMatchObject({
      code: 'INSIGHTS_RANGE_INVALID',
      message: '`from` must be before `to`',
    });
    const tooLong = await get(`/v1/insights/mix?from=${iso(END - 100 * DAY)}&to=${iso(END)}&bucket=hour`);
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe('INSIGHTS_RANGE_INVALID');
    expect(tooLong.body.error.message).toContain('at most 2000 hour buckets');
    expect((await get(`/v1/insights/mix?bucket=minute`)).status).toBe(400);
    // The totals have no hourly series: a 100-day range (the console's 90-day view) is fine.
    const longSummary = await get(`/v1/insights/summary?from=${iso(END - 100 * DAY)}&to=${iso(END)}`);
    expect(longSummary.status).toBe(200);
    expect(longSummary.body.total).toBe(6 * 24 * (1 + 2 + 3));
  });

  it('is in the OpenAPI document', async () => {
    const doc = await gh.api('/docs/json');
    const operation = doc.body.paths['/v1/insights/mix'].get;
    expect(operation.tags).toEqual(['insights']);
    expect(operation.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'bucket',
      'from',
      'to',
    ]);
  });
});
