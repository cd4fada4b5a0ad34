import { schema } from '@gatehouse/db';
import { and, eq, isNull } from 'drizzle-orm';
import { actorOf, type Principal, type Role } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Runtime } from '../platform/runtime.ts';
import { hashSecret, newSecret, TOKEN_PREFIX } from '../secrets.ts';
import { hashPassword } from '../web-auth/password.ts';

export async function createUser(
  rt: Runtime,
  by: Principal,
  input: { email: string; roles: Role[]; password?: string },
) {
  const email = input.email.trim().toLowerCase();
  const roles = [...new Set(input.roles)];
  const token = newSecret(TOKEN_PREFIX.userToken);
  const id = newId('usr');
  const passwordHash = input.password === undefined ? null : await hashPassword(input.password);
  await rt.audit.transaction(async (tx, record) => {
    const inserted = await tx
      .insert(schema.users)
      .values({ id, email, roles, passwordHash })
      .onConflictDoNothing()
      .returning({ id: schema.users.id });
    if (inserted.length === 0)
      throw new GatehouseError('USER_EXISTS', `a user with email ${email} already exists`);
    await tx
      .insert(schema.apiTokens)
      .values({ id: newId('tok'), userId: id, tokenHash: hashSecret(token), name: 'initial' });
    record({
      type: 'user.created',
      actor: actorOf(by),
      subject: { type: 'user', id },
      data: { email, roles, password: passwordHash !== null },
    });
  });
  return { id, email, roles, token };
}

/** Resolves a personal API token to its active user, or undefined. */
export async function userForToken(rt: Runtime, token: string) {
  const [row] = await rt.database.db
    .select({ id: schema.users.id, email: schema.users.email, roles: schema.users.roles })
    .from(schema.apiTokens)
    .innerJoin(schema.users, eq(schema.users.id, schema.apiTokens.userId))
    .where(
      and(
        eq(schema.apiTokens.tokenHash, hashSecret(token)),
        isNull(schema.apiTokens.revokedAt),
        isNull(schema.users.disabledAt),
      ),
    );
  return row ? { ...row, roles: row.roles as Role[] } : undefined;
}

/** Finds a user by id or email (agent owners may be given either way). */
export async function findUser(rt: Runtime, idOrEmail: string) {
  const key = idOrEmail.trim();
  const where = key.includes('@') ? eq(schema.users.email, key.toLowerCase()) : eq(schema.users.id, key);
  const [row] = await rt.database.db.select().from(schema.users).where(where);
  return row;
}
