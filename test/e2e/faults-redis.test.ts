import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, query, type TestDatabase } from '../support/postgres.ts';
import { type Spawned, spawnNode } from '../support/processes.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/redis-server.ts';

const REVIEW = 'systemctl restart nginx';
const AUTO = 'ls -la';

interface Answer {
  status: number;
  body: any;
  ms: number;
  retryAfter: string | null;
}

async function call(base: string, path: string, token?: string, body?: unknown): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(new URL(path, base), {
    method: body === undefined ? 'GET' : 'POST',
    headers: {
      ...(token ? { authorization: `Bearer ${token}` } : {}),
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    // A hang is a failure of its own: the test must not wait for it.
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  return {
    status: response.status,
    body: text ? JSON.parse(text) : undefined,
    ms: performance.now() - started,
    retryAfter: response.headers.get('retry-after'),
  };
}

/**
 * Distributed mode (an API process and a worker) on a private redis-server that the test
 * kills. Redis carries the jobs that route a pending request to its approvers and expire it;
 * without them a request for people must not be accepted, and nothing may wait for Redis.
 */
describe('fault: Redis goes down under a distributed deployment', () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  const processes: Spawned[] = [];
  let api: string;
  let session: string;
  let approver: string;
  const adminToken = `faults-admin-${randomBytes(16).toString('hex')}`;
  // The processes' own data directory: the audit witness file lives there, not in the repository.
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-faults-'));

  beforeAll(async () => {
    [database, redis] = await Promise.all([createTestDatabase('gh_faults_redis'), startPrivateRedis()]);
    const env = {
      DATABASE_URL: database.url,
      REDIS_URL: redis.url,
      GATEHOUSE_REDIS_PREFIX: 'gh-faults',
      GATEHOUSE_ADMIN_TOKEN: adminToken,
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_MASTER_KEY: randomBytes(32).toString('base64'),
      GATEHOUSE_HOST: '127.0.0.1',
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DB_POOL_SIZE: '4',
    };
    const apiProcess = spawnNode('apps/api/src/main.ts', [], env);
    const worker = spawnNode('apps/worker/src/main.ts', [], env);
    processes.push(apiProcess, worker);
    api = (await apiProcess.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
    await worker.waitFor(/worker running/, 60_000);
    approver = (
      await call(api, '/v1/users', adminToken, { email: 'oncall@example.com', roles: ['approver'] })
    ).body.token;
    const agent = (await call(api, '/v1/agents', adminToken, { name: 'deployer', type: 'ci' })).body;
    session = (await call(api, '/v1/sessions', agent.key, {})).body.token;
  }, 90_000);

  afterAll(async () => {
    await Promise.all(processes.map((p) => p.stop()));
    await redis?.stop();
    await database?.drop();
    rmSync(dataDir, { recursive: true, force: true });
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
    const before = await call(api, '/v1/requests', session, { kind: 'shell', command: REVIEW });
    expect(before.status).toBe(201);
    expect(before.body.status).toBe('pending');

    await redis.kill();
    const downAt = new Date();

    const submit = await call(api, '/v1/requests', session, { kind: 'shell', command: REVIEW });
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
    const auto = await call(api, '/v1/requests', session, { kind: 'shell', command: AUTO });
    expect(auto.ms).toBeLessThan(1_000);
    expect([auto.status, auto.body.status]).toEqual([201, 'auto_approved']);
    // Reading the queue needs only the database.
    const queue = await call(api, '/v1/requests?status=pending', approver);
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
    const after = await call(api, '/v1/requests', session, { kind: 'shell', command: REVIEW });
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
      const refused = await call(gh.url, '/v1/requests', token, { kind: 'shell', command: REVIEW });
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
      const verify = await call(gh.url, '/v1/audit/verify', gh.adminToken, {});
      expect(verify.body).toMatchObject({ ok: true, problems: [] });
    } finally {
      await gh.stop();
    }
  }, 60_000);
});
