import { randomBytes } from 'node:crypto';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse } from '../../../test/support/gatehouse.ts';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';

/**
 * A pending request must expire at its deadline even when every process restarted in
 * between: jobs live in memory (or in Redis), the deadline lives in the database.
 */
describe.each([
  { jobs: 'in-process', redis: false },
  { jobs: 'Redis', redis: true },
])('expiry across a restart ($jobs jobs)', ({ redis }) => {
  let database: TestDatabase;
  const secrets = {
    adminToken: `restart-${randomBytes(16).toString('hex')}`,
    masterKey: randomBytes(32).toString('hex'),
  };

  beforeAll(async () => {
    database = await createTestDatabase();
  });
  afterAll(async () => database?.drop());

  it('expires a request whose deadline passes while the service is down', async () => {
    const prefix = `gh-restart-${database.name}`;
    const first = await startGatehouse({ database, redis, redisPrefix: prefix, ...secrets });
    const agent = await first.createAgent();
    const overdue = await first.api('/v1/requests', {
      token: await first.session(agent.key),
      body: { kind: 'shell', command: 'systemctl restart nginx' },
    });
    const upcoming = await first.api('/v1/requests', {
      token: await first.session(agent.key),
      body: { kind: 'shell', command: 'systemctl restart redis' },
    });
    expect([overdue.body.status, upcoming.body.status]).toEqual(['pending', 'pending']);
    await first.stop();

    // While nothing runs: one deadline has passed, the other passes two seconds after restart.
    const { openDatabase } = await import('@gatehouse/db');
    const handle = await openDatabase({ url: database.url, dataDir: '' });
    await handle.db.execute(
      sql`update requests set deadline = now() - interval '1 minute' where id = ${overdue.body.id}`,
    );
    await handle.db.execute(
      sql`update requests set deadline = now() + interval '2 seconds' where id = ${upcoming.body.id}`,
    );
    await handle.close();

    const second = await startGatehouse({ database, redis, redisPrefix: prefix, ...secrets });
    try {
      const session = await second.session(agent.key);
      const a = await second.api(`/v1/requests/${overdue.body.id}/verdict?wait=10`, { token: session });
      expect(a.body.status).toBe('expired');
      const b = await second.api(`/v1/requests/${upcoming.body.id}/verdict?wait=15`, { token: session });
      expect(b.body.status).toBe('expired');
      expect(b.body.verdict).toEqual(expect.any(String));
    } finally {
      await second.stop();
    }
  }, 60_000);
});
