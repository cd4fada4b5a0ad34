import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { exportIncident, loadConfig, openAuditAccess } from '@gatehouse/server';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';

const USAGE = `usage: gatehouse incident export --agent AGENT_ID --since TIME [--out DIR]

Bundles one agent's requests, decisions, verdicts, executions, recordings, sessions and the
audit slice with its proof into DIR (default ./incident-<agent>-<time>), with a manifest of
SHA-256 digests. Reads the database of this deployment like \`gatehouse audit\`.
`;

export async function run(args: string[], io: CommandIO): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      agent: { type: 'string' },
      since: { type: 'string' },
      out: { type: 'string' },
      help: { type: 'boolean' },
    },
  });
  if (values.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'export')
    throw new CliError(`unknown incident subcommand "${positionals[0] ?? ''}"\n${USAGE}`);
  if (!values.agent || !values.since) throw new CliError(`--agent and --since are required\n${USAGE}`);
  const since = new Date(values.since);
  if (Number.isNaN(since.getTime())) throw new CliError(`--since "${values.since}" is not a time (ISO 8601)`);
  const dir = resolve(values.out ?? `incident-${values.agent}-${since.toISOString().replace(/[:.]/g, '')}`);
  mkdirSync(dir, { recursive: true, mode: 0o700 });

  const access = await openAuditAccess(loadConfig());
  try {
    const manifest = await exportIncident(
      access.database.db,
      access.keys,
      { agentId: values.agent, since },
      async (name, lines) => {
        writeFileSync(join(dir, name), [...(lines as Iterable<string>)].join(''), { mode: 0o600 });
        io.stderr.write(`wrote ${name}\n`);
      },
    );
    io.stdout.write(
      `incident bundle in ${dir}: ${manifest.files.map((f) => `${f.name} (${f.lines})`).join(', ')}; ` +
        `audit slice ${manifest.audit.ok ? 'verifies' : 'DOES NOT VERIFY'}\n`,
    );
    return manifest.audit.ok ? 0 : 1;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_UNKNOWN_AGENT')
      throw new CliError((error as Error).message);
    throw error;
  } finally {
    await access.close();
  }
}
