import type { AuthorizationDecision } from '@gatehouse/sdk';
import { createClient } from '../integrations/client.ts';
import { ConfigError, loadAgentConfig } from '../integrations/config.ts';
import { describeRefusal } from '../integrations/describe.ts';
import { runForeground, shellExitCode } from '../integrations/exec.ts';
import { PendingProgress } from '../integrations/progress.ts';
import { shellJoin } from '../integrations/shell.ts';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';

const USAGE = `usage: gatehouse run [options] -- <command…>

Asks Gatehouse for a verdict on the command and runs it only with a verified allow verdict,
with this terminal's stdin/stdout/stderr; then reports how it ended.
One argument after -- is a shell command line ('make test | tee log'); several are a program
and its arguments, quoted for the shell as given.

  --justification TEXT   why the command runs (shown to approvers)
  --environment ENV      dev | staging | prod …
  --host HOST            the host it runs on (bound into the verdict)
  --record               send the command's output with the result (GATEHOUSE_RECORD=1)

Configured by GATEHOUSE_URL and GATEHOUSE_AGENT_KEY, or ~/.config/gatehouse/agent.json
(GATEHOUSE_CONFIG). Exit status: the command's own; 126 when it did not run (refused,
expired, Gatehouse unreachable or misconfigured); 130 when interrupted while waiting; 2 for usage errors.
`;

/** Nothing ran: refused, expired, or Gatehouse could not be asked. */
export const NOT_RUN = 126;

export async function run(args: string[], io: CommandIO): Promise<number> {
  const { options, command } = parse(args);
  if (options.help) {
    io.stdout.write(USAGE);
    return 0;
  }
  if (!command) throw new CliError(`no command given\n${USAGE}`);

  let config: ReturnType<typeof loadAgentConfig>;
  try {
    config = loadAgentConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`gatehouse: not run — ${error.message}\n`);
      return NOT_RUN;
    }
    throw error;
  }
  const client = createClient(config, io.stderr);
  const progress = new PendingProgress(io.stderr as NodeJS.WritableStream & { isTTY?: boolean });
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  const cwd = process.cwd();

  let decision: AuthorizationDecision;
  try {
    decision = await client.authorize({
      kind: 'shell',
      command,
      context: {
        cwd,
        tool: 'gatehouse run',
        ...(options.justification ? { justification: options.justification } : {}),
        ...(options.environment ? { environment: options.environment } : {}),
        ...(options.host ? { host: options.host } : {}),
      },
      signal: interrupt.signal,
      onPending: (pending) => progress.start(pending),
    });
  } finally {
    progress.stop();
    process.off('SIGINT', onInterrupt);
    process.off('SIGTERM', onInterrupt);
  }

  try {
    if (!decision.allowed || !decision.claims || decision.requestId === undefined) {
      io.stderr.write(describeRefusal(decision));
      return interrupt.signal.aborted ? 130 : NOT_RUN;
    }
    // The verdict lives minutes; a slow approval path must not start a command on a stale one.
    if (decision.claims.exp * 1000 <= Date.now()) {
      io.stderr.write(
        `gatehouse: not run — the verdict for request ${decision.requestId} expired before the command started\n`,
      );
      return NOT_RUN;
    }

    const result = await runForeground(command, {
      cwd,
      stdout: io.stdout,
      stderr: io.stderr,
      record: options.record || config.record,
    });
    if (result.spawnError) io.stderr.write(`gatehouse: could not start /bin/sh: ${result.spawnError}\n`);
    const exitCode = shellExitCode(result);
    const failure = await client.reportResult(decision.requestId, {
      exitCode: result.spawnError ? -1 : exitCode,
      durationMs: result.durationMs,
      ...(result.signal ? { signal: result.signal } : {}),
      ...(result.output ? { output: result.output } : {}),
    });
    if (failure) {
      io.stderr.write(
        `gatehouse: the command ran, but reporting its result failed (${failure.code}: ${failure.message})\n`,
      );
    }
    return exitCode;
  } finally {
    client.close();
  }
}

interface RunOptions {
  help?: boolean;
  record: boolean;
  justification?: string;
  environment?: string;
  host?: string;
}

/**
 * Options end at `--` or at the first word that is not one of ours: everything after belongs
 * to the command and is never interpreted here.
 */
function parse(args: string[]): { options: RunOptions; command: string | undefined } {
  const options: RunOptions = { record: false };
  let i = 0;
  const value = (name: string) => {
    const next = args[i + 1];
    if (next === undefined) throw new CliError(`${name} needs a value\n${USAGE}`);
    i += 1;
    return next;
  };
  for (; i < args.length; i += 1) {
    const arg = args[i]!;
    if (arg === '--') {
      i += 1;
      break;
    }
    if (arg === '--help' || arg === '-h') options.help = true;
    else if (arg === '--record') options.record = true;
    else if (arg === '--justification') options.justification = value(arg);
    else if (arg === '--environment') options.environment = value(arg);
    else if (arg === '--host') options.host = value(arg);
    else if (arg.startsWith('-')) throw new CliError(`unknown option ${arg}\n${USAGE}`);
    else break;
  }
  const rest = args.slice(i);
  const command = rest.length === 0 ? undefined : rest.length === 1 ? rest[0] : shellJoin(rest);
  return { options, command: command?.trim() ? command : undefined };
}
