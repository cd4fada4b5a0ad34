import type { AuthorizationDecision } from '@gatehouse/sdk';
import { describeRefusal } from '../integrations/describe.ts';
import { runForeground, shellExitCode } from '../integrations/exec.ts';
import { shellJoin } from '../integrations/shell.ts';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';
import { NOT_RUN, startWaitingCall } from './waiting.ts';

export interface RunOptions {
  record?: boolean;
  justification?: string;
  environment?: string;
  host?: string;
}

/**
 * `gatehouse run [options] -- <command…>`. One word is a shell command line; several are a
 * program and its arguments, quoted for the shell exactly as given.
 */
export async function runCommand(words: string[], options: RunOptions, io: CommandIO): Promise<number> {
  const command = words.length === 1 ? words[0]! : shellJoin(words);
  if (!command.trim()) throw new CliError('no command given (see `gatehouse run --help`)');

  const call = startWaitingCall(io);
  if (call === NOT_RUN) return NOT_RUN;
  const { config, client, progress, signal } = call;
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
      signal: signal,
      onPending: (pending) => progress.start(pending),
    });
  } finally {
    progress.stop();
    call.release();
  }

  try {
    if (!decision.allowed || !decision.claims || decision.requestId === undefined) {
      io.stderr.write(describeRefusal(decision));
      return signal.aborted ? 130 : NOT_RUN;
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
