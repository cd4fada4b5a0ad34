import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, call, type Distributed, startDistributed } from '../support/distributed.ts';
import { startGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, query, type TestDatabase } from '../support/postgres.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/redis-server.ts';

const REVIEW = 'systemctl restart nginx';
const AUTO = 'ls -la';

/**
 * Distributed mode (an API process and a worker) on a private redis-server that the test
 * kills. Redis carries the jobs that route a pending request to its approvers and expire it;
 * without them a request for people must not be accepted, and nothing may wait for Redis.
 */
describe('fault: Redis goes down under a distributed deployment', () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let deployment: Distributed;
  let api: string;
  let session: string;
  let approver: string;
  let adminToken: string;

  beforeAll(async () => {
    [database, redis] = await Promise.all([createTestDatabase('gh_faults_redis'), startPrivateRedis()]);
    deployment = await startDistributed({
      databaseUrl: database.url,
      redisUrl: redis.url,
      redisPrefix: 'gh-faults',
    });
    [api] = deployment.apis as [string];
    adminToken = deployment.adminToken;
    approver = (
      await call(api, '/v1/users', {
        token: adminToken,
        body: { email: 'oncall@example.com', roles: ['approver'] },
      })
    ).body.token;
    const agent = (
      await call(api, '/v1/agents', { token: adminToken, body: { name: 'deployer', type: 'ci' } })
    ).body;
    session = (await call(api, '/v1/sessions', { token: agent.key, body: {} })).body.token;
  }, 90_000);

  afterAll(async () => {
    await deployment?.stop();
    await redis?.stop();
    await database?.drop();
  });

  const pendingSince = async (since: Date) =>
    (
      await query<{ n: number }>(
        database.url,
        `select count(*)::int as n from requests where status = 'pending' and created_at >= $1`,
        [since],
      )
    )[0]!.n;

  it('fails closed within a second, leaves nothing pending, and works again once Redis is back', async () => {
    const before = await call(api, '/v1/requests', {
      token: session,
      body: { kind: 'shell', command: REVIEW },
    });
    expect(before.status).toBe(201);
    expect(before.body.status).toBe('pending');

    await redis.kill();
    const downAt = new Date();

    const submit = await call(api, '/v1/requests', {
      token: session,
      body: { kind: 'shell', command: REVIEW },
    });
    expect(submit.ms).toBeLessThan(1_000);
    expect(submit.status).toBe(503);
    expect(submit.body.error.code).toBe('JOBS_UNAVAILABLE');
    expect(submit.retryAfter).not.toBeNull();

    const ready = await call(api, '/readyz');
    expect(ready.ms).toBeLessThan(1_000);
    expect(ready.status).toBe(503);
    expect(ready.body.error.code).toBe('NOT_READY');
    expect(ready.retryAfter).not.toBeNull();

    // A request decided by the policy alone needs no job: it is still answered, with its verdict.
    const auto = await call(api, '/v1/requests', { token: session, body: { kind: 'shell', command: AUTO } });
    expect(auto.ms).toBeLessThan(1_000);
    expect([auto.status, auto.body.status]).toEqual([201, 'auto_approved']);
    // Reading the queue needs only the database.
    const queue = await call(api, '/v1/requests?status=pending', { token: approver });
    expect(queue.status).toBe(200);
    expect(queue.body.items.map((item: { id: string }) => item.id)).toContain(before.body.id);

    // No pending request was stored for the refused submission: no orphan in the queue.
    expect(await pendingSince(downAt)).toBe(0);

    await redis.start();
    let readyAgain: Answer | undefined;
    for (let i = 0; i < 100; i++) {
      readyAgain = await call(api, '/readyz');
      if (readyAgain.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(readyAgain?.status).toBe(200);
    const after = await call(api, '/v1/requests', {
      token: session,
      body: { kind: 'shell', command: REVIEW },
    });
    expect([after.status, after.body.status]).toEqual([201, 'pending']);
    // The worker, reconnected too, routes it: the approver is asked (the notify job ran).
    let asked = false;
    for (let i = 0; i < 100 && !asked; i++) {
      const rows = await query<{ n: number }>(
        database.url,
        `select count(*)::int as n from audit_events where subject_id = $1 and type = 'request.routed'`,
        [after.body.id],
      );
      asked = rows[0]!.n > 0;
      if (!asked) await new Promise((r) => setTimeout(r, 100));
    }
    expect(asked).toBe(true);
  }, 60_000);
});

/**
 * The narrow window: the queue answered the check before the commit, then refused the jobs
 * after it. The request just stored is closed in the same call (cancelled, with its deny
 * verdict and audit events), so no pending request is left that nobody was asked about.
 */
describe('fault: the job queue fails between the check and the commit', () => {
  it('cancels the request it could not queue and answers 503', async () => {
    const gh = await startGatehouse({ redis: false });
    try {
      const agent = await gh.createAgent({ name: 'window', type: 'ci' });
      const token = await gh.session(agent.key);
      const jobs = gh.running.runtime.jobs;
      const enqueue = jobs.enqueue.bind(jobs);
      jobs.enqueue = async () => {
        throw new Error('the job queue went away');
      };
      const refused = await call(gh.url, '/v1/requests', {
        token: token,
        body: { kind: 'shell', command: REVIEW },
      });
      jobs.enqueue = enqueue;
      expect(refused.status).toBe(503);
      expect(refused.body.error.code).toBe('JOBS_UNAVAILABLE');

      const rows = await query<{ id: string; status: string; verdict: string | null }>(
        gh.database.url,
        `select id, status, verdict from requests where agent_id = $1`,
        [agent.id],
      );
      expect(rows).toHaveLength(1);
      expect(rows[0]).toMatchObject({ status: 'cancelled', verdict: expect.any(String) });
      const events = await query<{ type: string }>(
        gh.database.url,
        `select type from audit_events where subject_id = $1 order by id`,
        [rows[0]!.id],
      );
      expect(events.map((e) => e.type)).toEqual(
        expect.arrayContaining(['request.submitted', 'request.cancelled']),
      );
      const verify = await call(gh.url, '/v1/audit/verify', { token: gh.adminToken, body: {} });
      expect(verify.body).toMatchObject({ ok: true, problems: [] });
    } finally {
      await gh.stop();
    }
  }, 60_000);
});
