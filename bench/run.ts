import { benchAnomaly } from './anomaly.ts';
import { benchApi } from './api.ts';
import { benchAudit } from './audit.ts';
import { benchBacktest } from './backtest.ts';
import { benchBroker } from './broker.ts';
import { benchGrants } from './grants.ts';
import { benchInsights } from './insights.ts';
import { benchLatency } from './latency.ts';
import { benchMask } from './mask.ts';
import { benchRisk } from './risk.ts';
import { benchSoak } from './soak.ts';
import { type BenchResult, printTable } from './types.ts';
import { benchWhitelistReview } from './whitelist-review.ts';

/**
 * `npm run bench [risk|api|anomaly|audit|insights|backtest|broker|grants|mask|latency|whitelist|soak]` (soak only when named): medians and tails of the paths that must be fast. Figures
 * depend on the machine; the README records them with the machine they came from.
 */
const only = process.argv[2];
const suites: Record<string, () => Promise<BenchResult[]>> = {
  risk: benchRisk,
  api: benchApi,
  anomaly: benchAnomaly,
  audit: benchAudit,
  insights: benchInsights,
  backtest: benchBacktest,
  broker: benchBroker,
  grants: benchGrants,
  mask: benchMask,
  latency: benchLatency,
  whitelist: benchWhitelistReview,
};
/** Run only when named: they take minutes. */
const onRequest: Record<string, () => Promise<BenchResult[]>> = { soak: benchSoak };
if (only && !(only in suites) && !(only in onRequest)) {
  console.error(
    `unknown bench ${only}; one of ${[...Object.keys(suites), ...Object.keys(onRequest)].join(', ')}`,
  );
  process.exit(2);
}
for (const [name, suite] of Object.entries({ ...suites, ...(only ? onRequest : {}) })) {
  if (only && only !== name) continue;
  console.log(`\n## ${name}\n`);
  printTable(await suite());
}
