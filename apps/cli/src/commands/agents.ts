import { parseArgs } from 'node:util';
import { adminPost, adminTarget, TARGET_OPTIONS, targetHelp } from '../admin-api.ts';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';

const USAGE = `usage: gatehouse agents revoke <agent-id> [--url URL] [--token TOKEN]

Cuts an agent off: its key stops working, its sessions are refused by every replica within
a second, its pending requests are cancelled, and its unexpired verdicts are refused at use.
${targetHelp('admin')}`;

export async function run(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { ...TARGET_OPTIONS, help: { type: 'boolean' } },
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  const [sub, agentId] = positionals;
  if (sub !== 'revoke') throw new CliError(`unknown agents subcommand "${sub ?? ''}"\n${USAGE}`);
  if (!agentId) throw new CliError(`missing the agent id\n${USAGE}`);
  const result = await adminPost<{ cancelledRequests?: string[] }>(
    adminTarget(values),
    `/v1/agents/${encodeURIComponent(agentId)}/revoke`,
    'revocation',
  );
  const cancelled = result.cancelledRequests ?? [];
  io.stdout.write(
    `revoked ${agentId}; ${cancelled.length} pending request(s) cancelled${cancelled.length ? `: ${cancelled.join(', ')}` : ''}\n`,
  );
  return 0;
}
