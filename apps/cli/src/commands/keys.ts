import { parseArgs } from 'node:util';
import { adminPost, adminTarget } from '../admin-api.ts';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';

const USAGE = `usage: gatehouse keys rotate [--url URL] [--token TOKEN]

Rotates the signing keys of a running Gatehouse. Old keys stay published until every token
they signed has expired (audit keys stay trusted for good).
  --url     Gatehouse URL (GATEHOUSE_URL, else GATEHOUSE_HOST and GATEHOUSE_PORT: http://127.0.0.1:8080)
  --token   admin token (GATEHOUSE_ADMIN_TOKEN, else <GATEHOUSE_DATA_DIR>/admin-token)
`;

export async function run(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { url: { type: 'string' }, token: { type: 'string' }, help: { type: 'boolean' } },
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
