import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { gatehouseFleet } from '../support/fleet.ts';
import { createTestDatabase, query, type TestDatabase } from '../support/postgres.ts';

/**
 * Issue 14, item 4: restarts reuse audit lanes, so the number of chains follows the number
 * of processes, not of restarts, whether a process stops cleanly or is killed with -9.
 */
describe('audit lanes across restarts', () => {
  const fleet = gatehouseFleet({
    GATEHOUSE_AUDIT_LANE_LEASE_SECONDS: '12',
    // One process per start: the count of lanes is then 8 per live process.
    GATEHOUSE_WORKERS: '1',
  });
  afterEach(() => fleet.cleanup());

  async function start(db: TestDatabase) {
    const { url, process } = await fleet.start(db);
    // Some audited work: an agent and a session.
    const r = await fetch(new URL('/v1/agents', url), {
      method: 'POST',
      headers: { authorization: `Bearer ${fleet.adminToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: `a-${randomBytes(3).toString('hex')}`, type: 'ci' }),
    });
    expect(r.status).toBe(201);
    return process;
  }

  const laneCount = async (db: TestDatabase) =>
    (await query<{ n: number }>(db.url, 'select count(*)::int as n from audit_lanes'))[0]!.n;

  it('clean stops and kill -9 alike: the chains stay bounded by the processes alive at once', async () => {
    const db = fleet.track(await createTestDatabase('gh_lanes_e2e'));

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

    const verify = await fleet.verify(db);
    expect(verify.code, verify.output).toBe(0);
  }, 180_000);
});
