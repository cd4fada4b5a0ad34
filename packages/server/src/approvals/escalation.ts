import { type RequestRow, schema } from '@gatehouse/db';
import { and, eq, gt, isNull, type SQL, sql } from 'drizzle-orm';
import { loadGroups } from '../groups/service.ts';
import { announce } from '../lifecycle/announce.ts';
import { escalationGroups } from '../lifecycle/eligibility.ts';
import { ESCALATE_AT } from '../lifecycle/schedule.ts';
import type { Runtime } from '../platform/runtime.ts';
import { routeToApprovers } from './routing.ts';
import { decidersOf, scopeOf } from './scope.ts';

/** Pending, not yet escalated, and past 2/3 of its lifetime (and not past its deadline). */
function dueSql(now: Date): SQL {
  return and(
    eq(schema.requests.status, 'pending'),
    isNull(schema.requests.escalatedAt),
    gt(schema.requests.deadline, now),
    sql`${schema.requests.createdAt} + (${schema.requests.deadline} - ${schema.requests.createdAt}) * ${ESCALATE_AT} <= ${now.toISOString()}::timestamptz`,
  )!;
}

/**
 * Marks one request escalated if it is due, under its row lock so replicas escalate it once.
 * A pending request has no quorum by definition (reaching it closes the request), so being
 * pending at 2/3 of the lifetime is the trigger. The newly eligible people are asked live.
 */
export async function escalateRequest(rt: Runtime, requestId: string): Promise<RequestRow | undefined> {
  const now = new Date();
  const groups = await loadGroups(rt.database.db);
  const escalated = await rt.audit.transaction(async (tx, record) => {
    const [request] = await tx
      .select()
      .from(schema.requests)
      .where(and(eq(schema.requests.id, requestId), dueSql(now)))
      .for('update');
    if (!request) return undefined;
    const [owner] = await tx
      .select({ id: schema.agents.ownerUserId })
      .from(schema.agents)
      .where(eq(schema.agents.id, request.agentId));
    const before = await decidersOf(tx, request, owner?.id ?? null, groups);
    const [row] = await tx
      .update(schema.requests)
      .set({ escalatedAt: now })
      .where(eq(schema.requests.id, requestId))
      .returning();
    record({
      type: 'request.escalated',
      actor: { type: 'system', id: 'gatehouse' },
      subject: { type: 'request', id: requestId },
      data: {
        groups: escalationGroups(scopeOf(request), groups),
        deadline: request.deadline?.toISOString() ?? null,
      },
    });
    return { row: row!, before };
  });
  if (!escalated) return undefined;
  await announce(rt, escalated.row, false);
  await routeToApprovers(rt, requestId, { exclude: escalated.before, reason: 'escalated' }).catch(() => []);
  return escalated.row;
}

/** Escalates every request that is due. Runs periodically on the workers. */
export async function sweepEscalations(rt: Runtime): Promise<number> {
  const due = await rt.database.db
    .select({ id: schema.requests.id })
    .from(schema.requests)
    .where(dueSql(new Date()));
  let count = 0;
  for (const { id } of due) if (await escalateRequest(rt, id)) count++;
  return count;
}
