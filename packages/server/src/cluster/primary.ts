import cluster, { type Worker } from 'node:cluster';
import { backoffDelay } from '@gatehouse/contract';
import { isEventBatch, isWorkerReady, WORKER_INDEX_VARIABLE, type WorkerReady } from './messages.ts';

export interface ClusterOptions {
  workers: number;
  /** How long workers may take to stop before they are killed. */
  shutdownDeadlineMs: number;
  /** Restarts and deaths, for the operator. */
  warn(message: string): void;
}

export interface RunningCluster {
  /** What the first worker reported: the URL, and the admin token if it generated one. */
  ready: WorkerReady;
  close(): Promise<void>;
}

/** A worker that stayed up this long has recovered: its next crash restarts it at once again. */
const HEALTHY_AFTER_MS = 30_000;
const RESTART_BACKOFF = { baseMs: 500, maxMs: 30_000 };

/**
 * The primary of `gatehouse start --workers N`: it runs no Gatehouse itself. It starts worker 0
 * alone (it applies migrations, creates the signing keys and the admin token), then the others,
 * relays live events between them, and restarts a worker that dies. Workers share the listening
 * port (node:cluster hands connections out round-robin) and everything else through PostgreSQL.
 */
export async function startCluster(options: ClusterOptions): Promise<RunningCluster> {
  const workers = new Map<number, Worker>();
  let stopping = false;

  const relay = (from: Worker, message: unknown) => {
    if (!isEventBatch(message)) return;
    for (const other of workers.values()) if (other !== from && other.isConnected()) other.send(message);
  };

  const fork = (index: number, attempt: number): Promise<WorkerReady> =>
    new Promise((resolve, reject) => {
      const worker = cluster.fork({ [WORKER_INDEX_VARIABLE]: String(index) });
      const startedAt = Date.now();
      let ready = false;
      workers.set(index, worker);
      worker.on('message', (message: unknown) => {
        if (!ready && isWorkerReady(message)) {
          ready = true;
          resolve(message);
        }
        relay(worker, message);
      });
      worker.on('exit', (code, signal) => {
        if (workers.get(index) === worker) workers.delete(index);
        if (!ready) {
          reject(new ClusterStartError(index, code, signal));
          return;
        }
        if (stopping) return;
        const healthy = Date.now() - startedAt > HEALTHY_AFTER_MS;
        const next = healthy ? 0 : attempt + 1;
        const delay = healthy ? 0 : backoffDelay(attempt, RESTART_BACKOFF);
        options.warn(
          `worker ${index} exited (${signal ?? `code ${code}`}); restarting it${delay ? ` in ${delay} ms` : ''}`,
        );
        setTimeout(() => {
          if (stopping) return;
          fork(index, next).catch((error: Error) => options.warn(error.message));
        }, delay).unref();
      });
    });

  const close = async () => {
    stopping = true;
    const exits = [...workers.values()].map(
      (worker) =>
        new Promise<void>((resolve) => (worker.isDead() ? resolve() : worker.once('exit', () => resolve()))),
    );
    for (const worker of workers.values()) worker.process.kill('SIGTERM');
    const killer = setTimeout(() => {
      for (const worker of workers.values()) worker.process.kill('SIGKILL');
    }, options.shutdownDeadlineMs);
    await Promise.all(exits);
    clearTimeout(killer);
  };

  try {
    const first = await fork(0, 0);
    await Promise.all(Array.from({ length: options.workers - 1 }, (_, i) => fork(i + 1, 0)));
    return { ready: first, close };
  } catch (error) {
    await close();
    throw error;
  }
}

/** A worker died before it served: the reason is in its own output, just above. */
export class ClusterStartError extends Error {
  readonly code = 'ERR_WORKER_START';
  constructor(index: number, exitCode: number | null, signal: string | null) {
    super(`worker ${index} exited (${signal ?? `code ${exitCode}`}) before it was ready`);
    this.name = 'ClusterStartError';
  }
}
