import { insertRows, schema } from '@gatehouse/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { createTestDatabase, query, type TestDatabase } from '../../../test/support/postgres.ts';
import { baselinesChanged } from '../src/anomaly/detector.ts';
import { foldNewRequests, rebuildBaselines, SKEW_MARGIN_MS } from '../src/anomaly/store.ts';

// A generated history of ~65,000 requests over 60 days in which what is usual, and so what is
// an anomaly, is known by construction:
//
//   ci (ci-1, ci-2, ci-3): every 10 minutes around the clock, each at the same minute;
//     families git / npm / make in turn, on hosts build-1 / build-2; every 50th request is a
//     `curl` that was denied (denied requests teach no family); never terraform.
//   coding-agent (coder-1, coder-2): every 4 minutes, except in the hour of the test run and
//     the next (its off-hours); git / npm / terraform plan / SQL on public.orders (database
//     app_dev, host dev-db).
//   fresh (fresh-1): 50 requests, fewer than the 200 a type is learning for.
//
// The history ends 10 minutes before the test starts, past the job's 5-minute skew margin.

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const STARTED = Date.now();
const END = Math.floor(STARTED / MINUTE) * MINUTE - 10 * MINUTE;
const START = END - 60 * DAY;
const OFF_HOURS = [new Date(STARTED).getUTCHours(), (new Date(STARTED).getUTCHours() + 1) % 24];

type Features = Map<string, number>;

