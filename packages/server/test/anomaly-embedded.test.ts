import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DatabaseHandle, insertRows, migrate, openDatabase, schema } from '@gatehouse/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anomalySettings, compileBaseline } from '../src/anomaly/model.ts';
import { foldNewRequests, loadBaselines } from '../src/anomaly/store.ts';

// The baseline job's SQL (keyset paging, array upserts, advisory locks) on the embedded
// database, which the default `npm start` runs on.

const MINUTE = 60_000;

describe('anomaly baselines on PGlite', () => {
  let dir: string;
  let handle: DatabaseHandle;
  const now = Date.now();

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-anomaly-pglite-'));
    handle = await openDatabase({ dataDir: dir });
    await migrate(handle.db);
    await handle.db.insert(schema.agents).values([
      { id: 'agt_a', name: 'a', type: 'ci', keyHash: 'k-a', createdBy: 'admin' },
      { id: 'agt_b', name: 'b', type: 'ci', keyHash: 'k-b', createdBy: 'admin' },
    ]);
    // 600 requests, one a minute per agent (both at the same minute) until 10 minutes ago;
    // every 100th pending.
    const rows = Array.from({ length: 600 }, (_, i) => ({
      id: `req_${String(i).padStart(4, '0')}`,
      agentId: i % 2 ? 'agt_b' : 'agt_a',
      sessionId: 's',
      kind: 'shell',
      command: 'git status',
      context: { host: 'build-1' },
      cmdHash: `h${i}`,
      score: 0,
      tier: i % 100 === 0 ? 'review' : 'auto',
      reasons: [],
      commands: [
        { kind: 'shell', name: i % 100 === 0 ? 'terraform' : 'git', args: ['status'], text: '', via: [] },
      ],
      policyVersion: 'p',
      status: i % 100 === 0 ? 'pending' : 'auto_approved',
      requiredApprovals: i % 100 === 0 ? 1 : 0,
      createdAt: new Date(
        now - 10 * MINUTE - (300 - Math.floor(i / 2)) * MINUTE + (i % 2) * 1000,
      ).toISOString(),
    }));
    await handle.db.execute(insertRows([{ table: schema.requests, rows }]));
  }, 60_000);

  afterAll(async () => {
    await handle?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('folds, defers the pending ones, and compiles what it stored', async () => {
    expect(await foldNewRequests(handle.db)).toEqual({ folded: 600, resolved: 0 });
    expect(await foldNewRequests(handle.db)).toEqual({ folded: 0, resolved: 0 });
    const settings = anomalySettings(undefined);
    const stored = await loadBaselines(handle.db, settings.windowDays);
    const ci = stored.find((s) => s.ref.scope === 'type' && s.ref.key === 'ci')!;
    expect(ci.state.requests).toBe(600);
    expect(ci.features.map((f) => [f.feature, f.value, f.count]).sort()).toEqual([
      ['family', 'git', 594],
      ['host', 'build-1', 594],
    ]);
    const hours = ci.days.reduce((n, d) => n + d.stats.hours.reduce((a, b) => a + b, 0), 0);
    expect(hours).toBe(600);
    const compiled = compileBaseline(stored, settings, now).types.get('ci')!;
    // Two agents in every minute: the usual minute holds 2.
    expect(compiled.usualPerMinute).toBeCloseTo(2, 10);

    // One of the six pending terraform requests is approved; it is learned on the next round.
    await handle.db
      .update(schema.requests)
      .set({ status: 'approved' })
      .where(eq(schema.requests.id, 'req_0100'));
    expect(await foldNewRequests(handle.db)).toEqual({ folded: 0, resolved: 1 });
    const after = await loadBaselines(handle.db, settings.windowDays, new Date(), { agentType: 'ci' });
    const terraform = after
      .find((s) => s.ref.scope === 'type')!
      .features.find((f) => f.value === 'terraform');
    expect(terraform?.count).toBe(1);
  });
});
