import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Distributed, startDistributed } from '../support/distributed.ts';
import { createTestDatabase, query, TEST_REDIS_URL, type TestDatabase } from '../support/postgres.ts';

const AUTO = 'ls -la';
const REVIEW = 'systemctl restart nginx';
/** The shortest deadline a policy may set: the worker's death must not stretch it. */
const DEADLINE_SECONDS = 10;
/** How late after its deadline a request may close: the delayed job's poll, a busy machine. */
const CLOSE_SLACK_MS = 5_000;

/**
 * The job worker (expiry, routing, sweeps) is killed with SIGKILL while agents submit, and a
 * new one is started, as a supervisor would. The jobs live in Redis, not in the dead
 * process: every pending request still closes at its deadline, and every request an agent
 * was told about is on record.
 */
describe('fault: the job worker is killed under load', () => {
  let database: TestDatabase;
  let deployment: Distributed;
  let api: string;
  let session: string;
  const policyDir = mkdtempSync(join(tmpdir(), 'gh-faults-worker-'));

  beforeAll(async () => {
    database = await createTestDatabase('gh_faults_worker');
    const policyFile = join(policyDir, 'policy.yaml');
    writeFileSync(
      policyFile,
      `extends: default\nversion: short-deadlines\napprovalDeadlineSeconds: ${DEADLINE_SECONDS}\n`,
    );
    deployment = await startDistributed({
      databaseUrl: database.url,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: `gh-faults-worker-${database.name}`,
      env: { GATEHOUSE_POLICY_FILE: policyFile },
    });
    [api] = deployment.apis as [string];
    const { adminToken } = deployment;
    const agent = (await call(api, '/v1/agents', { token: adminToken, body: { name: 'load', type: 'ci' } }))
      .body;
    session = (await call(api, '/v1/sessions', { token: agent.key, body: {} })).body.token;
  }, 90_000);

  afterAll(async () => {
    await deployment?.stop();
    await database?.drop();
    rmSync(policyDir, { recursive: true, force: true });
  });

  it('every pending request still closes at its deadline, and nothing acknowledged is lost', async () => {
    const acknowledged: { id: string; status: string }[] = [];
    let submitting = true;
    const submitter = async (command: string, pauseMs: number) => {
      while (submitting) {
        const answer = await call(api, '/v1/requests', {
          token: session,
          body: { kind: 'shell', command },
        }).catch(() => undefined);
        if (answer?.status === 201) acknowledged.push(answer.body);
        await new Promise((r) => setTimeout(r, pauseMs));
      }
    };
    const load = [
      ...Array.from({ length: 8 }, () => submitter(AUTO, 0)),
      ...Array.from({ length: 2 }, () => submitter(REVIEW, 200)),
    ];
    await new Promise((r) => setTimeout(r, 1_500));
    // An agent that waits on a verdict across the worker's death.
    const waiting = acknowledged.find((r) => r.status === 'pending');
    deployment.worker!.child.kill('SIGKILL');
    await deployment.worker!.exited;
    await new Promise((r) => setTimeout(r, 1_500));
    submitting = false;
    await Promise.all(load);
    await deployment.startWorker();

    const pending = acknowledged.filter((r) => r.status === 'pending');
    expect(pending.length).toBeGreaterThan(5);
    expect(acknowledged.length).toBeGreaterThan(pending.length);
    if (waiting) {
      const verdict = await call(api, `/v1/requests/${waiting.id}/verdict?wait=30`, {
        token: session,
        timeoutMs: 40_000,
      });
      expect(verdict.body.status).toBe('expired');
    }

    // Wait out the last deadline, then look at the record.
    const last = await query<{ deadline: Date }>(
      database.url,
      `select max(deadline) as deadline from requests where deadline is not null`,
    );
    const settleBy = last[0]!.deadline.getTime() + CLOSE_SLACK_MS;
    while (Date.now() < settleBy) await new Promise((r) => setTimeout(r, 250));

    const rows = await query<{ id: string; status: string; late_ms: number | null; verdict: string | null }>(
      database.url,
      `select id, status, verdict,
              (extract(epoch from (decided_at - deadline)) * 1000)::int as late_ms
         from requests`,
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    // Every acknowledged request is on record.
    for (const { id } of acknowledged) expect(byId.has(id), id).toBe(true);
    // None left pending past its deadline; each closed with a signed deny, on time.
    for (const { id } of pending) {
      const row = byId.get(id)!;
      expect(row.status, id).toBe('expired');
      expect(row.verdict, id).toEqual(expect.any(String));
      expect(row.late_ms!, id).toBeLessThan(CLOSE_SLACK_MS);
    }
    const submitted = await query<{ n: number }>(
      database.url,
      `select count(distinct subject_id)::int as n from audit_events where type = 'request.submitted'`,
    );
    expect(submitted[0]!.n).toBe(rows.length);
    const verify = await call(api, '/v1/audit/verify', { token: deployment.adminToken, body: {} });
    expect(verify.body).toMatchObject({ ok: true, problems: [] });
  }, 90_000);
});
