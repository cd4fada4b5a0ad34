import { schema } from '@gatehouse/db';
import { eq } from 'drizzle-orm';
import { loadGroups } from '../groups/service.ts';
import type { Runtime } from '../platform/runtime.ts';
import { decidersOf } from './scope.ts';

/**
 * Routes a pending request to the people who may decide it: active approvers other than the
 * requesting agent's owner, narrowed to the members of the matching approver groups when the
 * request falls under a scoped group. They get a live `approval.requested` event, and the
 * routing is audited so the record shows who was asked. `exclude` leaves out people already
 * asked (escalation notifies only the newly eligible).
 */
export async function routeToApprovers(
  rt: Runtime,
  requestId: string,
  options: { exclude?: readonly string[]; reason?: 'submitted' | 'escalated' } = {},
): Promise<string[]> {
  const db = rt.database.db;
  const [request] = await db
    .select({
      id: schema.requests.id,
      status: schema.requests.status,
      tier: schema.requests.tier,
      kind: schema.requests.kind,
      context: schema.requests.context,
      escalatedAt: schema.requests.escalatedAt,
      agentId: schema.requests.agentId,
      owner: schema.agents.ownerUserId,
    })
    .from(schema.requests)
    .innerJoin(schema.agents, eq(schema.agents.id, schema.requests.agentId))
    .where(eq(schema.requests.id, requestId));
  if (request?.status !== 'pending') return [];
  const deciders = await decidersOf(db, request, request.owner, await loadGroups(db));
  const ids = deciders.filter((id) => !options.exclude?.includes(id));
  await rt.audit.append({
    type: 'request.routed',
    actor: { type: 'system', id: 'gatehouse' },
    subject: { type: 'request', id: requestId },
    data: { approvers: ids, reason: options.reason ?? 'submitted' },
  });
  await rt.bus
    .publish({
      type: 'approval.requested',
      agentId: request.agentId,
      data: { id: requestId, tier: request.tier, approvers: ids },
    })
    .catch(() => {});
  return ids;
}
