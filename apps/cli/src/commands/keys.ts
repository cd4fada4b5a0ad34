import { parseArgs } from 'node:util';
import { adminPost, adminTarget, TARGET_OPTIONS, targetHelp } from '../admin-api.ts';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';

const USAGE = `usage: gatehouse keys rotate [--url URL] [--token TOKEN]

Rotates the signing keys of a running Gatehouse. Old keys stay published until every token
they signed has expired (audit keys stay trusted for good).
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
  if (positionals[0] !== 'rotate')
    throw new CliError(`unknown keys subcommand "${positionals[0] ?? ''}"\n${USAGE}`);
  const body = await adminPost<{ kids?: string[] }>(adminTarget(values), '/v1/keys/rotate', 'key rotation');
  io.stdout.write(`rotated; new key ids: ${(body.kids ?? []).join(', ')}\n`);
  return 0;
}
