import { type Db, schema } from '@gatehouse/db';
import { and, asc, eq } from 'drizzle-orm';
import { actorOf, type Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { ScopedGroup } from '../lifecycle/eligibility.ts';
import type { Runtime } from '../platform/runtime.ts';

export const KINDS = ['shell', 'sql'] as const;

export interface GroupInput {
  name: string;
  environments?: string[];
  kinds?: (typeof KINDS)[number][];
  escalatesTo?: string;
}

export interface GroupView {
  id: string;
  name: string;
  environments: string[];
  kinds: string[];
  escalatesTo: string | null;
  members: { id: string; email: string }[];
  createdAt: string;
}

/** Every group with its scope; few enough to hold in memory for each eligibility check. */
export async function loadGroups(db: Db): Promise<ScopedGroup[]> {
  return db
    .select({
      id: schema.approverGroups.id,
      environments: schema.approverGroups.environments,
      kinds: schema.approverGroups.kinds,
      escalatesTo: schema.approverGroups.escalatesTo,
    })
    .from(schema.approverGroups);
}

/** The ids of the groups a person belongs to. */
export async function groupsOf(db: Db, userId: string): Promise<string[]> {
  const rows = await db
    .select({ id: schema.groupMembers.groupId })
    .from(schema.groupMembers)
    .where(eq(schema.groupMembers.userId, userId));
  return rows.map((r) => r.id);
}

export async function listGroups(rt: Runtime): Promise<GroupView[]> {
  const db = rt.database.db;
  const groups = await db.select().from(schema.approverGroups).orderBy(asc(schema.approverGroups.name));
  const members = await db
    .select({ groupId: schema.groupMembers.groupId, id: schema.users.id, email: schema.users.email })
    .from(schema.groupMembers)
    .innerJoin(schema.users, eq(schema.users.id, schema.groupMembers.userId))
    .orderBy(asc(schema.users.email));
  return groups.map((g) => ({
    id: g.id,
    name: g.name,
    environments: g.environments ?? [],
    kinds: g.kinds ?? [],
    escalatesTo: g.escalatesTo,
    members: members.filter((m) => m.groupId === g.id).map(({ id, email }) => ({ id, email })),
    createdAt: g.createdAt.toISOString(),
  }));
}

export async function createGroup(rt: Runtime, by: Principal, input: GroupInput): Promise<GroupView> {
  const id = newId('grp');
  // Environments are compared case-insensitively with `context.environment`.
  const environments = [...new Set((input.environments ?? []).map((e) => e.trim().toLowerCase()))];
  const kinds = [...new Set(input.kinds ?? [])];
  const escalatesTo = input.escalatesTo ?? null;
  const createdAt = await rt.audit.transaction(async (tx, record) => {
    if (escalatesTo) {
      const [target] = await tx
        .select({ id: schema.approverGroups.id })
        .from(schema.approverGroups)
        .where(eq(schema.approverGroups.id, escalatesTo));
      if (!target) throw new GatehouseError('UNKNOWN_GROUP', `escalatesTo names no group ${escalatesTo}`);
    }
    const inserted = await tx
      .insert(schema.approverGroups)
      .values({
        id,
        name: input.name.trim(),
        environments: environments.length ? environments : null,
        kinds: kinds.length ? kinds : null,
        escalatesTo,
      })
      .onConflictDoNothing()
      .returning({ createdAt: schema.approverGroups.createdAt });
    if (inserted.length === 0)
      throw new GatehouseError('GROUP_EXISTS', `a group named ${input.name} already exists`);
    record({
      type: 'group.created',
      actor: actorOf(by),
      subject: { type: 'group', id },
      data: { name: input.name.trim(), environments, kinds, escalatesTo },
    });
    return inserted[0]!.createdAt;
  });
  return {
    id,
    name: input.name.trim(),
    environments,
    kinds,
    escalatesTo,
    members: [],
    createdAt: createdAt.toISOString(),
  };
}

export async function addMember(rt: Runtime, by: Principal, groupId: string, userId: string) {
  await rt.audit.transaction(async (tx, record) => {
    await requireGroup(tx, groupId);
    const [user] = await tx
      .select({ id: schema.users.id })
      .from(schema.users)
      .where(eq(schema.users.id, userId));
    if (!user) throw new GatehouseError('UNKNOWN_USER', `no user ${userId}`);
    const inserted = await tx
      .insert(schema.groupMembers)
      .values({ groupId, userId })
      .onConflictDoNothing()
      .returning({ userId: schema.groupMembers.userId });
    if (inserted.length === 0)
      throw new GatehouseError('ALREADY_MEMBER', `${userId} is already in the group`);
    record({
      type: 'group.member_added',
      actor: actorOf(by),
      subject: { type: 'group', id: groupId },
      data: { userId },
    });
  });
  return { groupId, userId };
}

export async function removeMember(rt: Runtime, by: Principal, groupId: string, userId: string) {
  await rt.audit.transaction(async (tx, record) => {
    await requireGroup(tx, groupId);
    const removed = await tx
      .delete(schema.groupMembers)
      .where(and(eq(schema.groupMembers.groupId, groupId), eq(schema.groupMembers.userId, userId)))
      .returning({ userId: schema.groupMembers.userId });
    if (removed.length === 0) throw new GatehouseError('NOT_A_MEMBER', `${userId} is not in the group`);
    record({
      type: 'group.member_removed',
      actor: actorOf(by),
      subject: { type: 'group', id: groupId },
      data: { userId },
    });
  });
}

async function requireGroup(tx: Db, groupId: string): Promise<void> {
  const [group] = await tx
    .select({ id: schema.approverGroups.id })
    .from(schema.approverGroups)
    .where(eq(schema.approverGroups.id, groupId));
  if (!group) throw new GatehouseError('GROUP_NOT_FOUND', `no group ${groupId}`);
}
