/**
 * Group scope, as pure functions: which approver groups a request belongs to, and whether a
 * person's memberships let them decide it. Kept apart from I/O so the list filter (SQL) and
 * the decision check (here) can be tested against the same rules.
 */

export interface ScopedGroup {
  id: string;
  /** Empty or null: any environment. */
  environments: readonly string[] | null;
  /** Empty or null: any kind. */
  kinds: readonly string[] | null;
  escalatesTo: string | null;
}

export interface RequestScope {
  kind: string;
  /** `context.environment` of the request, if it named one. */
  environment: string | null;
  /** Set once the request was escalated to the secondary groups. */
  escalated: boolean;
}

export interface Eligibility {
  /** False when no scoped group matches: any approver may decide. */
  restricted: boolean;
  /** Groups whose members may decide (only meaningful when restricted). */
  groupIds: string[];
}

/** A group restricts only when it names environments or kinds; an unscoped group is a team list. */
export function isScoped(group: ScopedGroup): boolean {
  return (group.environments?.length ?? 0) > 0 || (group.kinds?.length ?? 0) > 0;
}

export function normaliseEnvironment(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim().toLowerCase() : null;
}

export function groupMatches(group: ScopedGroup, request: RequestScope): boolean {
  if (!isScoped(group)) return false;
  if (group.environments?.length) {
    if (request.environment === null || !group.environments.includes(request.environment)) return false;
  }
  if (group.kinds?.length && !group.kinds.includes(request.kind)) return false;
  return true;
}

/**
 * The groups that may decide a request: every scoped group it matches and, once escalated,
 * the groups those name in `escalatesTo` (one step: escalation widens the circle once, it
 * does not walk a chain the admin may not have meant).
 */
export function eligibleGroups(request: RequestScope, groups: readonly ScopedGroup[]): Eligibility {
  const matching = groups.filter((g) => groupMatches(g, request));
  if (matching.length === 0) return { restricted: false, groupIds: [] };
  const ids = new Set(matching.map((g) => g.id));
  if (request.escalated) {
    for (const g of matching) if (g.escalatesTo) ids.add(g.escalatesTo);
  }
  return { restricted: true, groupIds: [...ids] };
}

/** Whether membership in `memberOf` lets a person decide a request of this scope. */
export function inScope(eligibility: Eligibility, memberOf: readonly string[]): boolean {
  if (!eligibility.restricted) return true;
  return eligibility.groupIds.some((id) => memberOf.includes(id));
}

/** The groups that become eligible only through escalation (whom to notify when it happens). */
export function escalationGroups(request: RequestScope, groups: readonly ScopedGroup[]): string[] {
  const before = eligibleGroups({ ...request, escalated: false }, groups);
  const after = eligibleGroups({ ...request, escalated: true }, groups);
  return after.groupIds.filter((id) => !before.groupIds.includes(id));
}
