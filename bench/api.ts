import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase } from '../test/support/postgres.ts';
import { spawnNode } from '../test/support/processes.ts';
import { closedLoop, type LoadResult, openLoop, type Target } from './load.ts';
import { type BenchResult, percentile } from './types.ts';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const FIXED_RATE = 500;
const CONNECTIONS = 32;
/** Runs vary by ±30% on a shared 2-core machine; variants are interleaved and the median kept. */
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);

/**
 * The auto-approve path over HTTP — authenticate the session, score, sign the verdict,
 * commit the request with its audit events to PostgreSQL — against a bare fastify JSON
 * echo in one process, measured by the same load generator in this one. The headline is
 * `gatehouse start` as it runs by default (one worker per core); the one-worker rows isolate
 * what the evidence costs.
 */
export async function benchApi(): Promise<BenchResult[]> {
  const echo = spawnNode('bench/echo-server.ts', [], {});
  try {
    const echoOrigin = (await echo.waitFor(/listening on (http:\/\/\S+)/))[1]!;
    const baseline: Target = {
      origin: echoOrigin,
      path: '/echo',
      headers: { 'content-type': 'application/json' },
      body: BODY,
    };
    await closedLoop(baseline, CONNECTIONS, 2);
    const eMax = await closedLoop(baseline, CONNECTIONS, SECONDS);
    const eFixed = await openLoop(baseline, FIXED_RATE, SECONDS);
    const rounds: Record<Variant, LoadResult>[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      rounds.push({
        workers: await withGatehouse('workers', maxThroughput),
        chain: await withGatehouse('chain', maxThroughput),
        unchained: await withGatehouse('unchained', maxThroughput),
        none: await withGatehouse('none', maxThroughput),
      });
    }
    const rate = (r: LoadResult) => r.completed / r.seconds;
    const median = (variant: Variant) =>
      rounds.map((r) => r[variant]).sort((a, b) => rate(a) - rate(b))[Math.floor(rounds.length / 2)]!;
    const workers = { max: median('workers'), fixed: await withGatehouse('workers', fixedRate) };
    const full = { max: median('chain') };
    const unchained = { max: median('unchained') };
    const bare = { max: median('none') };
    const embedded = await withGatehouse('embedded', maxThroughput);
    const spread = (variant: Variant) => rounds.map((r) => rate(r[variant]).toFixed(0)).join(' / ');
    const errors = (r: LoadResult) => (r.errors > 0 ? `, ${r.errors} errors` : '');
    const ofEcho = (r: LoadResult) => `${((rate(r) / rate(eMax)) * 100).toFixed(1)}% of echo`;
    const cut = (baseline: LoadResult) => `${((1 - rate(full.max) / rate(baseline)) * 100).toFixed(1)}%`;
    const row = (name: string, r: LoadResult, notes: string): BenchResult => ({
      name,
      opsPerSec: rate(r),
      p50Ms: percentile(r.latencies, 50),
      p99Ms: percentile(r.latencies, 99),
      notes: `${notes}${errors(r)}`,
    });
    return [
      row(
        `auto-approve over HTTP, max (${availableParallelism()} workers)`,
        workers.max,
        `median of ${spread('workers')}; ${ofEcho(workers.max)}`,
      ),
      row('same, one worker', full.max, `median of ${spread('chain')}; ${ofEcho(full.max)}`),
      row(
        'one worker, audit rows without the chain',
        unchained.max,
        `median of ${spread('unchained')}; the hash chain costs ${cut(unchained.max)}`,
      ),
      row(
        'one worker, no audit rows at all',
        bare.max,
        `median of ${spread('none')}; all evidence costs ${cut(bare.max)}`,
      ),
      row('embedded (PGlite), max', embedded, `one process, one run; ${ofEcho(embedded)}`),
      row('fastify JSON echo, max', eMax, `one process, ${CONNECTIONS} connections`),
      row(
        `auto-approve over HTTP, ${FIXED_RATE}/s (${availableParallelism()} workers)`,
        workers.fixed,
        `p99 ${(percentile(workers.fixed.latencies, 99) / percentile(eFixed.latencies, 99)).toFixed(1)}x echo`,
      ),
      row(`fastify JSON echo, ${FIXED_RATE}/s`, eFixed, ''),
    ];
  } finally {
    await echo.stop();
  }
}

