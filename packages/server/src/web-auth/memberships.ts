import { type Db, schema } from '@gatehouse/db';
import { and, eq, inArray } from 'drizzle-orm';
import { newId } from '../ids.ts';

/** Names of the approver groups a user belongs to. */
export async function groupsOf(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ name: schema.approverGroups.name })
    .from(schema.groupMembers)
    .innerJoin(schema.approverGroups, eq(schema.approverGroups.id, schema.groupMembers.groupId))
    .where(eq(schema.groupMembers.userId, userId))
    .orderBy(schema.approverGroups.name);
  return rows.map((r) => r.name);
}

/**
 * Makes a user's membership of the identity-provider-managed groups (`managed`: every group the
 * role map names) equal to `wanted`. Groups the map does not name are left to the admins.
 * A mapped group that does not exist yet is created unscoped, which restricts no one.
 */
export async function syncManagedGroups(
  tx: Db,
  userId: string,
  wanted: readonly string[],
  managed: readonly string[],
): Promise<{ added: string[]; removed: string[] }> {
  const before = new Set(await groupsOf(tx, userId));
  const added = wanted.filter((name) => !before.has(name));
  const removed = managed.filter((name) => before.has(name) && !wanted.includes(name));
  for (const name of added) {
    await tx
      .insert(schema.approverGroups)
      .values({ id: newId('grp'), name })
      .onConflictDoNothing();
    const [group] = await tx
      .select({ id: schema.approverGroups.id })
      .from(schema.approverGroups)
      .where(eq(schema.approverGroups.name, name));
    if (!group) throw new Error(`approver group ${name} vanished`);
    await tx.insert(schema.groupMembers).values({ groupId: group.id, userId }).onConflictDoNothing();
  }
  if (removed.length > 0) {
    const ids = await tx
      .select({ id: schema.approverGroups.id })
      .from(schema.approverGroups)
      .where(inArray(schema.approverGroups.name, removed));
    await tx.delete(schema.groupMembers).where(
      and(
        eq(schema.groupMembers.userId, userId),
        inArray(
          schema.groupMembers.groupId,
          ids.map((g) => g.id),
        ),
      ),
    );
  }
  return { added, removed };
}
