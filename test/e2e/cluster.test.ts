import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { GatehouseClient } from '@gatehouse/sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createTestDatabase, type TestDatabase } from '../support/postgres.ts';
import { type Spawned, spawnNode } from '../support/processes.ts';

/**
 * `gatehouse start --workers 2` on PostgreSQL without Redis: two API processes behind one port,
 * live events passed between them by the primary. node:cluster hands connections out
 * round-robin, so consecutive new connections land on alternate workers.
 */
describe('gatehouse start --workers 2', () => {
  let database: TestDatabase;
  let gatehouse: Spawned;
  let url: string;
  const adminToken = `e2e-admin-${randomBytes(16).toString('hex')}`;

  beforeAll(async () => {
    database = await createTestDatabase();
    gatehouse = spawnNode('apps/cli/src/main.ts', ['start', '--workers', '2'], {
      DATABASE_URL: database.url,
      REDIS_URL: '',
      GATEHOUSE_ADMIN_TOKEN: adminToken,
      GATEHOUSE_MASTER_KEY: randomBytes(32).toString('base64'),
      GATEHOUSE_PORT: '0',
      GATEHOUSE_DB_POOL_SIZE: '4',
    });
    url = (await gatehouse.waitFor(/listening on (http:\/\/\S+) .*2 workers/, 60_000))[1]!;
  }, 90_000);

  afterAll(async () => {
    await gatehouse?.stop();
    await database?.drop();
  });

  /** One call on a connection of its own, so successive calls alternate between the workers. */
  function call(path: string, token: string, body?: unknown): Promise<{ status: number; body: any }> {
    return new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = httpRequest(
        new URL(path, url),
        {
          method: payload === undefined ? 'GET' : 'POST',
          agent: false,
          headers: {
            authorization: `Bearer ${token}`,
            ...(payload === undefined ? {} : { 'content-type': 'application/json' }),
          },
        },
        (res) => {
          let text = '';
          res.on('data', (chunk) => {
            text += chunk;
          });
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body: JSON.parse(text || 'null') }));
        },
      );
      req.on('error', reject);
      req.end(payload);
    });
  }

  function openStream(token: string): Promise<{ ws: WebSocket; messages: any[] }> {
    return new Promise((resolve, reject) => {
      const ws = new WebSocket(`${url.replace('http', 'ws')}/v1/stream`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const messages: any[] = [];
      ws.on('message', (m) => messages.push(JSON.parse(String(m))));
      ws.on('open', () => resolve({ ws, messages }));
      ws.on('error', reject);
    });
  }

  async function until<T>(probe: () => T | undefined | Promise<T | undefined>, ms = 10_000): Promise<T> {
    const end = Date.now() + ms;
    for (;;) {
      const value = await probe();
      if (value !== undefined && value !== false) return value;
      if (Date.now() > end) throw new Error('condition not met in time');
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  it('every stream, on either worker, sees a request submitted on any worker; the waiting agent gets its verdict', async () => {
    const alice = (await call('/v1/users', adminToken, { email: 'alice@example.com', roles: ['approver'] }))
      .body;
    const agent = (await call('/v1/agents', adminToken, { name: 'cluster-agent', type: 'ci' })).body;
    const streams = await Promise.all([1, 2, 3, 4].map(() => openStream(alice.token)));

    const client = new GatehouseClient({ url, agentKey: agent.key, timeoutMs: 60_000 });
    const command = 'rm build/output.log';
    const decision = client.authorize({ kind: 'shell', command, context: { justification: 'clean up' } });
    const pending = await until(() =>
      streams[0]!.messages.find((m) => m.type === 'request.created' && m.data.command === command),
    );
    for (const stream of streams) {
      await until(() =>
        stream.messages.some((m) => m.type === 'request.created' && m.data.id === pending.data.id),
      );
    }
    // Decided through yet other connections; the agent's wait may sit on either worker.
    const approved = await call(`/v1/requests/${pending.data.id}/decisions`, alice.token, {
      decision: 'approve',
      comment: 'fine',
    });
    expect(approved.body).toMatchObject({ status: 'approved' });
    await expect(decision).resolves.toMatchObject({ allowed: true, status: 'approved' });
    for (const stream of streams) {
      await until(() =>
        stream.messages.some(
          (m) =>
            m.type === 'request.updated' && m.data.id === pending.data.id && m.data.status === 'approved',
        ),
      );
      stream.ws.close();
    }
    client.close();
  }, 60_000);

  it('a revoked session is refused on both workers within a second', async () => {
    const agent = (await call('/v1/agents', adminToken, { name: 'revoked', type: 'ci' })).body;
    const session = (await call('/v1/sessions', agent.key, {})).body;
    expect((await call('/v1/requests', session.token, { kind: 'shell', command: 'ls' })).status).toBe(201);
    expect((await call(`/v1/sessions/${session.sessionId}/revoke`, adminToken, {})).status).toBe(200);
    await new Promise((r) => setTimeout(r, 1_000));
    // Four fresh connections: two on each worker.
    for (let i = 0; i < 4; i++) {
      const r = await call('/v1/requests', session.token, { kind: 'shell', command: 'ls' });
      expect(r.status).toBe(401);
      expect(r.body.error.code).toBe('SESSION_REVOKED');
    }
  });

  it('a worker killed with SIGKILL is restarted, and the service answers throughout', async () => {
    const agent = (await call('/v1/agents', adminToken, { name: 'survivor', type: 'ci' })).body;
    const session = (await call('/v1/sessions', agent.key, {})).body;
    const workers = execFileSync('pgrep', ['-P', String(gatehouse.child.pid), '-f', 'main.ts start'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map(Number);
    expect(workers).toHaveLength(2);
    process.kill(workers[0]!, 'SIGKILL');
    await gatehouse.waitFor(/worker \d exited \(SIGKILL\); restarting it/);
    // The other worker answers while the first comes back.
    const answered = await until(async () => {
      const r = await call('/v1/requests', session.token, { kind: 'shell', command: 'ls' }).catch(
        () => undefined,
      );
      return r?.status === 201 ? r : undefined;
    });
    expect(answered.body.id).toEqual(expect.any(String));
    const restarted = await until(() => {
      const now = execFileSync('pgrep', ['-P', String(gatehouse.child.pid), '-f', 'main.ts start'], {
        encoding: 'utf8',
      })
        .trim()
        .split('\n')
        .map(Number);
      return now.length === 2 && !now.includes(workers[0]!) ? now : undefined;
    }, 30_000);
    expect(restarted).toContain(workers[1]);
    // Once it serves again, both workers answer: every one of six fresh connections succeeds.
    await new Promise((r) => setTimeout(r, 3_000));
    await until(async () => {
      const results = await Promise.all(
        [1, 2, 3, 4, 5, 6].map(() =>
          call('/v1/requests', session.token, { kind: 'shell', command: 'ls' }).catch(() => ({ status: 0 })),
        ),
      );
      return results.every((r) => r.status === 201) || undefined;
    }, 30_000);
  }, 90_000);

  it('stops every worker on SIGTERM and exits 0', async () => {
    const workers = execFileSync('pgrep', ['-P', String(gatehouse.child.pid), '-f', 'main.ts start'], {
      encoding: 'utf8',
    })
      .trim()
      .split('\n')
      .map(Number);
    gatehouse.child.kill('SIGTERM');
    expect(await gatehouse.exited).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  }, 30_000);
});
