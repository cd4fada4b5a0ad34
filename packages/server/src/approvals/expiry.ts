import { schema } from '@gatehouse/db';
import { and, eq, lte } from 'drizzle-orm';
import { announce } from '../requests/events.ts';
import { type RequestRow, schedule, verdictEvent } from '../requests/service.ts';
import { issueVerdict } from '../requests/verdicts.ts';
import type { Runtime } from '../runtime.ts';

/**
 * Closes a pending request as `expired` (a deny verdict) if its deadline has passed.
 * Idempotent and safe to run from several workers at once: the row lock and the status
 * check make exactly one of them do it.
 */
export async function expireRequest(rt: Runtime, requestId: string): Promise<RequestRow | undefined> {
  const closed = await rt.audit.transaction(async (tx, record) => {
    const [request] = await tx
      .select()
      .from(schema.requests)
      .where(eq(schema.requests.id, requestId))
      .for('update');
    if (request?.status !== 'pending') return undefined;
    if (request.deadline && request.deadline.getTime() > Date.now()) return undefined;
    const issued = await issueVerdict(rt, request, 'deny', []);
    const [row] = await tx
      .update(schema.requests)
      .set({
        status: 'expired',
        decidedAt: new Date(),
        verdict: issued.verdict,
        verdictExpiresAt: issued.expiresAt,
      })
      .where(eq(schema.requests.id, requestId))
      .returning();
    record({
      type: 'request.expired',
      actor: { type: 'system', id: 'gatehouse' },
      subject: { type: 'request', id: requestId },
      data: { deadline: request.deadline?.toISOString() ?? null },
    });
    record(verdictEvent(row!, []));
    return row!;
  });
  if (closed) await announce(rt, closed, false);
  return closed;
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
