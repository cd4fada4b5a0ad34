import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, query, type TestDatabase } from '../support/postgres.ts';
import { type Spawned, spawnNode } from '../support/processes.ts';

/**
 * Issue 14, item 4: restarts reuse audit lanes, so the number of chains follows the number
 * of processes, not of restarts, whether a process stops cleanly or is killed with -9.
 */
describe('audit lanes across restarts', () => {
  const masterKey = randomBytes(32).toString('base64');
  const adminToken = `lanes-${randomBytes(16).toString('hex')}`;
  const started: Spawned[] = [];
  const databases: TestDatabase[] = [];

  afterEach(async () => {
    await Promise.all(started.splice(0).map((p) => p.stop('SIGKILL')));
    for (const db of databases.splice(0)) await db.drop();
  });

  const env = (db: TestDatabase) => ({
    DATABASE_URL: db.url,
    REDIS_URL: '',
    GATEHOUSE_MASTER_KEY: masterKey,
    GATEHOUSE_ADMIN_TOKEN: adminToken,
    GATEHOUSE_PORT: '0',
    GATEHOUSE_DB_POOL_SIZE: '4',
    GATEHOUSE_AUDIT_LANE_LEASE_SECONDS: '12',
    // One process per start: the count of lanes is then 8 per live process.
    GATEHOUSE_WORKERS: '1',
    GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-lanes-')),
  });

  async function start(db: TestDatabase) {
    const process = spawnNode('apps/cli/src/main.ts', ['start'], env(db));
    started.push(process);
    const url = (await process.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
    // Some audited work: an agent and a session.
    const r = await fetch(new URL('/v1/agents', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `a-${randomBytes(3).toString('hex')}`, type: 'ci' }),
    });
    expect(r.status).toBe(201);
    return process;
  }

  const laneCount = async (db: TestDatabase) =>
    (await query<{ n: number }>(db.url, 'select count(*)::int as n from audit_lanes'))[0]!.n;

  it('clean stops and kill -9 alike: the chains stay bounded by the processes alive at once', async () => {
    const db = await createTestDatabase('gh_lanes_e2e');
    databases.push(db);

    // Clean restarts: each process releases its lanes, the next takes them up at once.
    for (let i = 0; i < 3; i++) await (await start(db)).stop('SIGTERM');
    expect(await laneCount(db)).toBe(8);

    // kill -9 and an immediate restart: the dead process's leases still run, so the new one
    // takes fresh lanes (never one another process might still be appending to) ...
    const killed = await start(db);
    killed.child.kill('SIGKILL');
    await killed.exited;
    const next = await start(db);
    expect(await laneCount(db)).toBe(16);
    next.child.kill('SIGKILL');
    await next.exited;

    // ... and once the leases have run out, restarts reuse them: no more lanes, however many.
    await new Promise((resolve) => setTimeout(resolve, 12_500));
    for (let i = 0; i < 2; i++) {
      const p = await start(db);
      p.child.kill('SIGKILL');
      await p.exited;
      await new Promise((resolve) => setTimeout(resolve, 12_500));
    }
    expect(await laneCount(db)).toBe(16);
    const chains = await query<{ n: number }>(
      db.url,
      'select count(distinct chain)::int as n from audit_events',
    );
    expect(chains[0]!.n).toBeLessThanOrEqual(16);

    const verify = spawnNode('apps/cli/src/main.ts', ['audit', 'verify'], env(db));
    expect(await verify.exited, verify.output()).toBe(0);
  }, 180_000);
});
