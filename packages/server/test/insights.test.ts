import { readFileSync } from 'node:fs';
import { insertRows, schema } from '@gatehouse/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { query } from '../../../test/support/postgres.ts';
import { autoApprovalSeries, summary } from '../src/insights/queries.ts';
import { rebuildRollups, refreshRollups } from '../src/insights/rollup.ts';
import { checkDrift, driftCounts } from '../src/insights/service.ts';

// A generated history of 72,000 requests over 60 days whose rates, alarms and outcomes are
// known by construction: the generator tallies what it wrote, and the API must say the same.
//
//   agent types × environments: ci (2 agents), coding-agent (2), untrusted (1) × staging, prod
//   every hour, every agent, every environment: 5 requests
//   auto-approval rate: 60% everywhere, except in the last 7 days
//     ci/staging            80% before, 97% in the window  → ceiling alarm (> 95%)
//     coding-agent/prod     50% before, 75% in the window  → rise alarm (+25 points > 10)
//   the rest of the requests: every 7th denied, the others reviewed by people:
//     approved / rejected / expired / approved, decided 30 s – 300 s after submission.

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const DAYS = 60;
const PER_HOUR = 5;
const END = Math.floor(Date.now() / DAY) * DAY; // today 00:00 UTC
const START = END - DAYS * DAY;
const WINDOW_START = END - 7 * DAY;
const ENVIRONMENTS = ['staging', 'prod'] as const;
const AGENTS = [
  { name: 'ci-1', type: 'ci' },
  { name: 'ci-2', type: 'ci' },
  { name: 'coder-1', type: 'coding-agent' },
  { name: 'coder-2', type: 'coding-agent' },
  { name: 'browser-1', type: 'untrusted' },
] as const;

function autoShare(type: string, env: string, t: number): number {
  const inWindow = t >= WINDOW_START;
  if (type === 'ci' && env === 'staging') return inWindow ? 0.97 : 0.8;
  if (type === 'coding-agent' && env === 'prod') return inWindow ? 0.75 : 0.5;
  return 0.6;
}

interface Tally {
  total: number;
  auto: number;
}

