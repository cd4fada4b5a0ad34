import { schema } from '@gatehouse/db';
import { and, eq, lte } from 'drizzle-orm';
import type { Runtime } from '../platform/runtime.ts';
import { transition } from './close.ts';
import { schedule } from './schedule.ts';

const SYSTEM = { type: 'system', id: 'gatehouse' } as const;

/**
 * Closes a pending request as `expired` (a deny verdict) if its deadline has passed.
 * Idempotent and safe to run from several workers at once: the row lock and the status
 * check make exactly one of them do it.
 */
export async function expireRequest(rt: Runtime, requestId: string): Promise<boolean> {
  return transition(rt, async (tx, _record, close) => {
    const [request] = await tx
      .select()
      .from(schema.requests)
      .where(eq(schema.requests.id, requestId))
      .for('update');
    if (request?.status !== 'pending') return false;
    if (request.deadline && request.deadline.getTime() > Date.now()) return false;
    await close(request, { status: 'expired', actor: SYSTEM });
    return true;
  });
}

/** Expires everything overdue. Runs on worker start and periodically: lost jobs cannot keep a request open. */
export async function sweepOverdue(rt: Runtime): Promise<number> {
  const overdue = await rt.database.db
    .select({ id: schema.requests.id })
    .from(schema.requests)
    .where(and(eq(schema.requests.status, 'pending'), lte(schema.requests.deadline, new Date())));
  let expired = 0;
  for (const { id } of overdue) if (await expireRequest(rt, id)) expired++;
  return expired;
}

/** Re-creates the expiry and routing jobs of every pending request (they may live only in memory). */
export async function rescheduleAll(rt: Runtime): Promise<number> {
  const pending = await rt.database.db
    .select({
      id: schema.requests.id,
      deadline: schema.requests.deadline,
      createdAt: schema.requests.createdAt,
      escalatedAt: schema.requests.escalatedAt,
    })
    .from(schema.requests)
    .where(eq(schema.requests.status, 'pending'));
  for (const row of pending) await schedule(rt, row);
  return pending.length;
}
