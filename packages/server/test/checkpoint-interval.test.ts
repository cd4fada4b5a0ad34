import { schema } from '@gatehouse/db';
import { desc } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { decodeCheckpoint } from '../src/audit/checkpoints.ts';
import { loadConfig } from '../src/config.ts';

describe('audit checkpoint interval', () => {
  let gh: TestGatehouse;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false, env: { GATEHOUSE_CHECKPOINT_SECONDS: '1' } });
  });
  afterAll(async () => gh?.stop());

  it('vouches for new events within the configured interval', async () => {
    const session = await gh.session((await gh.createAgent()).key);
    const submitted = await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'shell', command: 'ls' },
    });
    expect(submitted.status).toBe(201);
    const db = gh.running.runtime.database.db;
    const [last] = await db.select().from(schema.auditEvents).orderBy(desc(schema.auditEvents.id)).limit(1);

    const covered = async () => {
      const checkpoints = await db.select().from(schema.auditCheckpoints);
      return checkpoints.some((c) =>
        decodeCheckpoint(c.jws).heads.some((h) => h.chain === last!.chain && h.seq >= last!.seq),
      );
    };
    const until = Date.now() + 10_000;
    while (!(await covered()) && Date.now() < until) await new Promise((r) => setTimeout(r, 200));
    expect(await covered()).toBe(true);
  });

  it('refuses an interval that is not a whole number of seconds in range', () => {
    for (const value of ['0', '1.5', 'often', '3601']) {
      expect(() => loadConfig({ GATEHOUSE_CHECKPOINT_SECONDS: value })).toThrow(
        /GATEHOUSE_CHECKPOINT_SECONDS must be an integer between 1 and 3600/,
      );
    }
    expect(loadConfig({}).checkpointSeconds).toBe(60);
  });
});
