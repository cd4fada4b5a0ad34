import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, statfsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type EmbeddedGatehouse, startEmbedded } from '../support/embedded.ts';
import { spawnNode } from '../support/processes.ts';

/**
 * The embedded database on a disk that fills up, and on a read-only one: a small tmpfs of its
 * own, mounted by the test (the tests run as root, as CI does; elsewhere they are skipped).
 */
const mountPoint = mkdtempSync(join(tmpdir(), 'gh-storage-'));
const canMount = (() => {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=160m', 'tmpfs', mountPoint], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!canMount)('embedded mode when storage fails', () => {
  const dataDir = join(mountPoint, 'data');
  let gatehouse: EmbeddedGatehouse;

  beforeAll(async () => {
    mkdirSync(dataDir);
    gatehouse = await startEmbedded({ env: { GATEHOUSE_DATA_DIR: dataDir } });
  }, 120_000);

  afterAll(async () => {
    await gatehouse?.stop();
    execFileSync('umount', ['-l', mountPoint], { stdio: 'ignore' });
    rmSync(mountPoint, { recursive: true, force: true });
  });

  it('answers 503 DATABASE_STORAGE while the disk is full, writes nothing half, and recovers when there is room', async () => {
    const agent = await gatehouse.createAgent({ name: 'filler', type: 'ci' });
    const session = (await gatehouse.api('/v1/sessions', { token: agent.key, body: {} })).body.token;
    const submit = (i: number) =>
      gatehouse.api('/v1/requests', {
        token: session,
        body: { kind: 'shell', command: `ls ${i} ${'a'.repeat(4000)}` },
      });
    expect((await submit(0)).status).toBe(201);

    const filler = join(mountPoint, 'filler');
    const { bavail, bsize } = statfsSync(mountPoint);
    execFileSync('fallocate', ['-l', String(bavail * bsize), filler]);
    const statuses = new Map<number, number>();
    let refused: { status: number; body: any } | undefined;
    for (let i = 1; i <= 200; i++) {
      const answer = await submit(i);
      statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
      if (answer.status === 503) refused = answer;
    }
    // Some may still fit in pages the database already had; none may fail any other way.
    expect([...statuses.keys()].every((status) => status === 201 || status === 503)).toBe(true);
    expect(refused?.body.error.code).toBe('DATABASE_STORAGE');

    rmSync(filler);
    const after = await submit(1_000);
    expect(after.status).toBe(201);
    // Every answered request is on record with its audit events; the chain verifies.
    const verify = await gatehouse.api('/v1/audit/verify', { token: gatehouse.adminToken, body: {} });
    expect(verify.status).toBe(200);
    expect(verify.body.ok).toBe(true);
  }, 120_000);

  it('refuses to start on a read-only data directory, saying so', async () => {
    await gatehouse.stop();
    execFileSync('mount', ['-o', 'remount,ro', mountPoint]);
    const second = spawnNode('apps/cli/src/main.ts', ['start'], {
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_PORT: '0',
      DATABASE_URL: '',
      REDIS_URL: '',
    });
    expect(await second.exited).toBe(1);
    expect(second.output()).toContain(
      `data directory ${dataDir} cannot be written: it is on a read-only file system`,
    );
  }, 60_000);
});
