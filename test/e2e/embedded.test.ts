import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GatehouseClient } from '@gatehouse/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Spawned, spawnNode } from '../support/processes.ts';

/**
 * The zero-setup mode: `gatehouse start` with no DATABASE_URL or REDIS_URL, as `npm start`
 * runs it. PGlite in a data dir, jobs in-process, one process per data dir.
 */
describe('embedded mode', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-embedded-'));
  const env = { GATEHOUSE_DATA_DIR: dataDir, GATEHOUSE_PORT: '0', DATABASE_URL: '', REDIS_URL: '' };
  let server: Spawned;
  let url: string;
  let adminToken: string;

  beforeAll(async () => {
    server = spawnNode('apps/cli/src/main.ts', ['start'], env);
    url = (await server.waitFor(/listening on (http:\/\/\S+)/, 90_000))[1]!;
    adminToken = (await server.waitFor(/admin token[^\n]*\n\s+(\S+)/))[1]!;
  }, 120_000);

  afterAll(async () => {
    await server?.stop();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('generates the admin token once, into a 0600 file', () => {
    const file = join(dataDir, 'admin-token');
    expect(readFileSync(file, 'utf8').trim()).toBe(adminToken);
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(statSync(join(dataDir, 'master.key')).mode & 0o777).toBe(0o600);
  });

  it('runs the approval loop end to end', async () => {
    const post = async (path: string, token: string, body: unknown) => {
      const response = await fetch(new URL(path, url), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: response.status, body: (await response.json()) as any };
    };
    const approver = (await post('/v1/users', adminToken, { email: 'ops@example.com', roles: ['approver'] }))
      .body;
    const agent = (await post('/v1/agents', adminToken, { name: 'laptop', type: 'coding-agent' })).body;
    const client = new GatehouseClient({ url, agentKey: agent.key, timeoutMs: 30_000 });

    const auto = await client.authorize({ kind: 'shell', command: 'git status' });
    expect(auto).toMatchObject({ allowed: true, status: 'auto_approved' });

    const pending = client.authorize({ kind: 'shell', command: 'systemctl restart nginx' });
    let id: string | undefined;
    for (let i = 0; i < 100 && !id; i++) {
      const list = await fetch(new URL('/v1/requests?status=pending', url), {
        headers: { authorization: `Bearer ${approver.token}` },
      });
      id = ((await list.json()) as any).items[0]?.id;
      if (!id) await new Promise((r) => setTimeout(r, 100));
    }
    expect(
      (await post(`/v1/requests/${id}/decisions`, approver.token, { decision: 'approve' })).body.status,
    ).toBe('approved');
    expect(await pending).toMatchObject({ allowed: true, status: 'approved' });
    client.close();
  }, 60_000);

  it('answers `gatehouse audit verify` through its API while it holds the database', async () => {
    // The same configuration as the server (data dir, port): no URL, no token given.
    const verify = spawnNode('apps/cli/src/main.ts', ['audit', 'verify'], {
      ...env,
      GATEHOUSE_PORT: new URL(url).port,
    });
    const code = await verify.exited;
    const output = verify.output();
    expect(output).toContain(
      `the embedded database is held by the running server (pid ${server.child.pid}); asking it at ${url}`,
    );
    expect(output).toMatch(/OK: every chain links and every checkpoint verifies/);
    expect(code).toBe(0);
  }, 60_000);

  it('refuses a second process on the same data dir with a clear message', async () => {
    const second = spawnNode('apps/cli/src/main.ts', ['start'], env);
    const code = await second.exited;
    expect(code).not.toBe(0);
    expect(second.output()).toMatch(/in use by another Gatehouse process \(pid \d+\)/);
  }, 60_000);
});
