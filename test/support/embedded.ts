import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Spawned, spawnNode } from './processes.ts';

export interface Answer {
  status: number;
  body: any;
  ms: number;
}

export interface EmbeddedGatehouse {
  url: string;
  adminToken: string;
  dataDir: string;
  server: Spawned;
  /** Every call is bounded: a call that does not answer in `timeoutMs` fails the test. */
  api(
    path: string,
    init?: { method?: string; token?: string; body?: unknown; timeoutMs?: number },
  ): Promise<Answer>;
  createAgent(body: { name: string; type: string; owner?: string; environments?: string[] }): Promise<{
    id: string;
    key: string;
  }>;
  createUser(email: string, roles: string[], password?: string): Promise<{ id: string; token: string }>;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * `gatehouse start` as `npm start` runs it, in its own process: PGlite in a fresh data dir,
 * jobs in-process, no DATABASE_URL or REDIS_URL. `policy` is YAML appended to a policy that
 * extends the default one (a short approval deadline, say).
 */
export async function startEmbedded(
  options: { policy?: string; env?: Record<string, string> } = {},
): Promise<EmbeddedGatehouse> {
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-embedded-'));
  const env: Record<string, string> = {
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_PORT: '0',
    DATABASE_URL: '',
    REDIS_URL: '',
    ...options.env,
  };
  if (options.policy !== undefined) {
    const file = join(dataDir, 'policy.yaml');
    writeFileSync(file, `extends: default\nversion: test\n${options.policy}\n`);
    env.GATEHOUSE_POLICY_FILE = file;
  }
  const server = spawnNode('apps/cli/src/main.ts', ['start'], env);
  const url = (await server.waitFor(/listening on (http:\/\/\S+)/, 90_000))[1]!;
  const adminToken = (await server.waitFor(/admin token[^\n]*\n\s+(\S+)/))[1]!;

  const api: EmbeddedGatehouse['api'] = async (path, init = {}) => {
    const started = Date.now();
    const timeoutMs = init.timeoutMs ?? 15_000;
    let response: Response;
    try {
      response = await fetch(new URL(path, url), {
        method: init.method ?? (init.body === undefined ? 'GET' : 'POST'),
        headers: {
          ...(init.token ? { authorization: `Bearer ${init.token}` } : {}),
          ...(init.body === undefined ? {} : { 'content-type': 'application/json' }),
        },
        body: init.body === undefined ? undefined : JSON.stringify(init.body),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new Error(`${init.method ?? 'call'} ${path} did not answer within ${timeoutMs} ms: ${error}`);
    }
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined, ms: Date.now() - started };
  };
  const created = async (path: string, body: unknown) => {
    const answer = await api(path, { token: adminToken, body });
    if (answer.status !== 201) throw new Error(`${path}: ${answer.status} ${JSON.stringify(answer.body)}`);
    return answer.body;
  };
  return {
    url,
    adminToken,
    dataDir,
    server,
    api,
    createAgent: (body) => created('/v1/agents', body),
    createUser: (email, roles, password) =>
      created('/v1/users', { email, roles, ...(password === undefined ? {} : { password }) }),
    stop: async (signal) => {
      await server.stop(signal);
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