describe('anomaly detection over a generated history', () => {
  let database: TestDatabase;
  let gh: TestGatehouse;
  let replica: TestGatehouse | undefined;
  let auditor: { id: string; token: string };
  let approver: { id: string; token: string };
  const agents = new Map<string, { id: string; key: string; type: string }>();
  const sessions = new Map<string, string>();
  const totals = new Map<string, number>();
  const allowedFamilies = new Map<string, Features>();
  const hosts = new Map<string, Features>();
  let total = 0;
  let foldSeconds = 0;

  const tally = (map: Map<string, Features>, type: string, value: string) => {
    const m = map.get(type) ?? new Map<string, number>();
    m.set(value, (m.get(value) ?? 0) + 1);
    map.set(type, m);
  };
  const session = async (name: string) => {
    let token = sessions.get(name);
    if (!token) {
      token = await gh.session(agents.get(name)!.key);
      sessions.set(name, token);
    }
    return token;
  };
  const submit = async (name: string, command: string, context: Record<string, string> = {}) => {
    const r = await gh.api('/v1/requests', {
      token: await session(name),
      body: { kind: 'shell', command, context },
    });
    expect(r.status).toBe(201);
    return r.body as {
      id: string;
      tier: string;
      status: string;
      reasons: { rule: string; detail: string }[];
    };
  };
  const anomalies = (r: { reasons: { rule: string; detail: string }[] }) =>
    r.reasons.filter((x) => x.rule.startsWith('anomaly.'));

  beforeAll(async () => {
    database = await createTestDatabase();
    gh = await startGatehouse({
      database,
      env: { GATEHOUSE_INSIGHTS_INTERVAL_SECONDS: '3600' },
    });
    auditor = await gh.createUser('security@example.com', ['auditor']);
    approver = await gh.createUser('oncall@example.com', ['approver']);
    const names = [
      ['ci-1', 'ci'],
      ['ci-2', 'ci'],
      ['ci-3', 'ci'],
      ['coder-1', 'coding-agent'],
      ['coder-2', 'coding-agent'],
      ['fresh-1', 'fresh'],
      ['ci-new', 'ci'],
      ['brand-new', 'brand-new'],
    ] as const;
    for (const [name, type] of names) agents.set(name, { ...(await gh.createAgent({ name, type })), type });

    const db = gh.running.runtime.database.db;
    let rows: Record<string, unknown>[] = [];
    let n = 0;
    const flush = async () => {
      if (rows.length > 0) await db.execute(insertRows([{ table: schema.requests, rows }]));
      rows = [];
    };
    const add = async (
      name: string,
      at: number,
      command: { name: string; args: string[]; kind?: 'sql'; tables?: string[] },
      context: Record<string, string>,
      status: 'auto_approved' | 'denied',
    ) => {
      const agent = agents.get(name)!;
      total++;
      totals.set(agent.type, (totals.get(agent.type) ?? 0) + 1);
      const family = command.kind === 'sql' ? `sql ${command.name.toUpperCase()}` : command.name;
      if (status === 'auto_approved') {
        tally(allowedFamilies, agent.type, family);
        if (context.host) tally(hosts, agent.type, context.host);
      }
      rows.push({
        id: `req_gen${String(n++).padStart(7, '0')}`,
        agentId: agent.id,
        sessionId: 'ses_gen',
        kind: command.kind ?? 'shell',
        command: [command.name, ...command.args].join(' '),
        context,
        cmdHash: `h${n}`,
        score: status === 'denied' ? 90 : 5,
        tier: status === 'denied' ? 'deny' : 'auto',
        reasons: [],
        commands: [{ kind: command.kind ?? 'shell', via: [], text: '', ...command }],
        policyVersion: 'gen',
        status,
        requiredApprovals: 0,
        createdAt: new Date(at).toISOString(),
        decidedAt: new Date(at).toISOString(),
      });
      if (rows.length >= 5000) await flush();
    };
    const ciCommands = [
      { name: 'git', args: ['status'] },
      { name: 'npm', args: ['test'] },
      { name: 'make', args: ['build'] },
    ];
    let tick = 0;
    for (let t = START; t < END; t += 10 * MINUTE, tick++)
      for (const [i, name] of ['ci-1', 'ci-2', 'ci-3'].entries()) {
        if ((tick + i) % 50 === 0)
          await add(name, t + i * 1000, { name: 'curl', args: ['https://x.example'] }, {}, 'denied');
        else
          await add(
            name,
            t + i * 1000,
            ciCommands[(tick + i) % 3]!,
            { host: `build-${((tick + i) % 2) + 1}` },
            'auto_approved',
          );
      }
    const coderCommands = [
      { name: 'git', args: ['diff'] },
      { name: 'npm', args: ['run', 'lint'] },
      { name: 'terraform', args: ['plan'] },
      { name: 'SELECT', args: [], kind: 'sql' as const, tables: ['public.orders'] },
    ];
    tick = 0;
    for (let t = START; t < END; t += 4 * MINUTE, tick++) {
      if (OFF_HOURS.includes(new Date(t).getUTCHours())) continue;
      for (const [i, name] of ['coder-1', 'coder-2'].entries()) {
        await add(
          name,
          t + i * 1000,
          coderCommands[(tick + i) % 4]!,
          { host: 'dev-db', database: 'app_dev' },
          'auto_approved',
        );
      }
    }
    for (let i = 0; i < 50; i++)
      await add('fresh-1', END - (50 - i) * 7 * HOUR, { name: 'git', args: ['log'] }, {}, 'auto_approved');
    await flush();
    // The history was imported behind the job's back: rebuild, as an operator would, here as
    // two replicas at once (the rebuild at epoch 0 only clears; the rounds then race).
    await rebuildBaselines(db, new Date(0));
    const t0 = performance.now();
    const rounds = await Promise.all([foldNewRequests(db), foldNewRequests(db)]);
    foldSeconds = (performance.now() - t0) / 1000;
    expect(rounds[0]!.folded + rounds[1]!.folded).toBe(total);
    await baselinesChanged(gh.running.runtime);
  }, 240_000);

  afterAll(async () => {
    await replica?.stop();
    await gh?.stop();
    await database?.drop();
  });

  it('holds at least 50,000 requests over 60 days, all folded into the baselines', async () => {
    expect(total).toBeGreaterThanOrEqual(50_000);
    const [types] = await query<{ n: number }>(
      database.url,
      `select coalesce(sum(requests), 0)::int as n from anomaly_scopes where scope = 'type'`,
    );
    expect(types!.n).toBe(total);
    const [agentsTotal] = await query<{ n: number }>(
      database.url,
      `select coalesce(sum(requests), 0)::int as n from anomaly_scopes where scope = 'agent'`,
    );
    expect(agentsTotal!.n).toBe(total);
    console.log(`folded ${total} requests in ${foldSeconds.toFixed(1)} s (two rounds at once)`);
  });

  it('lists the baselines per agent type exactly as generated', async () => {
    const r = await gh.api('/v1/anomaly/baselines?limit=10', { token: auditor.token });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ enabled: true, windowDays: 60, learningRequests: 200 });
    const byType = new Map<string, any>(r.body.types.map((t: any) => [t.agentType, t]));
    expect([...byType.keys()].sort()).toEqual(['ci', 'coding-agent', 'fresh']);
    for (const [type, expected] of totals) {
      const t = byType.get(type);
      expect(t.requests).toBe(expected);
      expect(t.windowRequests).toBe(expected);
      const families = Object.fromEntries(t.families.map((f: any) => [f.value, f.count]));
      expect(families).toEqual(Object.fromEntries(allowedFamilies.get(type)!));
      const hostsSeen = Object.fromEntries(
        t.targets.filter((f: any) => f.feature === 'host').map((f: any) => [f.value, f.count]),
      );
      expect(hostsSeen).toEqual(Object.fromEntries(hosts.get(type) ?? []));
    }
    const ci = byType.get('ci');
    expect(ci).toMatchObject({ learning: false, remaining: 0, agents: 3, agentsLearning: 0 });
    // Three agents at the same minute, every ten minutes: every active minute holds 3.
    expect(ci.usualPerMinute).toBeCloseTo(3, 10);
    expect(ci.burstThreshold).toBe(30);
    expect(ci.families.map((f: any) => f.value)).not.toContain('curl');
    for (const share of ci.hourShare) expect(share).toBeCloseTo(1 / 24, 2);
    const coder = byType.get('coding-agent');
    for (const h of OFF_HOURS) expect(coder.hourShare[h]).toBe(0);
    expect(coder.targets.map((f: any) => `${f.feature}:${f.value}`).sort()).toEqual([
      'database:app_dev',
      'host:dev-db',
      'table:public.orders',
    ]);
    expect(byType.get('fresh')).toMatchObject({ learning: true, requests: 50, remaining: 150 });
    const one = await gh.api('/v1/anomaly/baselines?agentType=fresh', { token: approver.token });
    expect(one.status).toBe(200);
    expect(one.body.types.map((t: any) => t.agentType)).toEqual(['fresh']);
  });

  it('lets people read the baselines and refuses agents and bad queries', async () => {
    const agent = await gh.api('/v1/anomaly/baselines', { token: await session('ci-1') });
    expect(agent.status).toBe(403);
    expect((await gh.api('/v1/anomaly/baselines')).status).toBe(401);
    const bad = await gh.api('/v1/anomaly/baselines?limit=0', { token: auditor.token });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('VALIDATION_FAILED');
  });

  it('raises a family never seen for the type, and explains it', async () => {
    const r = await submit('ci-new', 'terraform plan');
    expect(anomalies(r)).toEqual([
      expect.objectContaining({
        rule: 'anomaly.family',
        detail: 'first `terraform` command from any agent of type ci in 60 days',
      }),
    ]);
    expect(r.tier).toBe('review');
    expect(r.status).toBe('pending');
    // The same command is usual for coding agents (at a working hour it stays auto; here,
    // the test runs in their off-hours, so it is the hour that is flagged, not the family).
    const coder = await submit('coder-1', 'terraform plan');
    expect(anomalies(coder).map((a) => a.rule)).toEqual(['anomaly.hour']);
    expect(coder.tier).toBe('review');
    // A family whose requests were all denied was never allowed, so never learned.
    const curl = await submit('ci-1', 'curl https://x.example');
    expect(anomalies(curl).map((a) => a.detail)).toContain(
      'first `curl` command from any agent of type ci in 60 days',
    );
  });

  it('leaves the usual alone and never raises above multi_party', async () => {
    const usual = await submit('ci-1', 'git status', { host: 'build-1' });
    expect(anomalies(usual)).toEqual([]);
    expect(usual.tier).toBe('auto');
    expect(usual.status).toBe('auto_approved');
    const apply = await submit('ci-new', 'terraform apply');
    expect(anomalies(apply).map((a) => a.rule)).toEqual(['anomaly.family']);
    expect(apply.tier).toBe('multi_party');
  });

  it('raises a new target host', async () => {
    const r = await submit('ci-3', 'git status', { host: 'db-prod-7' });
    expect(anomalies(r)).toEqual([
      expect.objectContaining({
        rule: 'anomaly.target',
        detail: 'first request for host `db-prod-7` from any agent of type ci in 60 days',
      }),
    ]);
    expect(r.tier).toBe('review');
  });

  it('flags nothing for a type that is still learning, or a type never seen', async () => {
    for (const name of ['fresh-1', 'brand-new']) {
      const r = await submit(name, 'terraform plan', { host: 'somewhere-new' });
      expect(anomalies(r)).toEqual([]);
      expect(r.tier).toBe('auto');
    }
  });

  it('counts the anomalies in the metrics, by rule and agent type', async () => {
    const r = await fetch(new URL('/metrics', gh.url), {
      headers: { authorization: `Bearer ${gh.adminToken}` },
    });
    expect(r.status).toBe(200);
    const text = await r.text();
    const count = (rule: string, type: string) =>
      Number(
        text.match(
          new RegExp(`^gatehouse_anomalies_total\\{rule="${rule}",agent_type="${type}"\\} (\\d+)$`, 'm'),
        )?.[1],
      );
    // So far: terraform plan, curl, terraform apply (family); db-prod-7 (target); coder-1 (hour).
    expect(count('anomaly.family', 'ci')).toBe(3);
    expect(count('anomaly.target', 'ci')).toBe(1);
    expect(count('anomaly.hour', 'coding-agent')).toBe(1);
  });

  it('raises a burst well above the usual rate', async () => {
    // ci-2 is alone in its own minute: its 31st request is over the threshold of 30.
    const agentId = agents.get('ci-2')!.id;
    const results: Awaited<ReturnType<typeof submit>>[] = [];
    for (let i = 0; i < 31; i++) results.push(await submit('ci-2', 'git status', { host: 'build-2' }));
    const ownBurst = (r: (typeof results)[number]) =>
      anomalies(r).filter((a) => a.rule === 'anomaly.burst' && a.detail.includes(`agent ${agentId}`));
    for (const r of results.slice(0, 30)) expect(ownBurst(r)).toEqual([]);
    expect(ownBurst(results[30]!)[0]!.detail).toMatch(
      new RegExp(
        `^31 requests in the last minute from agent ${agentId}, above 30 \\(3× the usual peak of 1 per minute`,
      ),
    );
    expect(results[30]!.tier).toBe('review');
  });

  it('keeps the baseline across a restart, and does not rescan the history', async () => {
    await gh.stop();
    gh = await startGatehouse({
      database,
      adminToken: gh.adminToken,
      env: { GATEHOUSE_INSIGHTS_INTERVAL_SECONDS: '3600' },
    });
    sessions.clear();
    const r = await submit('ci-new', 'terraform plan');
    expect(anomalies(r).map((a) => a.rule)).toEqual(['anomaly.family']);
    // Everything before the skew margin is in; a round reads only what is newer.
    const round = await foldNewRequests(gh.running.runtime.database.db);
    expect(round.folded).toBe(0);
  });

  it('learns incrementally from allowed requests, including ones approved later', async () => {
    const db = gh.running.runtime.database.db;
    // A second replica on the same database and Redis, started before the baseline changes;
    // its own job's first round is let finish (it finds nothing to fold or resolve yet).
    const stamp = async () =>
      (await query<{ at: string }>(database.url, 'select updated_at::text as at from anomaly_state'))[0]?.at;
    const stamped = await stamp();
    replica = await startGatehouse({
      database,
      adminToken: gh.adminToken,
      env: { GATEHOUSE_INSIGHTS_INTERVAL_SECONDS: '3600' },
    });
    for (let i = 0; i < 50 && (await stamp()) === stamped; i++)
      await new Promise((resolve) => setTimeout(resolve, 200));
    const onReplica = async () => {
      const r = await replica!.api('/v1/requests', {
        token: await session('ci-new'),
        body: { kind: 'shell', command: 'terraform plan' },
      });
      expect(r.status).toBe(201);
      return anomalies(r.body).map((a) => a.rule);
    };
    const pending = await submit('ci-new', 'terraform plan');
    expect(pending.status).toBe('pending');
    const [{ n: before } = { n: 0 }] = await query<{ n: number }>(
      database.url,
      `select requests as n from anomaly_scopes where scope = 'type' and key = 'ci'`,
    );
    const live = await query<{ n: number }>(
      database.url,
      `select count(*)::int as n from requests r join agents a on a.id = r.agent_id
        where a.type = 'ci' and r.session_id <> 'ses_gen'`,
    );
    // Past the skew margin as if it had elapsed: every live request is folded in now.
    const later = new Date(Date.now() + SKEW_MARGIN_MS + 1000);
    const first = await foldNewRequests(db, later);
    expect(first.folded).toBeGreaterThanOrEqual(live[0]!.n);
    const [{ n: after } = { n: 0 }] = await query<{ n: number }>(
      database.url,
      `select requests as n from anomaly_scopes where scope = 'type' and key = 'ci'`,
    );
    expect(after - before).toBe(live[0]!.n);
    // Pending when folded: terraform is not yet usual for ci.
    await baselinesChanged(gh.running.runtime);
    expect(anomalies(await submit('ci-1', 'terraform plan')).map((a) => a.rule)).toContain('anomaly.family');
    const decided = await gh.api(`/v1/requests/${pending.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve' },
    });
    expect(decided.status).toBe(200);
    expect(await onReplica()).toContain('anomaly.family');
    // A round with the real clock (a replica behind) reads nothing again, and learns the
    // approved request it had kept aside.
    const second = await foldNewRequests(db);
    expect(second).toEqual({ folded: 0, resolved: 1 });
    await baselinesChanged(gh.running.runtime);
    // Usual for the type now; ci-new is still learning, so its own baseline says nothing.
    const now = await submit('ci-new', 'terraform plan');
    expect(anomalies(now).map((a) => a.rule)).not.toContain('anomaly.family');
    expect(now.tier).toBe('auto');
    // The other replica heard of it through Redis, long before its one-minute reload.
    const heardAt = Date.now();
    let rules = await onReplica();
    while (rules.includes('anomaly.family') && Date.now() - heardAt < 5_000) {
      await new Promise((resolve) => setTimeout(resolve, 200));
      rules = await onReplica();
    }
    expect(rules).not.toContain('anomaly.family');
  });
});
