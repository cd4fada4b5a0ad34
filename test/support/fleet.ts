import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestDatabase } from './postgres.ts';
import { type Spawned, spawnNode } from './processes.ts';

export interface StartedGatehouse {
  url: string;
  process: Spawned;
}

/**
 * `gatehouse start` processes that one test starts, kills and restarts on its own databases:
 * one master key and admin token across them all, as replicas of one deployment share.
 * Nothing here uses Redis: what is tested lives in PostgreSQL.
 */
export function gatehouseFleet(extraEnv: Record<string, string> = {}) {
  const masterKey = randomBytes(32).toString('base64');
  const adminToken = `fleet-${randomBytes(16).toString('hex')}`;
  const started: Spawned[] = [];
  const databases: TestDatabase[] = [];

  const env = (db: TestDatabase): Record<string, string> => ({
    DATABASE_URL: db.url,
    REDIS_URL: '',
    GATEHOUSE_MASTER_KEY: masterKey,
    GATEHOUSE_ADMIN_TOKEN: adminToken,
    GATEHOUSE_PORT: '0',
    GATEHOUSE_DB_POOL_SIZE: '4',
    GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-fleet-')),
    ...extraEnv,
  });

  return {
    adminToken,
    /** The database is dropped by `cleanup`, after every process on it is gone. */
    track(db: TestDatabase): TestDatabase {
      databases.push(db);
      return db;
    },
    async start(db: TestDatabase): Promise<StartedGatehouse> {
      const process = spawnNode('apps/cli/src/main.ts', ['start'], env(db));
      started.push(process);
      return { url: (await process.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!, process };
    },
    /** `gatehouse audit verify` against the database, as an operator runs it. */
    async verify(db: TestDatabase): Promise<{ code: number | null; output: string }> {
      const child = spawnNode('apps/cli/src/main.ts', ['audit', 'verify'], env(db));
      return { code: await child.exited, output: child.output() };
    },
    async cleanup(): Promise<void> {
      await Promise.all(started.splice(0).map((p) => p.stop('SIGKILL')));
      for (const db of databases.splice(0)) await db.drop();
    },
  };
}
