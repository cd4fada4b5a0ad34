import type { Command, CommandIO } from './io.ts';
import { CliError } from './io.ts';

const COMMANDS: Record<string, { summary: string; load: () => Promise<{ run: Command }> }> = {
  start: {
    summary: 'run Gatehouse (API and jobs in one process)',
    load: () => import('./commands/start.ts'),
  },
  score: {
    summary: 'score commands: NDJSON on stdin, or --explain one command',
    load: () => import('./commands/score.ts'),
  },
  keys: { summary: 'manage signing keys (keys rotate)', load: () => import('./commands/keys.ts') },
  run: {
    summary: 'run a command only after Gatehouse allows it: run -- <command…>',
    load: () => import('./commands/run.ts'),
  },
  hook: {
    summary: 'agent hooks: hook claude-code (PreToolUse, JSON on stdin)',
    load: () => import('./commands/hook.ts'),
  },
  mcp: {
    summary: 'MCP server (stdio) with a Gatehouse-approved run_shell tool',
    load: () => import('./commands/mcp.ts'),
  },
  audit: {
    summary: 'verify or export the tamper-evident audit log',
    load: () => import('./commands/audit.ts'),
  },
  agents: {
    summary: 'incident response: agents revoke <agent-id>',
    load: () => import('./commands/agents.ts'),
  },
  incident: {
    summary: 'incident export --agent ID --since TIME',
    load: () => import('./commands/incident.ts'),
  },
};

function usage(): string {
  const lines = Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(8)} ${c.summary}`);
  return `usage: gatehouse <command> [options]\n\ncommands:\n${lines.join('\n')}\n`;
}

export async function main(argv: string[], io: CommandIO): Promise<number> {
  const [name, ...args] = argv;
  if (!name || name === '--help' || name === '-h' || name === 'help') {
    io.stdout.write(usage());
    return name ? 0 : 2;
  }
  const command = COMMANDS[name];
  if (!command) {
    io.stderr.write(`gatehouse: unknown command "${name}"\n${usage()}`);
    return 2;
  }
  try {
    return await (await command.load()).run(args, io);
  } catch (error) {
    const known =
      error instanceof CliError ||
      (error instanceof Error && 'code' in error && typeof error.code === 'string');
    io.stderr.write(
      `gatehouse: ${known ? (error as Error).message : String((error as Error)?.stack ?? error)}\n`,
    );
    return error instanceof CliError ? error.exitCode : 1;
  }
}

const io: CommandIO = { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr };
const code = await main(process.argv.slice(2), io);
// `start` keeps running until a signal; everything else ends here.
if (code !== -1) process.exitCode = code;
