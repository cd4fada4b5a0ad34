import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig, type RunningGatehouse, serve } from '@gatehouse/server';
import { createTestDatabase, TEST_REDIS_URL, type TestDatabase } from './postgres.ts';

export interface TestGatehouse {
  url: string;
  adminToken: string;
  database: TestDatabase;
  running: RunningGatehouse;
  /** Stops the server; drops the database unless it was handed in. */
  stop(): Promise<void>;
  createAgent(opts?: {
    name?: string;
    type?: string;
    owner?: string;
    environments?: string[];
  }): Promise<{ id: string; key: string }>;
  /** A password (≥ 12 characters) makes it a local account that can sign in to the web app. */
  createUser(email: string, roles: string[], password?: string): Promise<{ id: string; token: string }>;
  /** Starts a session for an agent key and returns the session token. */
  session(agentKey: string): Promise<string>;
  api(
    path: string,
    init?: { method?: string; token?: string; body?: unknown },
  ): Promise<{ status: number; body: any }>;
}

export interface StartOptions {
  env?: Record<string, string>;
  /** Reuse a database (e.g. to restart over the same state); it is then left in place on stop. */
  database?: TestDatabase;
  /** Use Redis for jobs and live events (default true); false runs them in-process. */
  redis?: boolean;
  /** Share these secrets across restarts. */
  adminToken?: string;
  masterKey?: string;
  redisPrefix?: string;
  /** Log at debug level into this array, one JSON line per entry (default: no logging). */
  logLines?: string[];
}

/**
 * A real Gatehouse (API + jobs) in this process, on 127.0.0.1 and a random port, over a
 * fresh database on the machine's PostgreSQL and a private namespace in its Redis.
 */
export async function startGatehouse(options: StartOptions = {}): Promise<TestGatehouse> {
  const database = options.database ?? (await createTestDatabase());
  const adminToken = options.adminToken ?? `test-admin-${randomBytes(16).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-test-'));
  const config = loadConfig({
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: '0',
    GATEHOUSE_DATA_DIR: dataDir,
    DATABASE_URL: database.url,
    ...(options.redis === false ? {} : { REDIS_URL: TEST_REDIS_URL }),
    GATEHOUSE_REDIS_PREFIX: options.redisPrefix ?? `gh-test-${database.name}`,
    GATEHOUSE_ADMIN_TOKEN: adminToken,
    GATEHOUSE_MASTER_KEY: options.masterKey ?? `test-master-key-${database.name}-0123456789`,
    GATEHOUSE_DB_POOL_SIZE: '5',
    ...options.env,
  });
  const lines = options.logLines;
  const running = await serve(config, {
    http: true,
    jobs: true,
    logger: lines ? { level: 'debug' } : false,
    ...(lines
      ? { logDestination: { write: (line: string) => void lines.push(...line.split('\n').filter(Boolean)) } }
      : {}),
  });
  const url = running.url!;

  const api: TestGatehouse['api'] = async (path, init = {}) => {
    const response = await fetch(new URL(path, url), {
      method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
      headers: {
        ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
        ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: init.body === undefined ? undefined : JSON.stringify(init.body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  };
  const expect201 = (r: { status: number; body: any }) => {
    if (r.status !== 201) throw new Error(`expected 201, got ${r.status}: ${JSON.stringify(r.body)}`);
    return r.body;
  };

  return {
    url,
    adminToken,
    database,
    running,
    stop: async () => {
      await running.close();
      if (!options.database) await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    },
    createAgent: async (opts = {}) =>
      expect201(
        await api('/v1/agents', {
          token: adminToken,
          body: {
            name: opts.name ?? 'test-agent',
            type: opts.type ?? 'coding-agent',
            ...(opts.owner ? { owner: opts.owner } : {}),
            ...(opts.environments ? { environments: opts.environments } : {}),
          },
        }),
      ),
    createUser: async (email, roles, password) =>
      expect201(
        await api('/v1/users', {
          token: adminToken,
          body: { email, roles, ...(password === undefined ? {} : { password }) },
        }),
      ),
    session: async (agentKey) => expect201(await api('/v1/sessions', { token: agentKey, body: {} })).token,
    api,
  };
}

/** The default policy with `touch` auto: see marker-policy.yaml. */
export const MARKER_POLICY = fileURLToPath(new URL('./marker-policy.yaml', import.meta.url));

/**
 * The candidate policy of the backtest tests and bench: the default with `terraform destroy` a
 * deny, so over a history whose destroys the default sent to multi_party exactly those move.
 */
export const NO_DESTROY_POLICY = readFileSync(new URL('./no-destroy-policy.yaml', import.meta.url), 'utf8');
