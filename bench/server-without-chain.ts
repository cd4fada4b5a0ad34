import { AuditWriter, closeOnSignals, type InsertOnlyChange, loadConfig, serve } from '@gatehouse/server';
import { UnchainedAudit } from './unchained-audit.ts';

/**
 * Benchmark baselines only: `gatehouse start` with the audit trail of group-committed changes
 * altered, so the benchmark can state what the chain costs the decision path. Production code
 * has no switch for this; the baselines exist only here.
 *
 * - `unchained`: the same audit rows in the same statement, without hashes or lanes — what an
 *   audit table without a hash chain would cost. The difference to it is the chain's cost.
 * - `none`: no audit rows at all — what writing evidence costs in total.
 */
const mode = process.env.GATEHOUSE_BENCH_AUDIT;
if (mode !== 'unchained' && mode !== 'none')
  throw new Error('GATEHOUSE_BENCH_AUDIT must be unchained or none');

const commit = AuditWriter.prototype.commit;
// One pseudo-chain per process: unique positions, no hashing.
const unchained = new UnchainedAudit(`unchained.${process.pid}`);
AuditWriter.prototype.commit = function (this: AuditWriter, change: InsertOnlyChange) {
  if (mode === 'none') return commit.call(this, { ...change, events: [] });
  return commit.call(this, { inserts: [...change.inserts, ...unchained.inserts(change.events)], events: [] });
};
// What `gatehouse start` runs, through the server's public entry point: the CLI is a command,
// not a library, and only its output line (which bench/api.ts waits for) matters here.
const config = loadConfig();
const running = await serve(config, { http: true, jobs: true, logger: { level: config.logLevel } });
closeOnSignals(running);
process.stdout.write(`gatehouse listening on ${running.url} (audit: ${mode})\n`);
