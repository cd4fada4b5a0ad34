// Asks Gatehouse before running a shell command, and runs it only if a verified verdict
// for exactly this command allows it.
//
//   GATEHOUSE_URL=http://127.0.0.1:8080 GATEHOUSE_AGENT_KEY=gha_… \
//     node --import tsx packages/sdk/examples/run-command.ts 'ls -la'
//
// Optional: GATEHOUSE_ENVIRONMENT (dev|staging|prod; an agent bound to environments may name
// only those, and without it the server uses the agent's first), GATEHOUSE_JUSTIFICATION.
import { GatehouseClient } from '@gatehouse/sdk';

const command = process.argv[2];
const url = process.env.GATEHOUSE_URL;
const agentKey = process.env.GATEHOUSE_AGENT_KEY;
if (!command || !url || !agentKey) {
  console.error("usage: GATEHOUSE_URL=… GATEHOUSE_AGENT_KEY=… node --import tsx run-command.ts '<command>'");
  process.exit(2);
}

const gatehouse = new GatehouseClient({
  url,
  agentKey,
  timeoutMs: 15 * 60_000,
  logger: { info: (message, fields) => console.error(`[gatehouse] ${message}`, fields ?? '') },
});

const result = await gatehouse.run(command, {
  stdio: 'inherit',
  context: {
    ...(process.env.GATEHOUSE_ENVIRONMENT ? { environment: process.env.GATEHOUSE_ENVIRONMENT } : {}),
    tool: 'run-command example',
    ...(process.env.GATEHOUSE_JUSTIFICATION ? { justification: process.env.GATEHOUSE_JUSTIFICATION } : {}),
  },
});
gatehouse.close();

const { decision } = result;
if (!result.allowed) {
  const why = decision.error ? `${decision.error.code}: ${decision.error.message}` : decision.status;
  console.error(`not run (${why})`);
  for (const reason of decision.reasons) console.error(`  - ${reason.rule}: ${reason.detail ?? ''}`);
  process.exit(126);
}
console.error(
  `ran request ${decision.requestId} (${decision.status}, tier ${decision.tier}): exit ${result.exitCode} in ${result.durationMs} ms`,
);
if (result.reportError) console.error(`result report failed: ${result.reportError.code}`);
process.exit(result.exitCode ?? 1);