describe('security console: rollups, rates and drift over a generated history', () => {
  let gh: TestGatehouse;
  let auditor: { id: string; token: string };
  let approver: { id: string; token: string };
  let agentSession: string;
  const agentIds: { id: string; type: string; name: string }[] = [];
  /** Expected counts by `<split key>|<bucket start ms>`. */
  const byTypeDay = new Map<string, Tally>();
  const byEnvWeek = new Map<string, Tally>();
  const tiers = { auto: 0, review: 0, multi_party: 0, deny: 0 };
  const outcomes = { approved: 0, rejected: 0, expired: 0, cancelled: 0, pending: 0 };
  let total = 0;
  let whitelisted = 0;

  const add = (map: Map<string, Tally>, key: string, auto: boolean) => {
    const tally = map.get(key) ?? { total: 0, auto: 0 };
    tally.total++;
    if (auto) tally.auto++;
    map.set(key, tally);
  };

  beforeAll(async () => {
    gh = await startGatehouse({
      redis: false,
      env: { GATEHOUSE_INSIGHTS_INTERVAL_SECONDS: '3600', GATEHOUSE_DRIFT_CHECK_SECONDS: '86400' },
    });
    auditor = await gh.createUser('security@example.com', ['auditor']);
    approver = await gh.createUser('oncall@example.com', ['approver']);
    for (const agent of AGENTS) {
      const created = await gh.createAgent({ name: agent.name, type: agent.type });
      agentIds.push({ id: created.id, type: agent.type, name: agent.name });
    }
    agentSession = await gh.session((await gh.createAgent({ name: 'live', type: 'ci' })).key);

    const db = gh.running.runtime.database.db;
    let rows: Record<string, unknown>[] = [];
    let n = 0;
    const flush = async () => {
      if (rows.length > 0) await db.execute(insertRows([{ table: schema.requests, rows }]));
      rows = [];
    };
    for (const agent of agentIds) {
      for (const env of ENVIRONMENTS) {
        let c = 0;
        for (let t = START; t < END; t += HOUR) {
          for (let j = 0; j < PER_HOUR; j++, c++) {
            const createdAt = t + j * 600_000 + 1000;
            const share = autoShare(agent.type, env, t);
            // A low-discrepancy choice: exactly ⌊share·k⌋ of any k consecutive requests, ±1.
            const auto = Math.floor((c + 1) * share) > Math.floor(c * share);
            let tier: keyof typeof tiers = 'auto';
            let status: string = 'auto_approved';
            let decidedAfter = 0;
            if (!auto) {
              if (c % 7 === 0) {
                tier = 'deny';
                status = 'denied';
              } else {
                tier = 'review';
                status = ['approved', 'rejected', 'expired', 'approved'][c % 4]!;
                decidedAfter = ((c % 10) + 1) * 30_000;
                outcomes[status as keyof typeof outcomes]++;
              }
            }
            const wl = auto && c % 3 === 0 ? 'default.git-read' : null;
            if (wl) whitelisted++;
            tiers[tier]++;
            total++;
            add(byTypeDay, `${agent.type}|${Math.floor(t / DAY) * DAY}`, auto);
            const week = t - ((((t - 4 * DAY) % (7 * DAY)) + 7 * DAY) % (7 * DAY));
            add(byEnvWeek, `${env}|${week}`, auto);
            rows.push({
              id: `req_gen${String(n++).padStart(7, '0')}`,
              agentId: agent.id,
              sessionId: 'ses_gen',
              kind: 'shell',
              command: auto ? 'git status' : 'terraform apply',
              context: { environment: env },
              cmdHash: `h${n}`,
              score: auto ? 5 : 40,
              tier,
              reasons: [
                { rule: auto ? 'shell.read' : 'shell.iac.apply', category: 'x', weight: 1, detail: '' },
              ],
              commands: [
                auto
                  ? { kind: 'shell', name: 'git', args: ['status'], text: 'git status', via: [] }
                  : { kind: 'shell', name: 'terraform', args: ['apply'], text: 'terraform apply', via: [] },
              ],
              policyVersion: 'gen',
              whitelistedBy: wl,
              status,
              requiredApprovals: tier === 'review' ? 1 : 0,
              createdAt: new Date(createdAt).toISOString(),
              decidedAt: new Date(createdAt + decidedAfter).toISOString(),
            });
            if (rows.length >= 4000) await flush();
          }
        }
      }
    }
    await flush();
    await rebuildRollups(db, new Date(END));
  }, 180_000);
  afterAll(async () => gh?.stop());

  const get = (path: string, token = auditor.token) => gh.api(path, { token });
  const iso = (t: number) => new Date(t).toISOString();

  it('holds at least 50,000 requests over 60 days', () => {
    expect(total).toBeGreaterThanOrEqual(50_000);
  });

  it('answers the daily rate per agent type exactly as generated', async () => {
    const r = await get(
      `/v1/insights/auto-approval?from=${iso(START)}&to=${iso(END)}&bucket=day&by=agentType`,
    );
    expect(r.status).toBe(200);
    expect(r.body.series.map((s: any) => s.key).sort()).toEqual(['ci', 'coding-agent', 'untrusted']);
    for (const series of r.body.series) {
      expect(series.buckets).toHaveLength(DAYS);
      for (const b of series.buckets) {
        const expected = byTypeDay.get(`${series.key}|${Date.parse(b.start)}`)!;
        expect({ total: b.total, auto: b.autoApproved }).toEqual(expected);
        expect(b.rate).toBeCloseTo(expected.auto / expected.total, 10);
      }
    }
    // ci's last week is 97% (staging) and 80%→ … the construction shows through.
    const ci = r.body.series.find((s: any) => s.key === 'ci');
    expect(ci.buckets.at(-1).rate).toBeCloseTo((0.97 + 0.6) / 2, 1);
    expect(ci.buckets[0].rate).toBeCloseTo((0.8 + 0.6) / 2, 1);
  });

  it('answers weekly buckets (Monday, UTC) per environment, and hourly ones overall', async () => {
    const r = await get(
      `/v1/insights/auto-approval?from=${iso(START)}&to=${iso(END)}&bucket=week&by=environment`,
    );
    expect(r.status).toBe(200);
    for (const series of r.body.series)
      for (const b of series.buckets) {
        expect(new Date(b.start).getUTCDay()).toBe(1);
        const expected = byEnvWeek.get(`${series.key}|${Date.parse(b.start)}`) ?? { total: 0, auto: 0 };
        expect({ total: b.total, auto: b.autoApproved }).toEqual(expected);
      }
    const hourly = await get(
      `/v1/insights/auto-approval?from=${iso(END - 2 * DAY)}&to=${iso(END)}&bucket=hour`,
    );
    expect(hourly.body.series).toHaveLength(1);
    expect(hourly.body.series[0].key).toBe('all');
    expect(hourly.body.series[0].buckets).toHaveLength(48);
    for (const b of hourly.body.series[0].buckets) expect(b.total).toBe(AGENTS.length * 2 * PER_HOUR);
  });

  it('splits by agent, labelled with the agent’s name', async () => {
    const r = await get(`/v1/insights/auto-approval?from=${iso(START)}&to=${iso(END)}&by=agent&bucket=week`);
    expect(r.body.series).toHaveLength(AGENTS.length);
    expect(r.body.series.map((s: any) => s.label).sort()).toEqual(AGENTS.map((a) => a.name).sort());
    for (const s of r.body.series) expect(s.total).toBe(DAYS * 24 * PER_HOUR * 2);
  });

  it('summarises tiers, outcomes, time to decision and the top lists', async () => {
    const r = await get(`/v1/insights/summary?from=${iso(START)}&to=${iso(END)}`);
    expect(r.status).toBe(200);
    expect(r.body.total).toBe(total);
    expect(r.body.tiers).toEqual(tiers);
    expect(r.body.outcomes).toEqual(outcomes);
    expect(r.body.autoApproved).toBe(tiers.auto);
    // Latencies are 30 s … 300 s, evenly: the median is within (120, 300].
    expect(r.body.decisionLatency.count).toBe(outcomes.approved + outcomes.rejected + outcomes.expired);
    expect(r.body.decisionLatency.p50Seconds).toBeGreaterThan(60);
    expect(r.body.decisionLatency.p50Seconds).toBeLessThanOrEqual(300);
    expect(r.body.decisionLatency.p90Seconds).toBeGreaterThanOrEqual(r.body.decisionLatency.p50Seconds);
    expect(r.body.topFamilies[0]).toEqual({ key: 'git status', count: tiers.auto });
    expect(r.body.topWhitelist[0]).toEqual({ key: 'default.git-read', count: whitelisted });
    expect(r.body.topReasons.map((x: any) => x.key).sort()).toEqual(['shell.iac.apply', 'shell.read']);
  });

  it('answers the same from the day rollups as from the hour rollups alone, over ragged ranges', async () => {
    const db = gh.running.runtime.database.db;
    const daily = await query<{ n: number }>(
      gh.database.url,
      'select count(*)::int as n from insight_rollups_daily',
    );
    expect(daily[0]!.n).toBeGreaterThan(0);
    const ranges: [number, number][] = [
      [START, END],
      [START + 5 * HOUR + 17_000, END - 3 * HOUR - 1],
      [END - 30 * DAY - 30 * 60_000, END + 7 * HOUR],
      [END - 26 * HOUR, END - 2 * HOUR],
      [END - 40 * 60_000, END],
    ];
    for (const [a, b] of ranges) {
      const range = { from: new Date(a), to: new Date(b) };
      expect(await summary(db, range)).toEqual(await summary(db, range, { days: false }));
      for (const bucket of ['day', 'week'] as const)
        for (const by of [null, 'agentType', 'agent'] as const) {
          const q = { ...range, from: new Date(a - (a % DAY)), bucket, by };
          expect(await autoApprovalSeries(db, q)).toEqual(await autoApprovalSeries(db, q, { days: false }));
        }
    }
    const thresholds = { windowDays: 7, baselineDays: 28, ceiling: 0.95, risePoints: 10, minRequests: 50 };
    for (const now of [END, END - 5 * HOUR - 123, END + 13 * HOUR]) {
      const sort = (x: { agentType: string; environment: string }[]) =>
        [...x].sort((p, q) =>
          `${p.agentType}/${p.environment}`.localeCompare(`${q.agentType}/${q.environment}`),
        );
      expect(sort(await driftCounts(db, now, thresholds))).toEqual(
        sort(await driftCounts(db, now, thresholds, { days: false })),
      );
    }
  });

  it('fills the day rollups of an existing history when migration 0009 is applied', async () => {
    const url = gh.database.url;
    const dump = async () => [
      await query(url, 'select * from insight_rollups_daily order by 1, 2, 3, 4, 5, 6, 7'),
      await query(url, 'select * from insight_facets_daily order by 1, 2, 3, 4, 5'),
    ];
    const kept = await dump();
    const migration = readFileSync(
      new URL('../../db/migrations/0009_insights_daily.sql', import.meta.url),
      'utf8',
    );
    const fills = migration
      .split('--> statement-breakpoint')
      .map((s) => s.trim())
      .filter((s) => s.startsWith('INSERT'));
    expect(fills).toHaveLength(2);
    await query(url, 'delete from insight_rollups_daily');
    await query(url, 'delete from insight_facets_daily');
    for (const statement of fills) await query(url, statement);
    expect(await dump()).toEqual(kept);
  });

  it('refuses agents (403), strangers (401) and impossible ranges (400)', async () => {
    expect((await get('/v1/insights/auto-approval', agentSession)).status).toBe(403);
    expect((await gh.api('/v1/insights/drift')).status).toBe(401);
    expect((await get('/v1/insights/summary', approver.token)).status).toBe(200);
    const reversed = await get(`/v1/insights/auto-approval?from=${iso(END)}&to=${iso(START)}`);
    expect(reversed.status).toBe(400);
    expect(reversed.body.error.code).toBe('INSIGHTS_RANGE_INVALID');
    const tooMany = await get(
      `/v1/insights/auto-approval?from=${iso(START - 100 * DAY)}&to=${iso(END)}&bucket=hour`,
    );
    expect(tooMany.body.error.code).toBe('INSIGHTS_RANGE_INVALID');
  });

  it('takes in new and closed requests incrementally, without rescanning history', async () => {
    const db = gh.running.runtime.database.db;
    const now = Date.now();
    const hour = Math.floor(now / HOUR) * HOUR;
    const before = await get(`/v1/insights/summary?from=${iso(hour)}&to=${iso(hour + HOUR)}`);
    const auto = await gh.api('/v1/requests', {
      token: agentSession,
      // A family ci's history holds: a new one would be an anomaly (review), not auto.
      body: { kind: 'shell', command: 'git status' },
    });
    const pending = await gh.api('/v1/requests', {
      token: agentSession,
      body: { kind: 'shell', command: 'systemctl restart nginx' },
    });
    expect(auto.body.status).toBe('auto_approved');
    expect(pending.body.status).toBe('pending');
    await refreshRollups(db);
    const after = await get(`/v1/insights/summary?from=${iso(hour)}&to=${iso(hour + HOUR)}`);
    expect(after.body.total).toBe(before.body.total + 2);
    expect(after.body.outcomes.pending).toBe(before.body.outcomes.pending + 1);
    const decided = await gh.api(`/v1/requests/${pending.body.id}/decisions`, {
      token: approver.token,
      body: { decision: 'reject', comment: 'not now' },
    });
    expect(decided.status).toBe(200);
    await refreshRollups(db);
    const closed = await get(`/v1/insights/summary?from=${iso(hour)}&to=${iso(hour + HOUR)}`);
    expect(closed.body.outcomes.pending).toBe(before.body.outcomes.pending);
    expect(closed.body.outcomes.rejected).toBe(before.body.outcomes.rejected + 1);
    expect(closed.body.decisionLatency.count).toBe(before.body.decisionLatency.count + 1);
    // The history is as it was.
    const history = await get(`/v1/insights/summary?from=${iso(START)}&to=${iso(END)}`);
    expect(history.body.total).toBe(total);
    // The day rollup of today took the new and the closed request in too.
    const today = {
      from: new Date(Math.floor(now / DAY) * DAY),
      to: new Date(Math.floor(now / DAY) * DAY + DAY),
    };
    expect(await summary(db, today)).toEqual(await summary(db, today, { days: false }));
    const [day] = await query<{ n: number }>(
      gh.database.url,
      `select coalesce(sum(count), 0)::int as n from insight_rollups_daily where day = '${today.from.toISOString()}'`,
    );
    expect(day!.n).toBe((await summary(db, today, { days: false })).total);
    expect(day!.n).toBeGreaterThanOrEqual(2);
  });

  it('raises the two drift alarms the history was built to raise, audited, until acknowledged', async () => {
    const rt = gh.running.runtime;
    const first = await checkDrift(rt, END);
    expect(first.ran).toBe(true);
    expect(first.raised).toHaveLength(2);
    const drift = await get('/v1/insights/drift');
    expect(drift.status).toBe(200);
    const alarms = Object.fromEntries(drift.body.alarms.map((a: any) => [a.key, a]));
    expect(Object.keys(alarms).sort()).toEqual(['ci/staging', 'coding-agent/prod']);
    expect(alarms['ci/staging']).toMatchObject({ trigger: 'ceiling', acknowledgedAt: null });
    expect(alarms['ci/staging'].rate).toBeCloseTo(0.97, 2);
    expect(alarms['ci/staging'].baseline).toBeCloseTo(0.8, 2);
    expect(alarms['coding-agent/prod']).toMatchObject({ trigger: 'rise' });
    expect(alarms['coding-agent/prod'].rate).toBeCloseTo(0.75, 2);
    expect(alarms['coding-agent/prod'].baseline).toBeCloseTo(0.5, 2);
    expect(drift.body.thresholds).toMatchObject({
      windowDays: 7,
      baselineDays: 28,
      ceiling: 0.95,
      risePoints: 10,
    });

    const raised = await query<{ subject_id: string; data: any }>(
      gh.database.url,
      `select subject_id, data from audit_events where type = 'insights.drift.raised' order by id`,
    );
    expect(raised.map((e) => e.subject_id).sort()).toEqual([...first.raised].sort());
    expect(JSON.stringify(raised)).not.toContain('git status');

    // A second check raises nothing new: the alarms stand.
    expect((await checkDrift(rt, END + HOUR)).raised).toEqual([]);

    const id = alarms['ci/staging'].id;
    const ack = (token: string, body: unknown) =>
      gh.api(`/v1/insights/drift/${id}/acknowledge`, { token, body });
    expect((await ack(approver.token, { comment: 'looked' })).status).toBe(403);
    expect((await ack(auditor.token, { comment: '  ' })).body.error.code).toBe('COMMENT_REQUIRED');
    const done = await ack(auditor.token, { comment: 'new build cache whitelist; expected' });
    expect(done.status).toBe(200);
    expect(done.body).toMatchObject({
      acknowledgedBy: auditor.id,
      comment: 'new build cache whitelist; expected',
    });
    expect((await ack(auditor.token, { comment: 'again' })).body.error.code).toBe('ALARM_ACKNOWLEDGED');
    const [event] = await query<{ actor_id: string; data: any }>(
      gh.database.url,
      `select actor_id, data from audit_events where type = 'insights.drift.acknowledged'`,
    );
    expect(event).toMatchObject({
      actor_id: auditor.id,
      data: { key: 'ci/staging', comment: expect.any(String) },
    });

    // Acknowledged, still drifting: not raised again; the other alarm is still open.
    expect((await checkDrift(rt, END + 2 * HOUR)).raised).toEqual([]);
    const open = await get('/v1/insights/drift');
    expect(open.body.alarms.map((a: any) => a.key)).toEqual(['coding-agent/prod']);
    const all = await get('/v1/insights/drift?state=all');
    expect(all.body.alarms).toHaveLength(2);
  });
});
