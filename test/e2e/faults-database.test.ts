import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, call, type Distributed, startDistributed } from '../support/distributed.ts';
import {
  arbitraryOf,
  fillPath,
  type OpenApiDocument,
  type Operation,
  operationsOf,
} from '../support/openapi-fuzz.ts';
import { createTestDatabase, query, TEST_DATABASE_URL, type TestDatabase } from '../support/postgres.ts';
import { type PrivateRedis, startPrivateRedis } from '../support/redis-server.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';

const AUTO = 'ls -la';
const REVIEW = 'systemctl restart nginx';

/**
 * A distributed deployment (an API process and a worker, on a private Redis) whose line to
 * PostgreSQL goes through a TCP proxy that the test cuts and restores while everything keeps
 * running. During the outage every route answers without a 5xx other than a 503 with
 * Retry-After; afterwards the same processes serve again, and nothing was auto-approved
 * without its audit events.
 */
describe('fault: the database becomes unreachable and comes back', () => {
  let database: TestDatabase;
  let redis: PrivateRedis;
  let proxy: TcpProxy;
  let deployment: Distributed;
  let api: string;
  let session: string;
  let approver: string;
  let pendingId: string;
  let operations: Operation[];
  let adminToken: string;

  beforeAll(async () => {
    const upstream = new URL(TEST_DATABASE_URL);
    [database, redis, proxy] = await Promise.all([
      createTestDatabase('gh_faults_db'),
      startPrivateRedis(),
      startTcpProxy({ host: upstream.hostname, port: Number(upstream.port || 5432) }),
    ]);
    deployment = await startDistributed({
      databaseUrl: proxy.via(database.url),
      redisUrl: redis.url,
      redisPrefix: 'gh-faults-db',
    });
    [api] = deployment.apis as [string];
    adminToken = deployment.adminToken;
    approver = (
      await call(api, '/v1/users', {
        token: adminToken,
        body: { email: 'oncall@example.com', roles: ['approver'] },
      })
    ).body.token;
    const agent = (await call(api, '/v1/agents', { token: adminToken, body: { name: 'bot', type: 'ci' } }))
      .body;
    session = (await call(api, '/v1/sessions', { token: agent.key, body: {} })).body.token;
    pendingId = (
      await call(api, '/v1/requests', { token: session, body: { kind: 'shell', command: REVIEW } })
    ).body.id;
    operations = operationsOf((await call(api, '/docs/json')).body as OpenApiDocument);
  }, 90_000);

  afterAll(async () => {
    await deployment?.stop();
    await proxy?.stop();
    await redis?.stop();
    await database?.drop();
  });

  /** One well-formed call of an operation, as a caller that may make it would send it. */
  function sampleCall(op: Operation, token: string) {
    const body = op.body ? fc.sample(arbitraryOf(op.body), { seed: 7, numRuns: 1 })[0] : undefined;
    return {
      method: op.method,
      path: fillPath(op.path, { id: pendingId, userId: pendingId }),
      token,
      ...(body === undefined && op.method !== 'POST' ? {} : { body: body ?? {} }),
    };
  }

  it('answers 503 with Retry-After everywhere while it is down, never a 500, and recovers', async () => {
    // Agents keep submitting right through the outage.
    const submitted: Answer[] = [];
    let bursting = true;
    const burst = (async () => {
      while (bursting) {
        submitted.push(
          await call(api, '/v1/requests', { token: session, body: { kind: 'shell', command: AUTO } }).catch(
            (error: Error) => ({ status: 0, body: error.message, ms: 0, retryAfter: null }),
          ),
        );
        await new Promise((r) => setTimeout(r, 25));
      }
    })();
    try {
      await outageAndRecovery();
    } finally {
      bursting = false;
      await burst;
    }
    // No submission went unanswered or failed otherwise than with a 503.
    expect(submitted.filter((a) => a.status !== 201 && a.status !== 503)).toEqual([]);
    // Every verdict an agent received is on record, and nothing was auto-approved unaudited.
    const rows = await query<{ id: string; status: string; events: string[] }>(
      database.url,
      `select r.id, r.status, array_agg(e.type) filter (where e.type is not null) as events
         from requests r left join audit_events e on e.subject_type = 'request' and e.subject_id = r.id
        group by r.id, r.status`,
    );
    const byId = new Map(rows.map((row) => [row.id, row]));
    for (const answer of submitted.filter((a) => a.status === 201)) {
      expect(byId.get(answer.body.id)?.status).toBe('auto_approved');
    }
    for (const row of rows.filter((r) => r.status === 'auto_approved'))
      expect(row.events ?? []).toContain('request.submitted');
    const verify = await call(api, '/v1/audit/verify', { token: adminToken, body: {} });
    expect(verify.body).toMatchObject({ ok: true, problems: [] });
    const down = submitted.filter((a) => a.status === 503);
    expect(down.length).toBeGreaterThan(0);
    expect(down.every((a) => a.retryAfter !== null)).toBe(true);
    console.log(
      `database outage: ${submitted.length} submissions during the test, ${down.length} answered 503`,
    );
  }, 120_000);

  async function outageAndRecovery() {
    await new Promise((r) => setTimeout(r, 200));

    proxy.cut('reset');
    // Past the revocation view's one-second freshness: sessions now need the database too.
    await new Promise((r) => setTimeout(r, 1_200));

    const ready = await call(api, '/readyz');
    expect([ready.status, ready.body.error.code]).toEqual([503, 'NOT_READY']);
    expect(ready.ms).toBeLessThan(1_500);

    const seen: string[] = [];
    const problems: string[] = [];
    for (const op of operations) {
      for (const token of [adminToken, session, approver]) {
        const sent = sampleCall(op, token);
        const answer = await call(api, sent.path, sent);
        seen.push(`${op.method} ${op.path} ${answer.status}`);
        if (answer.status >= 500 && (answer.status !== 503 || answer.retryAfter === null))
          problems.push(
            `${op.method} ${op.path}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 200)}`,
          );
      }
    }
    expect(problems).toEqual([]);
    // What needs the database says so: submitting, reading the queue, creating an agent.
    for (const route of ['POST /v1/requests', 'GET /v1/requests', 'POST /v1/agents'])
      expect(seen.filter((s) => s.startsWith(`${route} `)).some((s) => s.endsWith(' 503'))).toBe(true);
    proxy.restore();
    let readyAgain: Answer | undefined;
    for (let i = 0; i < 150; i++) {
      readyAgain = await call(api, '/readyz');
      if (readyAgain.status === 200) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(readyAgain?.status).toBe(200);
    // The same processes, the same session: nothing was restarted or re-issued.
    let after: Answer | undefined;
    for (let i = 0; i < 50; i++) {
      after = await call(api, '/v1/requests', { token: session, body: { kind: 'shell', command: AUTO } });
      if (after.status === 201) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect([after?.status, after?.body.status]).toEqual([201, 'auto_approved']);
    expect((await call(api, '/v1/requests?status=pending', { token: approver })).status).toBe(200);
    const decided = await call(api, `/v1/requests/${pendingId}/decisions`, {
      token: approver,
      body: { decision: 'reject', comment: 'after the outage' },
    });
    expect(decided.status).toBe(200);
    for (const p of [...deployment.api, deployment.worker!]) expect(p.child.exitCode).toBeNull();
  }
});
