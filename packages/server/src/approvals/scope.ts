import { type Db, type RequestRow, schema } from '@gatehouse/db';
import { and, arrayContains, eq, inArray, isNotNull, isNull, not, or, type SQL, sql } from 'drizzle-orm';
import {
  type Eligibility,
  eligibleGroups,
  inScope,
  isScoped,
  normaliseEnvironment,
  type RequestScope,
  type ScopedGroup,
} from '../lifecycle/eligibility.ts';

/**
 * The kind groups are scoped by. A grant request counts as the kind it grants (`sql` for a
 * connection): a grant reaches further than one request, so the people who may decide one
 * such request are the least who must decide the grant.
 */
function eligibilityKind(row: Pick<RequestRow, 'kind' | 'context'>): string {
  if (row.kind !== 'grant') return row.kind;
  const granted = row.context.grantKind;
  return typeof granted === 'string' ? granted : 'grant';
}

export function scopeOf(row: Pick<RequestRow, 'kind' | 'context' | 'escalatedAt'>): RequestScope {
  return {
    kind: eligibilityKind(row),
    environment: normaliseEnvironment(row.context.environment),
    escalated: row.escalatedAt !== null,
  };
}

export function eligibilityOf(
  row: Pick<RequestRow, 'kind' | 'context' | 'escalatedAt'>,
  groups: readonly ScopedGroup[],
): Eligibility {
  return eligibleGroups(scopeOf(row), groups);
}

/**
 * The people who may decide a request now: active approvers, not the agent's owner, in the
 * request's scope. Used to route notifications; the decision itself re-checks everything.
 */
export async function decidersOf(
  db: Db,
  row: Pick<RequestRow, 'kind' | 'context' | 'escalatedAt'>,
  owner: string | null,
  groups: readonly ScopedGroup[],
): Promise<string[]> {
  const eligibility = eligibilityOf(row, groups);
  const approvers = await db
    .select({ id: schema.users.id })
    .from(schema.users)
    .where(
      and(
        arrayContains(schema.users.roles, ['approver']),
        isNull(schema.users.disabledAt),
        owner ? sql`${schema.users.id} <> ${owner}` : undefined,
      ),
    );
  if (!eligibility.restricted) return approvers.map((a) => a.id);
  if (eligibility.groupIds.length === 0) return [];
  const members = await db
    .select({ userId: schema.groupMembers.userId, groupId: schema.groupMembers.groupId })
    .from(schema.groupMembers)
    .where(inArray(schema.groupMembers.groupId, eligibility.groupIds));
  return approvers
    .map((a) => a.id)
    .filter((id) =>
      inScope(
        eligibility,
        members.filter((m) => m.userId === id).map((m) => m.groupId),
      ),
    );
}

/** SQL form of `groupMatches` over the requests table; must agree with the pure rule. */
function matchesSql(group: ScopedGroup): SQL {
  const parts: SQL[] = [];
  if (group.environments?.length) {
    parts.push(
      inArray(sql`lower(btrim(${schema.requests.context}->>'environment'))`, [...group.environments]),
    );
  }
  if (group.kinds?.length)
    parts.push(
      inArray(
        sql`(case when ${schema.requests.kind} = 'grant' then coalesce(${schema.requests.context}->>'grantKind', 'grant') else ${schema.requests.kind} end)`,
        [...group.kinds],
      ),
    );
  return and(...parts)!;
}

/**
 * SQL condition: the group scope lets a member of `memberOf` decide the request. The groups
 * are few and already in memory, so their scopes become literals of the query; the database
 * then filters and pages through pending requests without loading them.
 */
export function inScopeSql(groups: readonly ScopedGroup[], memberOf: readonly string[]): SQL | undefined {
  const scoped = groups.filter(isScoped);
  if (scoped.length === 0) return undefined;
  const anyMatch = or(...scoped.map(matchesSql))!;
  const direct = scoped.filter((g) => memberOf.includes(g.id)).map(matchesSql);
  const escalated = scoped.filter((g) => g.escalatesTo && memberOf.includes(g.escalatesTo)).map(matchesSql);
  return or(
    not(anyMatch),
    ...direct,
    ...(escalated.length ? [and(isNotNull(schema.requests.escalatedAt), or(...escalated))] : []),
  );
}

/**
 * SQL condition: the person may decide the request now (the list form of `ineligibility`):
 * pending, before the deadline, not their own agent's, in scope, not yet decided by them.
 */
export function decidableBySql(
  user: { id: string; roles: readonly string[] },
  groups: readonly ScopedGroup[],
  memberOf: readonly string[],
): SQL {
  if (!user.roles.includes('approver')) return sql`false`;
  return and(
    eq(schema.requests.status, 'pending'),
    sql`(${schema.requests.deadline} is null or ${schema.requests.deadline} > now())`,
    sql`not exists (select 1 from ${schema.agents} where ${schema.agents.id} = ${schema.requests.agentId} and ${schema.agents.ownerUserId} = ${user.id})`,
    sql`not exists (select 1 from ${schema.decisions} where ${schema.decisions.requestId} = ${schema.requests.id} and ${schema.decisions.userId} = ${user.id})`,
    inScopeSql(groups, memberOf),
  )!;
}
