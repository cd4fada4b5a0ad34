import { AuditWriter } from '../packages/server/src/audit/writer.ts';

/**
 * Benchmark baseline only: `gatehouse start` with the audit events of group-committed
 * changes dropped, so the benchmark can state what the chain costs the decision path.
 * Production code has no switch for this; the baseline exists only here.
 */
const commit = AuditWriter.prototype.commit;
AuditWriter.prototype.commit = function (this: AuditWriter, change) {
  return commit.call(this, { ...change, events: [] });
};
process.argv.splice(2, process.argv.length, 'start');
await import('../apps/cli/src/main.ts');
