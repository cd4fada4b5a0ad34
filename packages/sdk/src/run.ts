import { spawn } from 'node:child_process';
import { OutputRecorder, type RecordedOutput } from './recorder.ts';

export interface ExecuteOptions {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  /** Kill the command after this long (SIGTERM, then SIGKILL after a grace period). */
  timeoutMs?: number;
  stdio: 'inherit' | 'pipe';
  /** Cap on captured stdout/stderr each; the rest is dropped and `truncated` is set. */
  maxOutputBytes: number;
  /** Also keep stdout/stderr as timestamped chunks, capped at this many bytes (0: do not record). */
  recordBytes?: number;
  signal?: AbortSignal;
}

export interface Execution {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  durationMs: number;
  timedOut: boolean;
  stdout?: string;
  stderr?: string;
  truncated?: boolean;
  /** Present when recording was asked for. */
  output?: RecordedOutput;
  /** The shell could not be started (e.g. the cwd does not exist). */
  spawnError?: string;
}

const KILL_GRACE_MS = 5_000;

/**
 * Runs exactly the approved string through `/bin/sh -c`: no splitting, quoting or
 * rewriting, so the bytes that were hashed into the verdict are the bytes the shell sees.
 */
export function execute(command: string, options: ExecuteOptions): Promise<Execution> {
  return new Promise((resolve) => {
    const started = performance.now();
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let outBytes = 0;
    let errBytes = 0;
    let truncated = false;
    let timedOut = false;
    let settled = false;
    const timers: NodeJS.Timeout[] = [];
    const recorder = options.recordBytes ? new OutputRecorder(started, options.recordBytes) : undefined;
    const piped = options.stdio === 'pipe' || recorder !== undefined;

    const child = spawn('/bin/sh', ['-c', command], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: piped ? [options.stdio === 'pipe' ? 'ignore' : 'inherit', 'pipe', 'pipe'] : 'inherit',
      // Its own process group, so a timeout or abort stops the whole pipeline, not just sh.
      detached: true,
    });

    const kill = (signal: NodeJS.Signals) => {
      try {
        if (child.pid !== undefined) process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    };
    const stop = () => {
      kill('SIGTERM');
      timers.push(setTimeout(() => kill('SIGKILL'), KILL_GRACE_MS));
    };
    const onAbort = () => stop();
    options.signal?.addEventListener('abort', onAbort, { once: true });
    if (options.signal?.aborted) stop();

    const collect = (chunks: Buffer[], which: 'out' | 'err') => (chunk: Buffer) => {
      recorder?.write(which === 'out' ? 'stdout' : 'stderr', chunk);
      // Recording an inherited stdio: the caller's terminal still gets every byte.
      if (options.stdio === 'inherit') {
        (which === 'out' ? process.stdout : process.stderr).write(chunk);
        return;
      }
      const used = which === 'out' ? outBytes : errBytes;
      const room = options.maxOutputBytes - used;
      if (room <= 0) {
        truncated = true;
        return;
      }
      const piece = chunk.byteLength > room ? chunk.subarray(0, room) : chunk;
      if (piece !== chunk) truncated = true;
      chunks.push(piece);
      if (which === 'out') outBytes += piece.byteLength;
      else errBytes += piece.byteLength;
    };
    child.stdout?.on('data', collect(out, 'out'));
    child.stderr?.on('data', collect(err, 'err'));

    if (options.timeoutMs !== undefined) {
      timers.push(
        setTimeout(() => {
          timedOut = true;
          stop();
        }, options.timeoutMs),
      );
    }

    const finish = (result: Pick<Execution, 'exitCode' | 'signal'> & { spawnError?: string }) => {
      if (settled) return;
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      options.signal?.removeEventListener('abort', onAbort);
      resolve({
        ...result,
        durationMs: Math.round(performance.now() - started),
        timedOut,
        ...(options.stdio === 'pipe'
          ? {
              stdout: Buffer.concat(out).toString('utf8'),
              stderr: Buffer.concat(err).toString('utf8'),
              truncated,
            }
          : {}),
        ...(recorder ? { output: recorder.output() } : {}),
      });
    };
    child.on('error', (error) => {
      if (child.pid === undefined) finish({ exitCode: null, signal: null, spawnError: error.message });
    });
    child.on('close', (exitCode, signal) => finish({ exitCode, signal }));
  });
}
