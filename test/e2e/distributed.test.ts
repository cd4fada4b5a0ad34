import { GatehouseClient } from '@gatehouse/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, type Distributed, startDistributed } from '../support/distributed.ts';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from '../support/postgres.ts';

/**
 * Two API processes and one worker on PostgreSQL + Redis. The agent talks to API A only;
 * the approvers decide through API B only. Everything between them goes through the
 * database and Redis, as in production.
 */
describe('distributed deployment: two APIs and a worker', () => {
  let database: TestDatabase;
  let deployment: Distributed;
  let apiA: string;
  let apiB: string;
  let adminToken: string;

  beforeAll(async () => {
    database = await createTestDatabase();
    deployment = await startDistributed({
      databaseUrl: database.url,
      redisUrl: TEST_REDIS_URL,
      redisPrefix: `gh-e2e-${database.name}`,
      apis: 2,
    });
    [apiA, apiB] = deployment.apis as [string, string];
    adminToken = deployment.adminToken;
  }, 90_000);

  afterAll(async () => {
    await deployment?.stop();
    await database?.drop();
  });

  it('an agent on A gets a verified multi-party verdict decided by two approvers on B', async () => {
    const owner = (
      await call(apiA, '/v1/users', {
        token: adminToken,
        body: { email: 'owner@example.com', roles: ['approver'] },
      })
    ).body;
    const alice = (
      await call(apiB, '/v1/users', {
        token: adminToken,
        body: { email: 'alice@example.com', roles: ['approver'] },
      })
    ).body;
    const bob = (
      await call(apiA, '/v1/users', {
        token: adminToken,
        body: { email: 'bob@example.com', roles: ['approver'] },
      })
    ).body;
    const agent = (
      await call(apiA, '/v1/agents', {
        token: adminToken,
        body: { name: 'deployer', type: 'ci', owner: 'owner@example.com' },
      })
    ).body;

    const client = new GatehouseClient({ url: apiA, agentKey: agent.key, timeoutMs: 60_000 });
    const command = 'rm -rf /var/lib/postgresql/15/main';
    const decision = client.authorize({
      kind: 'shell',
      command,
      context: { host: 'db-1', justification: 'decommission' },
    });

    // The pending request appears on B, through the shared database.
    let pending: { id: string; command: string } | undefined;
    for (let i = 0; i < 100 && !pending; i++) {
      const list = await call(apiB, '/v1/requests?status=pending', { token: alice.token });
      pending = list.body.items.find((item: { command: string }) => item.command === command);
      if (!pending) await new Promise((r) => setTimeout(r, 100));
    }
    expect(pending).toBeDefined();

    const self = await call(apiB, `/v1/requests/${pending!.id}/decisions`, {
      token: owner.token,
      body: {
        decision: 'approve',
      },
    });
    expect(self.status).toBe(403);
    expect(self.body.error.code).toBe('SELF_APPROVAL');
    expect(
      (
        await call(apiB, `/v1/requests/${pending!.id}/decisions`, {
          token: alice.token,
          body: {
            decision: 'approve',
            comment: 'decommission planned',
          },
        })
      ).body,
    ).toMatchObject({
      status: 'pending',
      approvals: 1,
      required: 2,
    });
    expect(
      (
        await call(apiB, `/v1/requests/${pending!.id}/decisions`, {
          token: bob.token,
          body: {
            decision: 'approve',
            comment: 'confirmed',
          },
        })
      ).body,
    ).toMatchObject({
      status: 'approved',
    });

    const result = await decision;
    client.close();
    expect(result).toMatchObject({ allowed: true, status: 'approved', requestId: pending!.id });
    expect(result.claims).toMatchObject({ decision: 'allow', tier: 'multi_party', sub: agent.id });
    expect([...result.claims!.approvers].sort()).toEqual([alice.id, bob.id].sort());
  }, 60_000);

  it.each(['session', 'agent'])('revoking the %s on B is enforced on A within one second', async (what) => {
    const agent = (
      await call(apiA, '/v1/agents', { token: adminToken, body: { name: `revoked-${what}`, type: 'ci' } })
    ).body;
    const sessionA = (await call(apiA, '/v1/sessions', { token: agent.key, body: {} })).body;
    const submit = () =>
      call(apiA, '/v1/requests', { token: sessionA.token, body: { kind: 'shell', command: 'ls' } });
    expect((await submit()).status).toBe(201);
    const revokedAt = performance.now();
    const path =
      what === 'session' ? `/v1/sessions/${sessionA.sessionId}/revoke` : `/v1/agents/${agent.id}/revoke`;
    expect((await call(apiB, path, { token: adminToken, body: {} })).status).toBe(200);
    let refusedAfter = Number.POSITIVE_INFINITY;
    while (performance.now() - revokedAt < 3_000) {
      const r = await submit();
      if (r.status === 401) {
        expect(r.body.error.code).toBe('SESSION_REVOKED');
        refusedAfter = performance.now() - revokedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    console.log(`${what} revoked on B, refused on A after ${refusedAfter.toFixed(0)} ms`);
    expect(refusedAfter).toBeLessThan(1_000);
  });

  it('the worker expires an overdue request and the agent on A sees it', async () => {
    const agent = (await call(apiA, '/v1/agents', { token: adminToken, body: { name: 'late', type: 'ci' } }))
      .body;
    const session = (await call(apiA, '/v1/sessions', { token: agent.key, body: {} })).body.token;
    const submitted = (
      await call(apiA, '/v1/requests', {
        token: session,
        body: { kind: 'shell', command: 'systemctl restart nginx' },
      })
    ).body;
    expect(submitted.status).toBe('pending');
    // Move the deadline into the past behind the service's back; the worker's sweep must close it.
    const { default: pg } = await import('pg');
    const client = new pg.Client({ connectionString: database.url });
    await client.connect();
    await client.query(`update requests set deadline = now() where id = $1`, [submitted.id]);
    await client.end();
    const verdict = await call(apiA, `/v1/requests/${submitted.id}/verdict?wait=30`, { token: session });
    expect(verdict.body.status).toBe('expired');
  }, 60_000);
});
