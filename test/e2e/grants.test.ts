import { GatehouseClient } from '@gatehouse/sdk';
import { grantRegistry, onGrantEnded, rebuildRollups } from '@gatehouse/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { query } from '../support/postgres.ts';

/**
 * Just-in-time grants on two replicas (API + jobs each) over one PostgreSQL and one Redis.
 * The agent asks on A, approvers decide on B; requests go to both; the grant's end (expiry or
 * revocation) must hold on both within a second.
 */
describe('just-in-time grants across two replicas', () => {
  let a: TestGatehouse;
  let b: TestGatehouse;
  /** A third replica on the same database but another Redis namespace: it hears no event of A's or B's. */
  let c: TestGatehouse;
  let agentToken: string;
  let agentId: string;
  let approver: { id: string; token: string };
  let approver2: { id: string; token: string };
  let auditor: { id: string; token: string };
  const ended = { a: new Map<string, number>(), b: new Map<string, number>(), c: new Map<string, number>() };

  beforeAll(async () => {
    a = await startGatehouse();
    b = await startGatehouse({ database: a.database, adminToken: a.adminToken });
    c = await startGatehouse({
      database: a.database,
      adminToken: a.adminToken,
      redisPrefix: `gh-test-${a.database.name}-deaf`,
    });
    onGrantEnded(a.running.runtime, (id) => ended.a.set(id, Date.now()));
    onGrantEnded(b.running.runtime, (id) => ended.b.set(id, Date.now()));
    onGrantEnded(c.running.runtime, (id) => ended.c.set(id, Date.now()));
    approver = await a.createUser('ann@example.com', ['approver']);
    approver2 = await a.createUser('ben@example.com', ['approver']);
    auditor = await a.createUser('aud@example.com', ['auditor']);
    const agent = await a.createAgent({ name: 'deployer' });
    agentId = agent.id;
    agentToken = await a.session(agent.key);
  }, 60_000);

  afterAll(async () => {
    await c?.stop();
    await b?.stop();
    await a?.stop();
  });

  const submit = (on: TestGatehouse, command: string, kind: 'shell' | 'sql' = 'shell') =>
    on.api('/v1/requests', { token: agentToken, body: { kind, command } });

  /** Waits until both replicas hold the grant as live (their registries reload on the verdict). */
  async function liveOnBoth(id: string): Promise<void> {
    const until = Date.now() + 3_000;
    while (Date.now() < until) {
      if (
        grantRegistry(a.running.runtime)?.isLive(id) === true &&
        grantRegistry(b.running.runtime)?.isLive(id) === true
      )
        return;
      await new Promise((r) => setTimeout(r, 50));
    }
    throw new Error(`grant ${id} did not become live on both replicas`);
  }

  async function askAndApprove(body: Record<string, unknown>): Promise<{ id: string; requestId: string }> {
    const asked = await a.api('/v1/grants', { token: agentToken, body });
    expect(asked.status).toBe(201);
    expect(asked.body.grant.state).toBe('pending');
    // It waits in the same queue as any request, with the quorum of its ceiling.
    const queued = await b.api('/v1/requests?status=pending', { token: approver.token });
    const item = queued.body.items.find((r: { id: string }) => r.id === asked.body.request.id);
    expect(item).toMatchObject({
      kind: 'grant',
      tier: body.ceiling,
      requiredApprovals: body.ceiling === 'review' ? 1 : 2,
    });
    const decided = await b.api(`/v1/requests/${asked.body.request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve', comment: 'on-call window' },
    });
    expect(decided.status).toBe(200);
    if (body.ceiling === 'multi_party') {
      expect(decided.body.status).toBe('pending');
      const second = await b.api(`/v1/requests/${asked.body.request.id}/decisions`, {
        token: approver2.token,
        body: { decision: 'approve', comment: 'agreed' },
      });
      expect(second.body.status).toBe('approved');
    } else expect(decided.body.status).toBe('approved');
    await liveOnBoth(asked.body.grant.id);
    return { id: asked.body.grant.id, requestId: asked.body.request.id };
  }

  it('refuses a grant longer than the maximum, a ceiling of deny and a pattern that names no program', async () => {
    const base = {
      scope: { type: 'command', kind: 'shell', match: { program: ['kubectl'] } },
      ceiling: 'review',
      reason: 'x',
    };
    const tooLong = await a.api('/v1/grants', { token: agentToken, body: { ...base, durationMinutes: 481 } });
    expect(tooLong.status).toBe(400);
    expect(tooLong.body.error.code).toBe('GRANT_TOO_LONG');
    const [refusal] = await query<{ actor_id: string; data: { code: string } }>(
      a.database.url,
      `select actor_id, data from audit_events where type = 'grant.refused' order by id limit 1`,
    );
    expect(refusal).toMatchObject({ actor_id: agentId, data: { code: 'GRANT_TOO_LONG' } });
    const deny = await a.api('/v1/grants', {
      token: agentToken,
      body: { ...base, ceiling: 'deny', durationMinutes: 5 },
    });
    expect(deny.status).toBe(400);
    expect(deny.body.error.code).toBe('VALIDATION_FAILED');
    const anything = await a.api('/v1/grants', {
      token: agentToken,
      body: { ...base, scope: { type: 'command', kind: 'shell', match: {} }, durationMinutes: 5 },
    });
    expect(anything.status).toBe(400);
    expect(anything.body.error.code).toBe('GRANT_INVALID');
    const badRegex = await a.api('/v1/grants', {
      token: agentToken,
      body: {
        ...base,
        scope: { type: 'command', kind: 'shell', match: { program: ['kubectl'], args: { regex: '(' } } },
        durationMinutes: 5,
      },
    });
    expect(badRegex.body.error.code).toBe('GRANT_INVALID');
    const nowhere = await a.api('/v1/grants', {
      token: agentToken,
      body: { ...base, scope: { type: 'connection', connection: 'no-such-db' }, durationMinutes: 5 },
    });
    expect(nowhere.status).toBe(404);
    expect(nowhere.body.error.code).toBe('CONNECTION_NOT_FOUND');
    const blank = await a.api('/v1/grants', {
      token: agentToken,
      body: { ...base, reason: '   ', durationMinutes: 5 },
    });
    expect(blank.body.error.code).toBe('GRANT_INVALID');
    // Agents ask for themselves only; listing and revoking are for people.
    expect((await a.api('/v1/grants', { token: agentToken })).status).toBe(403);
    expect((await a.api('/v1/grants/grt_x/revoke', { token: approver.token, body: {} })).status).toBe(403);
    expect(
      (await a.api('/v1/grants/grt_nope/revoke', { token: a.adminToken, body: {} })).body.error.code,
    ).toBe('GRANT_NOT_FOUND');
  });

  it('covers in-scope requests up to its ceiling on both replicas, nothing else, and ends exactly at expiry on both', async () => {
    const grant = await askAndApprove({
      scope: { type: 'command', kind: 'shell', match: { program: ['kubectl'] } },
      ceiling: 'review',
      durationMinutes: 1,
      reason: 'restart the stuck web pods',
    });

    for (const on of [a, b]) {
      const inScope = await submit(on, 'kubectl delete pod web-1');
      expect(inScope.body).toMatchObject({ status: 'auto_approved', tier: 'auto' });
      expect(inScope.body.reasons[0].rule).toBe(`grant:${grant.id}`);
      // Above the ceiling: multi_party stays with people.
      expect((await submit(on, 'kubectl delete deployment web')).body).toMatchObject({
        status: 'pending',
        tier: 'multi_party',
      });
      // Out of scope: another program, or kubectl piped into one.
      expect((await submit(on, 'terraform apply')).body.status).toBe('pending');
      expect((await submit(on, 'kubectl delete pod web-1 && git push origin main')).body.status).toBe(
        'pending',
      );
      // Deny stays deny; parser uncertainty is never auto.
      expect((await submit(on, 'kubectl exec web -- cat /etc/shadow')).body.status).toBe('denied');
      expect((await submit(on, 'kubectl $(echo delete) pod x')).body.status).toBe('pending');
    }
    // Another agent is not covered by this agent's grant.
    const other = await a.createAgent({ name: 'other' });
    const otherToken = await a.session(other.key);
    const foreign = await b.api('/v1/requests', {
      token: otherToken,
      body: { kind: 'shell', command: 'kubectl delete pod web-1' },
    });
    expect(foreign.body.status).toBe('pending');

    // The approval under the grant is audited like any: the reason names it in request.submitted.
    const [event] = await query<{ data: { status: string; reasons: { rule: string }[] } }>(
      a.database.url,
      `select data from audit_events where type = 'request.submitted' and data->'reasons'->0->>'rule' = $1 limit 1`,
      [`grant:${grant.id}`],
    );
    expect(event?.data.status).toBe('auto_approved');

    // Bring the end close: the grant's request was decided 56 s ago, so it ends in about 4 s.
    await query(
      a.database.url,
      `update requests set decided_at = now() - interval '56 seconds' where id = $1`,
      [grant.requestId],
    );
    const [row] = await query<{ ends: Date }>(
      a.database.url,
      `select decided_at + interval '1 minute' as ends from requests where id = $1`,
      [grant.requestId],
    );
    const endsAt = new Date(row!.ends).getTime();
    await new Promise((r) => setTimeout(r, 700)); // both replicas re-read (every 500 ms) and re-arm their timers
    expect((await submit(b, 'kubectl delete pod web-2')).body.status).toBe('auto_approved');

    await new Promise((r) => setTimeout(r, Math.max(0, endsAt - Date.now() + 20)));
    // Scored against the clock: on both replicas the very next request goes to people.
    const afterA = await submit(a, 'kubectl delete pod web-3');
    const afterB = await submit(b, 'kubectl delete pod web-4');
    expect(afterA.body).toMatchObject({ status: 'pending', tier: 'review' });
    expect(afterB.body).toMatchObject({ status: 'pending', tier: 'review' });
    expect((await submit(c, 'kubectl delete pod web-5')).body.status).toBe('pending');
    // Each replica's own timer told its listeners (the broker) within the second, no message
    // needed: C hears no event from A or B at all.
    for (const replica of [ended.a, ended.b, ended.c]) {
      const at = replica.get(grant.id);
      expect(at).toBeDefined();
      expect(Math.abs((at as number) - endsAt)).toBeLessThan(1_000);
    }
    // Exactly one grant.expired in the log, however many replicas saw the end.
    await waitFor(async () => {
      const rows = await query(
        a.database.url,
        `select 1 from audit_events where type = 'grant.expired' and subject_id = $1`,
        [grant.id],
      );
      return rows.length === 1;
    });
    const listed = await a.api(`/v1/grants?agent=${agentId}`, { token: auditor.token });
    expect(listed.body.items.find((g: { id: string }) => g.id === grant.id).state).toBe('expired');
  }, 30_000);

  it('an admin revokes a multi-party grant on A; B (by the event) and C (no event, by its reload) stop honouring it within a second', async () => {
    const grant = await askAndApprove({
      scope: { type: 'command', kind: 'shell', match: { program: ['kubectl'] } },
      ceiling: 'multi_party',
      durationMinutes: 30,
      reason: 'namespace clean-up',
    });
    expect((await submit(b, 'kubectl delete deployment web')).body.status).toBe('auto_approved');
    const until = Date.now() + 2_000;
    while (grantRegistry(c.running.runtime)?.isLive(grant.id) !== true) {
      if (Date.now() > until) throw new Error('C never read the approved grant');
      await new Promise((r) => setTimeout(r, 50));
    }
    expect((await submit(c, 'kubectl delete deployment web')).body.status).toBe('auto_approved');
    const revokedAt = Date.now();
    const revoked = await a.api(`/v1/grants/${grant.id}/revoke`, { token: a.adminToken, body: {} });
    expect(revoked.status).toBe(200);
    expect(revoked.body.state).toBe('revoked');
    // On A at once; on B as soon as the event (or, at worst, the next reload) arrives.
    expect((await submit(a, 'kubectl delete deployment web')).body.status).toBe('pending');
    while (Date.now() - revokedAt < 1_000 && !(ended.b.has(grant.id) && ended.c.has(grant.id)))
      await new Promise((r) => setTimeout(r, 20));
    expect((ended.b.get(grant.id) ?? Number.POSITIVE_INFINITY) - revokedAt).toBeLessThan(1_000);
    expect((ended.c.get(grant.id) ?? Number.POSITIVE_INFINITY) - revokedAt).toBeLessThan(1_000);
    for (const on of [b, c])
      expect((await submit(on, 'kubectl delete deployment web')).body).toMatchObject({
        status: 'pending',
        tier: 'multi_party',
      });
    const again = await a.api(`/v1/grants/${grant.id}/revoke`, { token: a.adminToken, body: {} });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('GRANT_NOT_ACTIVE');
    const events = await query<{ type: string }>(
      a.database.url,
      `select type from audit_events where subject_id = $1 order by id`,
      [grant.id],
    );
    expect(events.map((e) => e.type)).toEqual(
      expect.arrayContaining(['grant.requested', 'grant.approved', 'grant.revoked']),
    );
  }, 30_000);

  it('the SDK asks, waits for the approver and then runs in-scope SQL statements without a person each', async () => {
    const agent = await a.createAgent({ name: 'sdk-agent' });
    const client = new GatehouseClient({ url: a.url, agentKey: agent.key, timeoutMs: 20_000 });
    try {
      const pattern = { program: ['UPDATE'] };
      const asked = client.requestGrant({
        scope: { type: 'command', kind: 'sql', match: pattern },
        ceiling: 'review',
        durationMinutes: 15,
        reason: 'fix the order states',
      });
      let requestId: string | undefined;
      await waitFor(async () => {
        const queued = await b.api('/v1/requests?status=pending', { token: approver.token });
        requestId = queued.body.items.find(
          (r: { kind: string; agentId: string }) => r.kind === 'grant' && r.agentId === agent.id,
        )?.id;
        return requestId !== undefined;
      });
      expect(
        (
          await b.api(`/v1/requests/${requestId}/decisions`, {
            token: approver.token,
            body: { decision: 'approve' },
          })
        ).body.status,
      ).toBe('approved');
      const decision = await asked;
      expect(decision).toMatchObject({ granted: true, status: 'approved', requestId });
      if (!decision.granted) throw new Error('not granted');
      expect(decision.endsAt.getTime()).toBeGreaterThan(Date.now() + 14 * 60_000);
      await liveOnBoth(decision.grantId);
      const update = await client.authorize({
        kind: 'sql',
        command: "UPDATE orders SET state = 'paid' WHERE id = 7",
      });
      expect(update).toMatchObject({ allowed: true, status: 'auto_approved' });
      // A statement of another type is outside the pattern: it waits for people (and times out here).
      const drop = await client.authorize({ kind: 'sql', command: 'CREATE TABLE t (a int)', timeoutMs: 500 });
      expect(drop.allowed).toBe(false);
    } finally {
      client.close();
    }
  }, 30_000);

  it('a rejected grant covers nothing; the agent owner cannot approve its grant; grants are in the incident bundle', async () => {
    const owner = await a.createUser('own@example.com', ['approver']);
    const owned = await a.createAgent({ name: 'owned', owner: 'own@example.com' });
    const token = await a.session(owned.key);
    const asked = await a.api('/v1/grants', {
      token,
      body: {
        scope: { type: 'command', kind: 'shell', match: { program: ['helm'] } },
        ceiling: 'review',
        durationMinutes: 10,
        reason: 'backfill',
      },
    });
    expect(asked.status).toBe(201);
    const self = await b.api(`/v1/requests/${asked.body.request.id}/decisions`, {
      token: owner.token,
      body: { decision: 'approve' },
    });
    expect(self.body.error.code).toBe('SELF_APPROVAL');
    const rejected = await b.api(`/v1/requests/${asked.body.request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'reject', comment: 'use the read replica' },
    });
    expect(rejected.body.status).toBe('rejected');
    await waitFor(async () => {
      const view = await a.api(`/v1/grants/${asked.body.grant.id}`, { token: auditor.token });
      return view.body.state === 'refused';
    });
    await waitFor(async () => {
      const rows = await query(
        a.database.url,
        `select 1 from audit_events where type = 'grant.rejected' and subject_id = $1`,
        [asked.body.grant.id],
      );
      return rows.length === 1;
    });
    // A checkpoint after the last event, so the bundle's audit slice can be proven complete.
    expect((await a.api('/v1/audit/checkpoints', { token: a.adminToken, body: {} })).status).toBe(201);
    // Asked on the agent's behalf by a person who also approves: someone else must decide it.
    const both = await a.createUser('both@example.com', ['admin', 'approver']);
    const onBehalf = await a.api(`/v1/agents/${owned.id}/grants`, {
      token: both.token,
      body: {
        scope: { type: 'command', kind: 'shell', match: { program: ['helm'] } },
        ceiling: 'review',
        durationMinutes: 5,
        reason: 'for the on-call',
      },
    });
    expect(onBehalf.status).toBe(201);
    expect(onBehalf.body.grant.requestedBy).toBe(both.id);
    const ownAsk = await b.api(`/v1/requests/${onBehalf.body.request.id}/decisions`, {
      token: both.token,
      body: { decision: 'approve' },
    });
    expect(ownAsk.status).toBe(403);
    expect(ownAsk.body.error.code).toBe('SELF_APPROVAL');
    const bundle = await a.api('/v1/incidents/export', {
      token: auditor.token,
      body: { agent: owned.id, since: new Date(Date.now() - 3_600_000).toISOString() },
    });
    expect(bundle.status).toBe(200);
    const file = bundle.body.files.find((f: { name: string }) => f.name === 'grants.jsonl');
    const lines = file.content
      .trim()
      .split('\n')
      .map((l: string) => JSON.parse(l));
    expect(lines).toEqual([
      expect.objectContaining({ id: asked.body.grant.id, state: 'refused', reason: 'backfill' }),
      expect.objectContaining({ id: onBehalf.body.grant.id, state: 'pending', requestedBy: both.id }),
    ]);
    // The grant's own events are part of the agent's audit slice.
    const audit = bundle.body.files.find((f: { name: string }) => f.name === 'audit.jsonl').content as string;
    expect(audit).toContain('grant.requested');
    expect(audit).toContain('grant.rejected');
    expect(bundle.body.manifest.audit.ok).toBe(true);
  }, 30_000);

  it('a group scoped to a kind decides the grants of that kind, and only its members may', async () => {
    const group = await a.api('/v1/groups', { token: a.adminToken, body: { name: 'dbas', kinds: ['sql'] } });
    expect(group.status).toBe(201);
    expect(
      (
        await a.api(`/v1/groups/${group.body.id}/members`, {
          token: a.adminToken,
          body: { userId: approver2.id },
        })
      ).status,
    ).toBe(201);
    const asked = await a.api('/v1/grants', {
      token: agentToken,
      body: {
        scope: { type: 'command', kind: 'sql', match: { program: ['UPDATE'] } },
        ceiling: 'review',
        durationMinutes: 10,
        reason: 'fix order states',
      },
    });
    expect(asked.status).toBe(201);
    // Not in ann's queue, and her decision is refused; ben, a DBA, decides it.
    const annQueue = await b.api('/v1/requests?status=pending', { token: approver.token });
    expect(annQueue.body.items.map((r: { id: string }) => r.id)).not.toContain(asked.body.request.id);
    const ann = await b.api(`/v1/requests/${asked.body.request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve' },
    });
    expect(ann.status).toBe(403);
    expect(ann.body.error.code).toBe('NOT_ELIGIBLE');
    const ben = await b.api(`/v1/requests/${asked.body.request.id}/decisions`, {
      token: approver2.token,
      body: { decision: 'approve' },
    });
    expect(ben.body.status).toBe('approved');
  });

  it('grant requests count in no insight rollup (nor in the auto-approval rate)', async () => {
    await rebuildRollups(a.running.runtime.database.db);
    const kinds = await query<{ kind: string; n: number }>(
      a.database.url,
      `select kind, sum(count)::int as n from insight_rollups group by kind order by kind`,
    );
    expect(kinds.map((k) => k.kind)).toEqual(['shell', 'sql']);
    const [grantRequests] = await query<{ n: number }>(
      a.database.url,
      `select count(*)::int as n from requests where kind = 'grant'`,
    );
    expect(grantRequests!.n).toBeGreaterThan(0);
  });
});

async function waitFor(check: () => Promise<boolean>, ms = 3_000): Promise<void> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('condition not met in time');
}
