import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Spawned, spawnNode } from './processes.ts';

/** What a test sees of one HTTP answer: how long it took matters as much as what it said. */
export interface Answer {
  status: number;
  body: any;
  ms: number;
  retryAfter: string | null;
}

export interface CallInit {
  method?: string;
  token?: string;
  body?: unknown;
  /** A hang is a failure of its own: the test must not wait for it. */
  timeoutMs?: number;
}

/** One JSON call to a Gatehouse API; a non-JSON body comes back as its text. */
export async function call(base: string, path: string, init: CallInit = {}): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(new URL(path, base), {
    method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
    headers: {
      ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
      ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    body: init.body === undefined ? undefined : JSON.stringify(init.body),
    signal: AbortSignal.timeout(init.timeoutMs ?? 15_000),
  });
  const text = await response.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {}
  return {
    status: response.status,
    body,
    ms: performance.now() - started,
    retryAfter: response.headers.get('retry-after'),
  };
}

export interface DistributedOptions {
  databaseUrl: string;
  redisUrl: string;
  /** Keeps this deployment's jobs and events apart from any other on the same Redis. */
  redisPrefix: string;
  /** API processes to start; default 1. */
  apis?: number;
  /** Start the job worker too; default true. */
  worker?: boolean;
  /** More environment for every process (a policy file, short intervals). */
  env?: Record<string, string>;
}

/** API processes and a job worker sharing PostgreSQL and Redis, as in production. */
export interface Distributed {
  /** Base URLs of the API processes, in start order. */
  apis: string[];
  adminToken: string;
  /** The environment every process got: for a process the test starts itself. */
  env: Record<string, string>;
  api: Spawned[];
  worker?: Spawned;
  /** Starts another worker (after the test killed one, say) and waits until it runs. */
  startWorker(): Promise<Spawned>;
  stop(): Promise<void>;
}

export async function startDistributed(options: DistributedOptions): Promise<Distributed> {
  const adminToken = `e2e-admin-${randomBytes(16).toString('hex')}`;
  // One data dir for all: the audit witness file lives there, not in the repository.
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-distributed-'));
  const env: Record<string, string> = {
    DATABASE_URL: options.databaseUrl,
    REDIS_URL: options.redisUrl,
    GATEHOUSE_REDIS_PREFIX: options.redisPrefix,
    GATEHOUSE_ADMIN_TOKEN: adminToken,
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_MASTER_KEY: randomBytes(32).toString('base64'),
    GATEHOUSE_HOST: '127.0.0.1',
    GATEHOUSE_PORT: '0',
    GATEHOUSE_DB_POOL_SIZE: '4',
    ...options.env,
  };
  const started: Spawned[] = [];
  const startWorker = async () => {
    const worker = spawnNode('apps/worker/src/main.ts', [], env);
    started.push(worker);
    await worker.waitFor(/worker running/, 60_000);
    return worker;
  };
  const stop = async () => {
    await Promise.all(started.map((p) => p.stop()));
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const api = Array.from({ length: options.apis ?? 1 }, () => spawnNode('apps/api/src/main.ts', [], env));
    started.push(...api);
    const [apis, worker] = await Promise.all([
      Promise.all(api.map(async (p) => (await p.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!)),
      options.worker === false ? undefined : startWorker(),
    ]);
    return { apis, adminToken, env, api, ...(worker ? { worker } : {}), startWorker, stop };
  } catch (error) {
    await stop();
    throw error;
  }
}
