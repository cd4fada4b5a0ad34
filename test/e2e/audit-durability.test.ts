import pg from 'pg';
import { afterEach, describe, expect, it } from 'vitest';
import { gatehouseFleet } from '../support/fleet.ts';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';

/**
 * The audit log under concurrency and crashes, with real processes on PostgreSQL: what a
 * client saw acknowledged must be in the log, with intact chains, whatever happened after.
 */
describe('audit durability', () => {
  const fleet = gatehouseFleet();
  const { adminToken, start } = fleet;

  afterEach(() => fleet.cleanup());

  async function post(url: string, path: string, token: string, body: unknown) {
    const response = await fetch(new URL(path, url), {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: response.status, body: (await response.json()) as Record<string, string> };
  }

  async function auditedRequests(db: TestDatabase): Promise<Map<string, string[]>> {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    const { rows } = await client.query(
      `select subject_id, type from audit_events where subject_type = 'request' order by id`,
    );
    await client.end();
    const byRequest = new Map<string, string[]>();
    for (const r of rows) byRequest.set(r.subject_id, [...(byRequest.get(r.subject_id) ?? []), r.type]);
    return byRequest;
  }

  it('three API processes writing at once: nothing acknowledged is missing, every chain verifies', async () => {
    const db = fleet.track(await createTestDatabase('gh_conc'));
    const apis = await Promise.all([start(db), start(db), start(db)]);
    const agent = (await post(apis[0]!.url, '/v1/agents', adminToken, { name: 'load', type: 'ci' })).body;
    const acknowledged: string[] = [];
    await Promise.all(
      apis.flatMap((api) =>
        Array.from({ length: 8 }, async (_, worker) => {
          const token = (await post(api.url, '/v1/sessions', agent.key!, {})).body.token!;
          for (let i = 0; i < 25; i++) {
            const r = await post(api.url, '/v1/requests', token, {
              kind: 'shell',
              command: `ls /data/${worker}/${i}`,
            });
            if (r.status === 201) acknowledged.push(r.body.id!);
          }
        }),
      ),
    );
    expect(acknowledged.length).toBe(3 * 8 * 25);
    await Promise.all(apis.map((a) => a.process.stop()));

    const audited = await auditedRequests(db);
    const missing = acknowledged.filter(
      (id) => !audited.get(id)?.includes('request.submitted') || !audited.get(id)?.includes('verdict.issued'),
    );
    expect(missing).toEqual([]);
    const result = await fleet.verify(db);
    expect(result.output).toMatch(/OK/);
    expect(result.code).toBe(0);
  }, 120_000);

  it('kill -9 during a stream of requests: every acknowledged request keeps its audit events', async () => {
    const db = fleet.track(await createTestDatabase('gh_crash'));
    const first = await start(db);
    const agent = (await post(first.url, '/v1/agents', adminToken, { name: 'crash', type: 'ci' })).body;
    const token = (await post(first.url, '/v1/sessions', agent.key!, { ttlSeconds: 3600 })).body.token!;
    const acknowledged: string[] = [];
    let stop = false;
    const clients = Array.from({ length: 8 }, async (_, c) => {
      for (let i = 0; !stop; i++) {
        try {
          const r = await post(first.url, '/v1/requests', token, {
            kind: 'shell',
            command: `ls /crash/${c}/${i}`,
          });
          if (r.status === 201) acknowledged.push(r.body.id!);
        } catch {
          return; // the server is gone
        }
      }
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    first.process.child.kill('SIGKILL');
    await first.process.exited;
    stop = true;
    await Promise.all(clients);
    expect(acknowledged.length).toBeGreaterThan(20);

    const second = await start(db);
    const audited = await auditedRequests(db);
    const missing = acknowledged.filter(
      (id) => !audited.get(id)?.includes('request.submitted') || !audited.get(id)?.includes('verdict.issued'),
    );
    expect(missing).toEqual([]);
    // The restarted service keeps serving, and the log still verifies end to end.
    expect((await post(second.url, '/v1/requests', token, { kind: 'shell', command: 'ls' })).status).toBe(
      201,
    );
    await second.process.stop();
    const result = await fleet.verify(db);
    expect(result.output).toMatch(/OK/);
    expect(result.code).toBe(0);
  }, 120_000);
});
