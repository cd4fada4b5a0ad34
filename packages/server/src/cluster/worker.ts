import cluster from 'node:cluster';
import type { RunningGatehouse } from '../serve.ts';
import { WORKER_INDEX_VARIABLE, type WorkerReady } from './messages.ts';

/** This process's place in a `gatehouse start --workers N`, or undefined outside one. */
export function workerIndex(): number | undefined {
  if (!cluster.isWorker) return undefined;
  return Number(process.env[WORKER_INDEX_VARIABLE] ?? cluster.worker?.id ?? 0);
}

/**
 * Tells the primary this worker serves, and stops it when the primary is gone: a worker
 * without its primary would keep a port nobody restarts or stops.
 */
export function joinCluster(running: RunningGatehouse): void {
  const generated = running.runtime.admin.generated;
  const ready: WorkerReady = {
    type: 'gatehouse.ready',
    url: running.url ?? '',
    ...(generated ? { generated: { token: generated.token, file: generated.file } } : {}),
  };
  process.send?.(ready);
  process.once('disconnect', () => {
    void running.close().finally(() => process.exit(0));
  });
}
