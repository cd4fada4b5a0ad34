import { readFileSync } from 'node:fs';
import { withGatehouseProcess } from './api.ts';
import { type LoadResult, openLoop, type Target } from './load.ts';
import { type BenchResult, percentile } from './types.ts';

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const WINDOW_SECONDS = Math.min(60, SECONDS);
const AUTO_RATE = Number(process.env.BENCH_SOAK_RATE ?? 200);
/** Review-tier requests per second, each approved by a person through the API. */
const REVIEW_RATE = 2;

/**
 * `npm run bench soak`: `gatehouse start` (PostgreSQL, default workers) under a steady mixed
 * load for BENCH_SOAK_SECONDS (default 10 minutes): auto-approvals at a fixed rate plus a
 * trickle of review requests that an approver decides. One row per window, so a leak or a
 * latency creep shows as a trend: resident memory of all Gatehouse processes, and latency.
 */
export async function benchSoak(): Promise<BenchResult[]> {
  return withGatehouseProcess(
    { entry: 'apps/cli/bin/gatehouse.js', args: ['start'], env: {} },
    async (decisions, gatehouse) => {
      const approver = await post(gatehouse.origin, '/v1/users', gatehouse.adminToken, {
        email: 'soak@example.com',
        roles: ['approver'],
      });
      let stop = false;
      const reviews = reviewLoop(decisions, gatehouse.origin, String(approver.token), () => stop);
      const rows: BenchResult[] = [];
      try {
        for (let at = 0; at < SECONDS; at += WINDOW_SECONDS) {
          const window: LoadResult = await openLoop(decisions, AUTO_RATE, WINDOW_SECONDS);
          const rssMb = gatehouse.pids().reduce((sum, pid) => sum + residentMb(pid), 0);
          rows.push({
            name: `minute ${at / 60 + 1}`,
            opsPerSec: window.completed / window.seconds,
            p50Ms: percentile(window.latencies, 50),
            p99Ms: percentile(window.latencies, 99),
            notes: `RSS ${rssMb.toFixed(0)} MB in ${gatehouse.pids().length} processes${window.errors ? `, ${window.errors} errors` : ''}`,
          });
        }
      } finally {
        stop = true;
        await reviews;
      }
      return rows;
    },
  );
}

async function reviewLoop(decisions: Target, origin: string, approverToken: string, stopped: () => boolean) {
  const token = decisions.headers.authorization!.replace('Bearer ', '');
  for (let i = 0; !stopped(); i++) {
    const started = performance.now();
    const request = await post(origin, '/v1/requests', token, {
      kind: 'shell',
      command: `rm build/soak-${i}.log`,
    }).catch(() => undefined);
    if (request?.status === 'pending') {
      await post(origin, `/v1/requests/${request.id}/decisions`, approverToken, {
        decision: 'approve',
      }).catch(() => undefined);
    }
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 / REVIEW_RATE - (performance.now() - started))));
  }
}

async function post(origin: string, path: string, token: string, body: unknown) {
  const response = await fetch(new URL(path, origin), {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return (await response.json()) as Record<string, unknown>;
}

function residentMb(pid: number): number {
  try {
    const kb = readFileSync(`/proc/${pid}/status`, 'utf8').match(/^VmRSS:\s+(\d+) kB/m)?.[1];
    return Number(kb ?? 0) / 1024;
  } catch {
    return 0; // exited between the listing and the reading
  }
}
