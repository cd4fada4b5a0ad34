import { migrate, openDatabase, schema } from '@gatehouse/db';
import { AuditWriter, verifyDatabase } from '@gatehouse/server';
import { createTestDatabase } from '../test/support/postgres.ts';
import { type BenchResult, percentile } from './types.ts';
import { UnchainedAudit } from './unchained-audit.ts';

const DECISIONS = Number(process.env.BENCH_AUDIT_DECISIONS ?? 20_000);
const CONCURRENCY = 64;

/**
 * The cost of the audit chain on PostgreSQL, through the same group-commit path the API
 * uses for auto decisions: the request row alone, with its two events as plain rows, and
 * with the two events chained (submitted, verdict). The ratios are what the chain, and the
 * evidence as a whole, cost the decision path at the storage layer; `audit verify` is then
 * timed over the log this produced.
 */
export async function benchAudit(): Promise<BenchResult[]> {
  const database = await createTestDatabase('gh_bench_audit');
  const handle = await openDatabase({ url: database.url, dataDir: '', poolSize: 10 });
  try {
    await migrate(handle.db);
    await handle.db
      .insert(schema.agents)
      .values({ id: 'agt_bench', name: 'bench', type: 'ci', keyHash: 'x', createdBy: 'bench' });
    const audit = new AuditWriter(handle.db);
    const request = (i: number, run: string) => ({
      id: `req_${run}_${i}`,
      agentId: 'agt_bench',
      sessionId: 'ses_bench',
      kind: 'shell' as const,
      dialect: null,
      command: `git status --short ${i}`,
      target: null,
      context: { cwd: '/srv/app', environment: 'dev' },
      cmdHash: 'x'.repeat(43),
      score: 10,
      tier: 'auto' as const,
      reasons: [{ rule: 'shell.git.read', category: 'read_only', weight: 0, detail: 'git status' }],
      commands: [
        { kind: 'shell', name: 'git', args: ['status', '--short'], text: 'git status --short', via: [] },
      ],
      policyVersion: '2026.11.1',
      whitelistedBy: null,
      status: 'auto_approved' as const,
      requiredApprovals: 0,
      deadline: null,
      createdAt: new Date(),
      decidedAt: new Date(),
      verdict: 'e'.repeat(600),
      verdictExpiresAt: new Date(),
      consumedAt: null,
    });
    const events = (i: number, run: string) => [
      {
        type: 'request.submitted',
        actor: { type: 'agent' as const, id: 'agt_bench' },
        subject: { type: 'request', id: `req_${run}_${i}` },
        data: {
          command: `git status --short ${i}`,
          score: 10,
          tier: 'auto',
          reasons: [{ rule: 'shell.git.read' }],
        },
      },
      {
        type: 'verdict.issued',
        actor: { type: 'system' as const, id: 'gatehouse' },
        subject: { type: 'request', id: `req_${run}_${i}` },
        data: { status: 'auto_approved', decision: 'allow', verdict: 'e'.repeat(600) },
      },
    ];
    // The same events as plain rows, never linked: what an audit table without a chain costs.
    const unchained = new UnchainedAudit('unchained');
    type Mode = 'none' | 'unchained' | 'chain';
    const run = async (name: string, mode: Mode) => {
      const latencies: number[] = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          while (next < DECISIONS) {
            const i = next++;
            const t0 = performance.now();
            await audit.commit({
              inserts: [
                [schema.requests, request(i, name)],
                ...(mode === 'unchained' ? unchained.inserts(events(i, name)) : []),
              ],
              events: mode === 'chain' ? events(i, name) : [],
            });
            latencies.push(performance.now() - t0);
          }
        }),
      );
      const seconds = (performance.now() - started) / 1000;
      latencies.sort((a, b) => a - b);
      return {
        opsPerSec: DECISIONS / seconds,
        p50Ms: percentile(latencies, 50),
        p99Ms: percentile(latencies, 99),
      };
    };
    await run('warm', 'chain');
    const bare = await run('bare', 'none');
    const chained = await run('chain', 'chain');
    // Verified before the unchained rows exist: they would (rightly) fail verification.
    const t0 = performance.now();
    const report = await verifyDatabase(handle.db, []);
    const verifySeconds = (performance.now() - t0) / 1000;
    const plain = await run('unchained', 'unchained');
    const cut = (baseline: { opsPerSec: number }) =>
      `${((1 - chained.opsPerSec / baseline.opsPerSec) * 100).toFixed(1)}%`;
    return [
      { name: 'decision writes, no audit rows', ...bare, notes: `${CONCURRENCY} concurrent, group commit` },
      { name: 'decision writes + 2 unchained rows', ...plain, notes: 'the same events, not linked' },
      {
        name: 'decision writes + 2 chained events',
        ...chained,
        notes: `${(chained.opsPerSec * 2).toFixed(0)} events/s; the chain costs ${cut(plain)}, all evidence ${cut(bare)}`,
      },
      {
        name: 'audit verify',
        opsPerSec: report.events / verifySeconds,
        p50Ms: Number.NaN,
        p99Ms: Number.NaN,
        notes: `${report.events} events in ${report.chains} chains, ${report.ok ? 'verified' : 'FAILED'}`,
      },
    ];
  } finally {
    await handle.close();
    await database.drop();
  }
}
