import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
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
 * echo, both in their own process, measured by the same load generator in this one.
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
        chain: await withGatehouse('chain', maxThroughput),
        unchained: await withGatehouse('unchained', maxThroughput),
        none: await withGatehouse('none', maxThroughput),
      });
    }
    const rate = (r: LoadResult) => r.completed / r.seconds;
    const median = (variant: Variant) =>
      rounds.map((r) => r[variant]).sort((a, b) => rate(a) - rate(b))[Math.floor(rounds.length / 2)]!;
    const full = { max: median('chain'), fixed: await withGatehouse('chain', fixedRate) };
    const unchained = { max: median('unchained') };
    const bare = { max: median('none') };
    const spread = (variant: Variant) => rounds.map((r) => rate(r[variant]).toFixed(0)).join(' / ');
    const errors = (r: LoadResult) => (r.errors > 0 ? `, ${r.errors} errors` : '');
    const cut = (baseline: LoadResult) => `${((1 - rate(full.max) / rate(baseline)) * 100).toFixed(1)}%`;
    return [
      {
        name: 'auto-approve over HTTP, max',
        opsPerSec: rate(full.max),
        p50Ms: percentile(full.max.latencies, 50),
        p99Ms: percentile(full.max.latencies, 99),
        notes: `median of ${spread('chain')}; ${((rate(full.max) / rate(eMax)) * 100).toFixed(1)}% of echo${errors(full.max)}`,
      },
      {
        name: 'same, audit rows without the chain',
        opsPerSec: rate(unchained.max),
        p50Ms: percentile(unchained.max.latencies, 50),
        p99Ms: percentile(unchained.max.latencies, 99),
        notes: `median of ${spread('unchained')}; the hash chain costs ${cut(unchained.max)}`,
      },
      {
        name: 'same, no audit rows at all',
        opsPerSec: rate(bare.max),
        p50Ms: percentile(bare.max.latencies, 50),
        p99Ms: percentile(bare.max.latencies, 99),
        notes: `median of ${spread('none')}; all evidence costs ${cut(bare.max)}`,
      },
      {
        name: 'fastify JSON echo, max',
        opsPerSec: rate(eMax),
        p50Ms: percentile(eMax.latencies, 50),
        p99Ms: percentile(eMax.latencies, 99),
        notes: `${CONNECTIONS} connections${errors(eMax)}`,
      },
      {
        name: `auto-approve over HTTP, ${FIXED_RATE}/s`,
        opsPerSec: rate(full.fixed),
        p50Ms: percentile(full.fixed.latencies, 50),
        p99Ms: percentile(full.fixed.latencies, 99),
        notes: `p99 ${(percentile(full.fixed.latencies, 99) / percentile(eFixed.latencies, 99)).toFixed(1)}x echo${errors(full.fixed)}`,
      },
      {
        name: `fastify JSON echo, ${FIXED_RATE}/s`,
        opsPerSec: rate(eFixed),
        p50Ms: percentile(eFixed.latencies, 50),
        p99Ms: percentile(eFixed.latencies, 99),
        notes: errors(eFixed),
      },
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

/** The real server, or a benchmark baseline with the audit trail altered (see server-without-chain.ts). */
type Variant = 'chain' | 'unchained' | 'none';

const warm = (decisions: Target) => closedLoop(decisions, CONNECTIONS, 2); // JIT, pool, caches
const maxThroughput = async (decisions: Target) => {
  await warm(decisions);
  return closedLoop(decisions, CONNECTIONS, SECONDS);
};
const fixedRate = async (decisions: Target) => {
  await warm(decisions);
  return openLoop(decisions, FIXED_RATE, SECONDS);
};

/** Starts a Gatehouse on a fresh PostgreSQL database and measures its auto-approve path. */
async function withGatehouse(variant: Variant, measure: (decisions: Target) => Promise<LoadResult>) {
  const database = await createTestDatabase('gh_bench');
  const dataDir = mkdtempSync(join(tmpdir(), 'gh-bench-'));
  const adminToken = `bench-${randomBytes(16).toString('hex')}`;
  const [entry, args] =
    variant === 'chain' ? ['apps/cli/bin/gatehouse.js', ['start']] : ['bench/server-without-chain.ts', []];
  const gatehouse = spawnNode(entry, args, {
    GATEHOUSE_BENCH_AUDIT: variant,
    DATABASE_URL: database.url,
    REDIS_URL: '',
    GATEHOUSE_DATA_DIR: dataDir,
    GATEHOUSE_PORT: '0',
    GATEHOUSE_ADMIN_TOKEN: adminToken,
    GATEHOUSE_LOG_LEVEL: 'warn',
  });
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
    return await measure(decisions);
  } finally {
    await gatehouse.stop();
    await database.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
