import { benchApi } from './api.ts';
import { benchAudit } from './audit.ts';
import { benchMask } from './mask.ts';
import { benchRisk } from './risk.ts';
import { type BenchResult, printTable } from './types.ts';

/**
 * `npm run bench [risk|api]`: medians and tails of the paths that must be fast. Figures
 * depend on the machine; the README records them with the machine they came from.
 */
const only = process.argv[2];
const suites: Record<string, () => Promise<BenchResult[]>> = {
  risk: benchRisk,
  api: benchApi,
  audit: benchAudit,
  mask: benchMask,
};
for (const [name, suite] of Object.entries(suites)) {
  if (only && only !== name) continue;
  console.log(`\n## ${name}\n`);
  printTable(await suite());
}
