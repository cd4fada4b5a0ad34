import { schema } from '@gatehouse/db';
import { and, eq, isNull } from 'drizzle-orm';
import { agentForKey } from '../agents/service.ts';
import { actorOf, hasRole, type Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Runtime } from '../platform/runtime.ts';
import { DEFAULT_SESSION_TTL_SECONDS, MAX_SESSION_TTL_SECONDS, signSessionToken } from './tokens.ts';

/** The agent an agent key belongs to, or INVALID_AGENT_KEY (401). */
export async function agentOfKey(rt: Runtime, agentKey: string) {
  const agent = await agentForKey(rt, agentKey);
  if (!agent || rt.revocations.isRevoked(agent.id))
    throw new GatehouseError('INVALID_AGENT_KEY', 'agent key is not valid or the agent was revoked');
  return agent;
}

/** Trades an agent key for a short-lived session token (session-scoped credentials). */
export async function startSession(rt: Runtime, agentKey: string, ttlSeconds = DEFAULT_SESSION_TTL_SECONDS) {
  const agent = await agentOfKey(rt, agentKey);
  const ttl = Math.min(Math.max(ttlSeconds, 60), MAX_SESSION_TTL_SECONDS);
  const id = newId('ses');
  const expiresAt = new Date(Date.now() + ttl * 1000);
  await rt.audit.transaction(async (tx, record) => {
    await tx.insert(schema.agentSessions).values({ id, agentId: agent.id, expiresAt });
    record({
      type: 'session.started',
      actor: { type: 'agent', id: agent.id },
      subject: { type: 'session', id },
      data: { expiresAt: expiresAt.toISOString() },
    });
  });
  const token = await signSessionToken(
    rt.keys,
    rt.config.issuer,
    { agentId: agent.id, sessionId: id, agentType: agent.type, environments: agent.environments },
    expiresAt,
  );
  return { id, token, expiresAt };
}

/** An admin may end any session; an agent may end its own. */
export async function revokeSession(rt: Runtime, by: Principal, sessionId: string) {
  await rt.audit.transaction(async (tx, record) => {
    const [session] = await tx
      .select()
      .from(schema.agentSessions)
      .where(eq(schema.agentSessions.id, sessionId));
    if (!session) throw new GatehouseError('SESSION_NOT_FOUND', `no session ${sessionId}`);
    if (by.type === 'agent' && by.id !== session.agentId)
      throw new GatehouseError('SESSION_NOT_FOUND', `no session ${sessionId}`);
    if (by.type !== 'agent' && !hasRole(by, 'admin'))
      throw new GatehouseError('FORBIDDEN', 'only admins or the agent itself can end a session');
    await tx
      .update(schema.agentSessions)
      .set({ revokedAt: new Date() })
      .where(and(eq(schema.agentSessions.id, sessionId), isNull(schema.agentSessions.revokedAt)));
    await tx.insert(schema.revocations).values({ subjectType: 'session', subjectId: sessionId });
    record({
      type: 'session.revoked',
      actor: actorOf(by),
      subject: { type: 'session', id: sessionId },
      data: {},
    });
  });
  rt.revocations.add('session', sessionId);
}
