import { schema } from '@gatehouse/db';
import { asc, eq } from 'drizzle-orm';
import type { Runtime } from '../platform/runtime.ts';

/** Every agent with its owner, for people (admins, auditors, approvers); keys are never part of it. */
export async function listAgents(rt: Runtime) {
  const rows = await rt.database.db
    .select({
      id: schema.agents.id,
      name: schema.agents.name,
      type: schema.agents.type,
      owner: schema.agents.ownerUserId,
      ownerEmail: schema.users.email,
      environments: schema.agents.environments,
      createdAt: schema.agents.createdAt,
      revokedAt: schema.agents.revokedAt,
    })
    .from(schema.agents)
    .leftJoin(schema.users, eq(schema.users.id, schema.agents.ownerUserId))
    .orderBy(asc(schema.agents.name), asc(schema.agents.id));
  return rows.map((r) => ({
    ...r,
    createdAt: r.createdAt.toISOString(),
    revokedAt: r.revokedAt?.toISOString() ?? null,
  }));
}
