import { type Db, schema } from '@gatehouse/db';
import { RiskInputError } from '@gatehouse/risk';
import { desc, eq } from 'drizzle-orm';
import type { RecordAudit } from '../audit/writer.ts';
import { actorOf, type Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';
import { engineEntry, type WhitelistRecord } from './entry.ts';
import { whitelistChanged } from './loader.ts';

/** Refuses a pattern the engine would refuse, so nothing unusable is stored. */
export function checkWithEngine(rt: Runtime, record: WhitelistRecord): void {
  try {
    rt.policyEngine.withWhitelist([engineEntry(record)]);
  } catch (error) {
    if (error instanceof RiskInputError) throw new GatehouseError('WHITELIST_INVALID', error.message);
    throw error;
  }
}

/** Stores an entry inside the caller's transaction (the decision that added it), audited with it. */
export async function insertWhitelistEntry(
  tx: Db,
  record: RecordAudit,
  entry: WhitelistRecord,
  by: { id: string },
  requestId: string | null,
): Promise<void> {
  await tx.insert(schema.whitelistEntries).values({
    id: entry.id,
    kind: entry.kind,
    command: entry.command,
    match: entry.match,
    reason: entry.reason,
    createdBy: by.id,
    requestId,
    expiresAt: entry.expiresAt,
    scope: entry.scope,
    scopeValue: entry.scopeValue,
  });
  record({
    type: 'whitelist.added',
    actor: { type: 'user', id: by.id },
    subject: { type: 'whitelist', id: entry.id },
    data: {
      kind: entry.kind,
      command: entry.command,
      match: entry.match,
      reason: entry.reason,
      expiresAt: entry.expiresAt.toISOString(),
      scope: entry.scope,
      scopeValue: entry.scopeValue,
      requestId,
    },
  });
}

export async function listWhitelist(rt: Runtime) {
  const rows = await rt.database.db
    .select({ entry: schema.whitelistEntries, email: schema.users.email })
    .from(schema.whitelistEntries)
    .innerJoin(schema.users, eq(schema.users.id, schema.whitelistEntries.createdBy))
    .orderBy(desc(schema.whitelistEntries.createdAt))
    .limit(1000);
  const now = Date.now();
  return rows.map(({ entry, email }) => ({
    id: entry.id,
    kind: entry.kind,
    command: entry.command,
    match: entry.match,
    reason: entry.reason,
    scope: entry.scope,
    scopeValue: entry.scopeValue,
    createdBy: { id: entry.createdBy, email },
    requestId: entry.requestId,
    createdAt: entry.createdAt.toISOString(),
    expiresAt: entry.expiresAt.toISOString(),
    revokedAt: entry.revokedAt?.toISOString() ?? null,
    active: entry.revokedAt === null && entry.expiresAt.getTime() > now,
  }));
}

export async function revokeWhitelistEntry(rt: Runtime, by: Principal, id: string) {
  const revokedAt = new Date();
  await rt.audit.transaction(async (tx, record) => {
    const [entry] = await tx
      .select()
      .from(schema.whitelistEntries)
      .where(eq(schema.whitelistEntries.id, id))
      .for('update');
    if (!entry) throw new GatehouseError('WHITELIST_NOT_FOUND', `no whitelist entry ${id}`);
    if (entry.revokedAt)
      throw new GatehouseError('ALREADY_REVOKED', 'this whitelist entry is already revoked');
    await tx.update(schema.whitelistEntries).set({ revokedAt }).where(eq(schema.whitelistEntries.id, id));
    record({ type: 'whitelist.revoked', actor: actorOf(by), subject: { type: 'whitelist', id }, data: {} });
  });
  await whitelistChanged(rt, id);
  return { id, revokedAt: revokedAt.toISOString() };
}
