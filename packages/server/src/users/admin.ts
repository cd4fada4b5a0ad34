import { type Db, schema } from '@gatehouse/db';
import { and, asc, eq, isNull } from 'drizzle-orm';
import { actorOf, type Principal, type Role } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Runtime } from '../platform/runtime.ts';
import { hashSecret, newSecret, TOKEN_PREFIX } from '../secrets.ts';
import { hashPassword } from '../web-auth/password.ts';
import { endUserWebSessions } from '../web-auth/sessions.ts';

/** Admin views and actions on people and their personal API tokens; each action is audited. */

export async function listUsers(rt: Runtime) {
  const db = rt.database.db;
  const users = await db.select().from(schema.users).orderBy(asc(schema.users.email));
  const memberships = await db
    .select({ userId: schema.groupMembers.userId, name: schema.approverGroups.name })
    .from(schema.groupMembers)
    .innerJoin(schema.approverGroups, eq(schema.approverGroups.id, schema.groupMembers.groupId))
    .orderBy(asc(schema.approverGroups.name));
  const groups = new Map<string, string[]>();
  for (const m of memberships) groups.set(m.userId, [...(groups.get(m.userId) ?? []), m.name]);
  return users.map((u) => ({
    id: u.id,
    email: u.email,
    roles: u.roles as Role[],
    groups: groups.get(u.id) ?? [],
    source: u.source,
    hasPassword: u.passwordHash !== null,
    createdAt: u.createdAt.toISOString(),
    disabledAt: u.disabledAt?.toISOString() ?? null,
  }));
}

async function existingUser(tx: Db, id: string) {
  const [user] = await tx.select().from(schema.users).where(eq(schema.users.id, id)).for('update');
  if (!user) throw new GatehouseError('USER_NOT_FOUND', `no user ${id}`);
  return user;
}

/**
 * Disables a person: their browser sessions end at once, and their personal tokens stop
 * working (tokens are only honoured for users who are not disabled). Disabling twice is a no-op.
 */
export async function disableUser(rt: Runtime, by: Principal, id: string) {
  if (by.type === 'user' && by.id === id) {
    throw new GatehouseError('CANNOT_DISABLE_SELF', 'you cannot disable your own account; ask another admin');
  }
  return rt.audit.transaction(async (tx, record) => {
    const user = await existingUser(tx, id);
    if (user.disabledAt) return { id, disabledAt: user.disabledAt.toISOString() };
    const disabledAt = new Date();
    await tx.update(schema.users).set({ disabledAt }).where(eq(schema.users.id, id));
    const sessionsEnded = await endUserWebSessions(tx, id);
    record({
      type: 'user.disabled',
      actor: actorOf(by),
      subject: { type: 'user', id },
      data: { email: user.email, sessionsEnded },
    });
    return { id, disabledAt: disabledAt.toISOString() };
  });
}

/** Sets (or replaces) a local password; the person's existing browser sessions end. */
export async function setPassword(rt: Runtime, by: Principal, id: string, password: string) {
  const passwordHash = await hashPassword(password);
  await rt.audit.transaction(async (tx, record) => {
    const user = await existingUser(tx, id);
    await tx.update(schema.users).set({ passwordHash }).where(eq(schema.users.id, id));
    const sessionsEnded = await endUserWebSessions(tx, id);
    record({
      type: 'user.password_set',
      actor: actorOf(by),
      subject: { type: 'user', id },
      data: { email: user.email, replaced: user.passwordHash !== null, sessionsEnded },
    });
  });
  return { id };
}

export async function listTokens(rt: Runtime, userId: string) {
  const [user] = await rt.database.db
    .select({ id: schema.users.id })
    .from(schema.users)
    .where(eq(schema.users.id, userId));
  if (!user) throw new GatehouseError('USER_NOT_FOUND', `no user ${userId}`);
  const rows = await rt.database.db
    .select({
      id: schema.apiTokens.id,
      name: schema.apiTokens.name,
      createdAt: schema.apiTokens.createdAt,
      revokedAt: schema.apiTokens.revokedAt,
    })
    .from(schema.apiTokens)
    .where(eq(schema.apiTokens.userId, userId))
    .orderBy(asc(schema.apiTokens.createdAt));
  return rows.map((t) => ({
    id: t.id,
    name: t.name,
    createdAt: t.createdAt.toISOString(),
    revokedAt: t.revokedAt?.toISOString() ?? null,
  }));
}

/** A new personal token; the token itself is returned once and only its hash is kept. */
export async function createToken(rt: Runtime, by: Principal, userId: string, name: string) {
  const token = newSecret(TOKEN_PREFIX.userToken);
  const id = newId('tok');
  await rt.audit.transaction(async (tx, record) => {
    const user = await existingUser(tx, userId);
    if (user.disabledAt)
      throw new GatehouseError('USER_DISABLED', 'this user is disabled; a token would not work');
    await tx.insert(schema.apiTokens).values({ id, userId, tokenHash: hashSecret(token), name });
    record({
      type: 'token.created',
      actor: actorOf(by),
      subject: { type: 'token', id },
      data: { userId, name },
    });
  });
  return { id, name, userId, token };
}

/** Revokes a personal token; effective on the next call made with it. Revoking twice is a no-op. */
export async function revokeToken(rt: Runtime, by: Principal, id: string) {
  return rt.audit.transaction(async (tx, record) => {
    const [token] = await tx.select().from(schema.apiTokens).where(eq(schema.apiTokens.id, id)).for('update');
    if (!token) throw new GatehouseError('TOKEN_NOT_FOUND', `no token ${id}`);
    if (token.revokedAt) return { id, revokedAt: token.revokedAt.toISOString() };
    const revokedAt = new Date();
    await tx
      .update(schema.apiTokens)
      .set({ revokedAt })
      .where(and(eq(schema.apiTokens.id, id), isNull(schema.apiTokens.revokedAt)));
    record({
      type: 'token.revoked',
      actor: actorOf(by),
      subject: { type: 'token', id },
      data: { userId: token.userId, name: token.name },
    });
    return { id, revokedAt: revokedAt.toISOString() };
  });
}
