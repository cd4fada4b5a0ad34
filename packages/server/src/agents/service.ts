import { schema } from '@gatehouse/db';
import { and, eq, isNull } from 'drizzle-orm';
import { actorOf, type Principal } from '../auth/principal.ts';
import { badRequest, notFound } from '../errors.ts';
import { newId } from '../ids.ts';
import { announce } from '../requests/events.ts';
import { type RequestRow, verdictEvent } from '../requests/service.ts';
import { issueVerdict } from '../requests/verdicts.ts';
import type { Runtime } from '../runtime.ts';
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
      throw badRequest(
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
  const cancelled: RequestRow[] = [];
  await rt.audit.transaction(async (tx, record) => {
    const [agent] = await tx
      .update(schema.agents)
      .set({ revokedAt: new Date() })
      .where(eq(schema.agents.id, agentId))
      .returning();
    if (!agent) throw notFound('AGENT_NOT_FOUND', `no agent ${agentId}`);
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
    for (const request of pending) {
      const issued = await issueVerdict(rt, request, 'deny', []);
      const [row] = await tx
        .update(schema.requests)
        .set({
          status: 'cancelled',
          decidedAt: new Date(),
          verdict: issued.verdict,
          verdictExpiresAt: issued.expiresAt,
        })
        .where(eq(schema.requests.id, request.id))
        .returning();
      record({
        type: 'request.cancelled',
        actor: actorOf(by),
        subject: { type: 'request', id: request.id },
        data: { reason: 'agent revoked' },
      });
      record(verdictEvent(row!, []));
      cancelled.push(row!);
    }
  });
  rt.revocations.add('agent', agentId);
  for (const row of cancelled) await announce(rt, row, false);
  return { id: agentId, cancelledRequests: cancelled.map((r) => r.id) };
}
