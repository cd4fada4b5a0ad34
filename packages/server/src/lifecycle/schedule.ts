import type { RequestRow } from '@gatehouse/db';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';

/** Share of a pending request's lifetime after which it escalates (contract: 2/3). */
export const ESCALATE_AT = 2 / 3;

/**
 * A little after the instant: the job re-checks the time in the database, whose clock and
 * rounding may differ from ours by a fraction; early, it would find nothing to do.
 */
const ESCALATION_MARGIN_MS = 250;

/** The instant a request escalates: 2/3 of the way from creation to deadline. */
export function escalationDue(createdAt: Date, deadline: Date): Date {
  return new Date(createdAt.getTime() + (deadline.getTime() - createdAt.getTime()) * ESCALATE_AT);
}

/**
 * Before a pending request is written: the job queue must answer, or nobody would be told of
 * the request nor would it expire on time. Refused with JOBS_UNAVAILABLE (503), nothing written.
 */
export async function assertSchedulable(rt: Pick<Runtime, 'jobs'>): Promise<void> {
  try {
    await rt.jobs.ping();
  } catch {
    throw new GatehouseError(
      'JOBS_UNAVAILABLE',
      'the job queue does not answer, so no approver could be asked; nothing was stored, retry later',
    );
  }
}

/**
 * The jobs of a pending request: expiry at the deadline, routing to approvers now, and
 * escalation at 2/3 of the lifetime. Throws when the queue refuses one (Redis is down): the
 * caller decides what a request without its jobs means.
 */
export async function enqueueJobs(
  rt: Pick<Runtime, 'jobs'>,
  row: Pick<RequestRow, 'id' | 'deadline'> & Partial<Pick<RequestRow, 'createdAt' | 'escalatedAt'>>,
): Promise<void> {
  const delayMs = Math.max(0, (row.deadline?.getTime() ?? Date.now()) - Date.now());
  await rt.jobs.enqueue('request.expire', { requestId: row.id }, { delayMs, jobId: `expire-${row.id}` });
  await rt.jobs.enqueue('request.notify', { requestId: row.id }, { jobId: `notify-${row.id}` });
  if (row.deadline && row.createdAt && !row.escalatedAt) {
    const due = escalationDue(row.createdAt, row.deadline).getTime() + ESCALATION_MARGIN_MS;
    await rt.jobs.enqueue(
      'request.escalate',
      { requestId: row.id },
      { delayMs: Math.max(0, due - Date.now()), jobId: `escalate-${row.id}` },
    );
  }
}

/**
 * The jobs of a request that is already pending (rebuilt from the database on start, by
 * `rescheduleAll`, so they may live only in memory). Best effort: the worker's sweep expires
 * and escalates even without them.
 */
export async function schedule(
  rt: Pick<Runtime, 'jobs'>,
  row: Pick<RequestRow, 'id' | 'deadline'> & Partial<Pick<RequestRow, 'createdAt' | 'escalatedAt'>>,
): Promise<void> {
  try {
    await enqueueJobs(rt, row);
  } catch {
    // The request is committed; the worker's sweep expires and escalates even without these jobs.
  }
}
