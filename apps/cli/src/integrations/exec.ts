import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import { OutputRecorder, type RecordedOutput } from '@gatehouse/sdk';

export interface ForegroundOptions {
  cwd: string;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Tee stdout/stderr into timestamped chunks (the child then writes to pipes, not the terminal). */
  record: boolean;
  /** Recording stops after this many bytes; the command's own output is never cut. */
  maxRecordBytes?: number;
}

export interface ForegroundResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  output?: RecordedOutput;
  spawnError?: string;
}

const FORWARDED: NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

/**
 * Runs exactly the authorized string with `/bin/sh -c` in the caller's foreground: same
 * process group and, unless recording, the caller's stdio, so interactive commands and
 * Ctrl-C behave as if gatehouse were not there. Signals sent to gatehouse itself are passed on.
 */
export function runForeground(command: string, options: ForegroundOptions): Promise<ForegroundResult> {
  return new Promise((resolve) => {
    const started = performance.now();
    const recorder = options.record ? new OutputRecorder(started, options.maxRecordBytes) : undefined;
    let settled = false;

    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      stdio: options.record ? ['inherit', 'pipe', 'pipe'] : 'inherit',
    });

    // A terminal's Ctrl-C already reaches the whole foreground group, child included; gatehouse
    // only has to survive it. Signals aimed at gatehouse alone (kill <pid>) are forwarded.
    const handlers = FORWARDED.map((signal) => {
      const handler = () => {
        if (signal === 'SIGINT' && process.stdin.isTTY) return;
        child.kill(signal);
      };
      process.on(signal, handler);
      return () => process.off(signal, handler);
    });

    const tee = (stream: 'stdout' | 'stderr', target: NodeJS.WritableStream) => (chunk: Buffer) => {
      target.write(chunk);
      recorder?.write(stream, chunk);
    };
    child.stdout?.on('data', tee('stdout', options.stdout));
    child.stderr?.on('data', tee('stderr', options.stderr));

    const finish = (result: Omit<ForegroundResult, 'durationMs' | 'output'>) => {
      if (settled) return;
      settled = true;
      for (const off of handlers) off();
      resolve({
        ...result,
        durationMs: Math.round(performance.now() - started),
        ...(recorder ? { output: recorder.output() } : {}),
      });
    };
    child.on('error', (error) => {
      if (child.pid === undefined) finish({ exitCode: null, signal: null, spawnError: error.message });
    });
    child.on('close', (exitCode, signal) => finish({ exitCode, signal }));
  });
}

/** The shell convention: the exit code, or 128 + the signal number. */
export function shellExitCode(result: Pick<ForegroundResult, 'exitCode' | 'signal' | 'spawnError'>): number {
  if (result.exitCode !== null) return result.exitCode;
  if (result.signal) return 128 + (constants.signals[result.signal] ?? 0);
  return 127;
}
