import type { ParsedCommand } from '@gatehouse/risk';
import { compilePattern, coveringGrant, type LiveGrant, LiveGrants } from '@gatehouse/server';
import { type BenchResult, percentile } from './types.ts';

const CALLS = Number(process.env.BENCH_GRANT_CALLS ?? 200_000);

/**
 * What the grant step adds to each submission: finding the covering grant among the
 * requesting agent's live grants, as the registry holds them (`LiveGrants`, in memory, no I/O). 1,000 live grants (200 agents × 5: connection and
 * command grants, some expired by the clock); half the calls are covered. Times batches of
 * 1,000 calls, so p50/p99 are per call. The bar: well under the anomaly check's few µs.
 */
export async function benchGrants(): Promise<BenchResult[]> {
  const now = Date.now();
  const grants: LiveGrant[] = [];
  const programs = ['', 'kubectl', 'helm', 'terraform', 'git'];
  for (let a = 0; a < 200; a++)
    for (let g = 0; g < 5; g++)
      grants.push({
        id: `grt_${a}_${g}`,
        agentId: `agt_${a}`,
        scope:
          g === 0
            ? { type: 'connection', connection: `db-${a % 10}` }
            : {
                type: 'command',
                kind: 'shell',
                match: compilePattern('shell', { program: [programs[g]!] })!,
              },
        ceiling: g % 2 ? 'review' : 'multi_party',
        startsAt: new Date(now - 60_000),
        // One in five already over by the clock: still in memory until the timer drops it.
        endsAt: new Date(now + (g === 4 ? -1 : 3_600_000)),
      });
  const commands: ParsedCommand[] = [
    { kind: 'shell', name: 'kubectl', args: ['delete', 'pod', 'web-1'], text: '', via: [] },
  ];
  const reasons = [{ rule: 'shell.kube.delete', category: 'irreversible' as const, weight: 59, detail: '' }];
  const live = new LiveGrants(grants);
  const at = new Date(now);
  let covered = 0;
  const batches: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i += 1000) {
    const b0 = performance.now();
    for (let j = i; j < i + 1000; j++) {
      const candidate = {
        agentId: `agt_${j % 400}`, // half the agents hold no grant
        kind: 'shell' as const,
        assessment: { tier: 'review' as const, reasons, commands },
      };
      if (coveringGrant(live.of(candidate.agentId), candidate, at)) covered++;
    }
    batches.push((performance.now() - b0) / 1000);
  }
  const seconds = (performance.now() - t0) / 1000;
  batches.sort((a, b) => a - b);
  return [
    {
      name: 'grant step (hot path, per call, 1,000 live grants)',
      opsPerSec: CALLS / seconds,
      p50Ms: percentile(batches, 50),
      p99Ms: percentile(batches, 99),
      notes: `${CALLS} calls, ${((covered / CALLS) * 100).toFixed(0)}% covered`,
    },
  ];
}
