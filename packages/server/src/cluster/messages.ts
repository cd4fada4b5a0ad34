import { isRecord } from '@gatehouse/contract';
import type { LiveEvent } from '../platform/events.ts';

// What the processes of one `gatehouse start --workers N` say to each other over the cluster's
// IPC channel. Everything else that crosses processes goes through PostgreSQL.

/** Live events a worker published since its last batch; the primary hands them to the others. */
export interface EventBatch {
  type: 'gatehouse.events';
  events: LiveEvent[];
}

/** A worker is serving. The first one also says whether it generated the admin token. */
export interface WorkerReady {
  type: 'gatehouse.ready';
  url: string;
  generated?: { token: string; file: string };
}

export function isEventBatch(message: unknown): message is EventBatch {
  return isRecord(message) && message.type === 'gatehouse.events' && Array.isArray(message.events);
}

export function isWorkerReady(message: unknown): message is WorkerReady {
  return isRecord(message) && message.type === 'gatehouse.ready' && typeof message.url === 'string';
}

/** The environment variable that tells a worker its place: 0 is the one that runs the periodic jobs. */
export const WORKER_INDEX_VARIABLE = 'GATEHOUSE_WORKER_INDEX';
