import { grantRegistry } from '@gatehouse/server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../support/gatehouse.ts';
import { query } from '../support/postgres.ts';
import { createPostgresTarget, registerTarget, type TestTarget } from '../support/targets.ts';

/**
 * A just-in-time grant that ends while a brokered statement approved under it is running:
 * the statement is cancelled on its target. Asked and approved on replica A; submitted and
 * executed on replica B, whose own timer ends the grant (no message needed).
 */
describe('a grant that expires during a brokered query', () => {
  let a: TestGatehouse;
  let b: TestGatehouse;
  let target: TestTarget;
  let agentToken: string;
  let approver: { token: string };

  beforeAll(async () => {
    target = await createPostgresTarget();
    const env = { GATEHOUSE_BROKER_STATEMENT_TIMEOUT_MS: '20000' };
    a = await startGatehouse({ env });
    b = await startGatehouse({ env, database: a.database, adminToken: a.adminToken });
    const agent = await a.createAgent({ name: 'etl', type: 'sql-agent' });
    agentToken = await a.session(agent.key);
    approver = await a.createUser('dba@example.com', ['approver']);
    // Access to the connection at all is the connection's own grant; the JIT grant lowers the tier.
    await registerTarget(a, target, { name: 'warehouse', grant: { agentId: agent.id } });
  }, 60_000);

  afterAll(async () => {
    await b?.stop();
    await a?.stop();
    await target?.drop();
  });

  it('cancels the running statement within a second of the end', async () => {
    const asked = await a.api('/v1/grants', {
      token: agentToken,
      body: {
        scope: { type: 'connection', connection: 'warehouse' },
        ceiling: 'review',
        durationMinutes: 1,
        reason: 'nightly load is stuck',
      },
    });
    expect(asked.status).toBe(201);
    const grantId = asked.body.grant.id as string;
    const decided = await a.api(`/v1/requests/${asked.body.request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve' },
    });
    expect(decided.body.status).toBe('approved');
    // The grant ends about 5 s from now: its request is back-dated by 55 of its 60 seconds.
    await query(
      a.database.url,
      `update requests set decided_at = now() - interval '55 seconds' where id = $1`,
      [asked.body.request.id],
    );
    const [row] = await query<{ ends: Date }>(
      a.database.url,
      `select decided_at + interval '1 minute' as ends from requests where id = $1`,
      [asked.body.request.id],
    );
    const endsAt = new Date(row!.ends).getTime();
    // B re-reads its grants every 500 ms and re-arms its timer for the new end.
    await new Promise((r) => setTimeout(r, 700));
    expect(grantRegistry(b.running.runtime)?.isLive(grantId)).toBe(true);

    const submitted = await b.api('/v1/requests', {
      token: agentToken,
      body: { kind: 'sql', connection: 'warehouse', command: 'select pg_sleep(15)' },
    });
    expect(submitted.body).toMatchObject({ status: 'auto_approved' });
    expect(submitted.body.reasons[0].rule).toBe(`grant:${grantId}`);
    expect(endsAt - Date.now()).toBeGreaterThan(500); // the statement starts while the grant lives

    const executed = await b.api(`/v1/requests/${submitted.body.id}/execute`, {
      token: agentToken,
      body: {},
    });
    const answeredAt = Date.now();
    expect(executed.body).toMatchObject({ error: { code: 'EXECUTION_CANCELLED' } });
    expect(executed.status).toBe(409);
    expect(answeredAt - endsAt).toBeGreaterThanOrEqual(0);
    expect(answeredAt - endsAt).toBeLessThan(1_000);
    const [failed] = await query<{ data: { code: string } }>(
      a.database.url,
      `select data from audit_events where type = 'request.execution_failed' and subject_id = $1`,
      [submitted.body.id],
    );
    expect(failed?.data.code).toBe('EXECUTION_CANCELLED');
    // And the same statement now goes to people.
    const after = await b.api('/v1/requests', {
      token: agentToken,
      body: { kind: 'sql', connection: 'warehouse', command: 'select pg_sleep(15)' },
    });
    expect(after.body.status).toBe('pending');
  }, 30_000);
});
