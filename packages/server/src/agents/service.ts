import { schema } from '@gatehouse/db';
import { and, eq, isNull } from 'drizzle-orm';
import { actorOf, type Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import { transition } from '../lifecycle/close.ts';
import type { Runtime } from '../platform/runtime.ts';
import { hashSecret, newSecret, TOKEN_PREFIX } from '../secrets.ts';
import { findUser } from '../users/service.ts';

export async function createAgent(
  rt: Runtime,
  by: Principal,
  input: { name: string; type: string; owner?: string; environments?: string[] },
) {
  // Order matters (the first is the default), duplicates do not.
  const environments = input.environments ? [...new Set(input.environments)] : null;
  let ownerUserId: string | null = null;
  if (input.owner) {
    const owner = await findUser(rt, input.owner);
    if (!owner)
      throw new GatehouseError(
        'UNKNOWN_OWNER',
        `owner ${input.owner} is not a Gatehouse user; create the user first`,
      );
    ownerUserId = owner.id;
  }
  const id = newId('agt');
  const key = newSecret(TOKEN_PREFIX.agentKey);
  await rt.audit.transaction(async (tx, record) => {
    await tx.insert(schema.agents).values({
      id,
      name: input.name,
      type: input.type,
      ownerUserId,
      environments,
      keyHash: hashSecret(key),
      createdBy: actorOf(by).id,
    });
    record({
      type: 'agent.created',
      actor: actorOf(by),
      subject: { type: 'agent', id },
      data: { name: input.name, type: input.type, ownerUserId, environments },
    });
  });
  return {
    id,
    name: input.name,
    type: input.type,
    owner: ownerUserId,
    ...(environments ? { environments } : {}),
    key,
  };
}

export async function agentForKey(rt: Runtime, key: string) {
  const [row] = await rt.database.db
    .select()
    .from(schema.agents)
    .where(and(eq(schema.agents.keyHash, hashSecret(key)), isNull(schema.agents.revokedAt)));
  return row;
}

/**
 * Cuts an agent off: its key stops working, its sessions die on every replica within a
 * second (the revocation log), and its pending requests are cancelled with deny verdicts.
 */
export async function revokeAgent(rt: Runtime, by: Principal, agentId: string) {
  const cancelled = await transition(rt, async (tx, record, close) => {
    const [agent] = await tx
      .update(schema.agents)
      .set({ revokedAt: new Date() })
      .where(eq(schema.agents.id, agentId))
      .returning();
    if (!agent) throw new GatehouseError('AGENT_NOT_FOUND', `no agent ${agentId}`);
    await tx.insert(schema.revocations).values({ subjectType: 'agent', subjectId: agentId });
    await tx
      .update(schema.agentSessions)
      .set({ revokedAt: new Date() })
      .where(and(eq(schema.agentSessions.agentId, agentId), isNull(schema.agentSessions.revokedAt)));
    record({ type: 'agent.revoked', actor: actorOf(by), subject: { type: 'agent', id: agentId }, data: {} });
    const pending = await tx
      .select()
      .from(schema.requests)
      .where(and(eq(schema.requests.agentId, agentId), eq(schema.requests.status, 'pending')))
      .for('update');
    const ids: string[] = [];
    for (const request of pending) {
      await close(request, { status: 'cancelled', actor: actorOf(by), reason: 'agent revoked' });
      ids.push(request.id);
    }
    return ids;
  });
  rt.revocations.add('agent', agentId);
  return { id: agentId, cancelledRequests: cancelled };
}