const BODY = JSON.stringify({
  kind: 'shell',
  command: 'git status --short',
  context: { cwd: '/srv/app', environment: 'dev' },
});

/**
 * `gatehouse start` as configured by default (one worker per core), the same with one worker,
 * a one-worker baseline with the audit trail altered (see server-without-chain.ts), or the
 * embedded mode.
 */
type Variant = 'workers' | 'chain' | 'unchained' | 'none';

const warm = (decisions: Target) => closedLoop(decisions, CONNECTIONS, 2); // JIT, pool, caches
const maxThroughput = async (decisions: Target) => {
  await warm(decisions);
  return closedLoop(decisions, CONNECTIONS, SECONDS);
};
const fixedRate = async (decisions: Target) => {
  await warm(decisions);
  return openLoop(decisions, FIXED_RATE, SECONDS);
};

/** Starts a Gatehouse on a fresh database and measures its auto-approve path. */
async function withGatehouse(
  variant: Variant | 'embedded',
  measure: (decisions: Target) => Promise<LoadResult>,
) {
  if (variant === 'unchained' || variant === 'none') {
    const env = { GATEHOUSE_BENCH_AUDIT: variant, GATEHOUSE_WORKERS: '1' };
    return withGatehouseProcess({ entry: 'bench/server-without-chain.ts', args: [], env }, measure);
  }
  const env: Record<string, string> =
    variant === 'chain' ? { GATEHOUSE_WORKERS: '1' } : variant === 'embedded' ? { DATABASE_URL: '' } : {};
  return withGatehouseProcess({ entry: 'apps/cli/bin/gatehouse.js', args: ['start'], env }, measure);
}

export interface GatehouseProcess {
  entry: string;
  args: string[];
  env: Record<string, string>;
  nodeArgs?: string[];
}

/**
 * Runs `process` on a fresh PostgreSQL database with an agent session, hands `measure` the
 * auto-approve target, and stops the process (gracefully, so a `--cpu-prof` profile is written).
 */
export interface RunningBenchGatehouse {
  origin: string;
  adminToken: string;
  /** The process and its workers, for memory readings. */
  pids(): number[];
}

export async function withGatehouseProcess<T>(
  process: GatehouseProcess,
  measure: (decisions: Target, gatehouse: RunningBenchGatehouse) => Promise<T>,
): Promise<T> {
  const database = await createTestDatabase('gh_bench');
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-bench-'));
  const adminToken = `bench-${randomBytes(16).toString('hex')}`;
  const gatehouse = spawnNode(
    process.entry,
    process.args,
    {
      DATABASE_URL: database.url,
      REDIS_URL: '',
      GATEHOUSE_DATA_DIR: dataDir,
      GATEHOUSE_PORT: '0',
      GATEHOUSE_ADMIN_TOKEN: adminToken,
      GATEHOUSE_LOG_LEVEL: 'warn',
      ...process.env,
    },
    { nodeArgs: process.nodeArgs ?? [] },
  );
  try {
    const origin = (await gatehouse.waitFor(/listening on (http:\/\/\S+)/, 60_000))[1]!;
    const post = async (path: string, token: string, body: unknown) => {
      const response = await fetch(new URL(path, origin), {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return (await response.json()) as Record<string, string>;
    };
    const agent = await post('/v1/agents', adminToken, { name: 'bench', type: 'ci' });
    const session = await post('/v1/sessions', agent.key!, { ttlSeconds: 3600 });
    const decisions: Target = {
      origin,
      path: '/v1/requests',
      headers: { authorization: `Bearer ${session.token}`, 'content-type': 'application/json' },
      body: BODY,
    };
    const pid = gatehouse.child.pid!;
    const pids = () => [pid, ...childrenOf(pid)];
    return await measure(decisions, { origin, adminToken, pids });
  } finally {
    await gatehouse.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Node children of `pid` (cluster workers), not the compiler service tsx starts. */
function childrenOf(pid: number): number[] {
  try {
    return execFileSync('pgrep', ['-P', String(pid), '-f', 'start'], { encoding: 'utf8' })
      .trim()
      .split('\n')
      .filter(Boolean)
      .map(Number);
  } catch {
    return []; // pgrep exits 1 when there are none
  }
}
