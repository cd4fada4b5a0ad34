import { ROLES, type Role } from '../auth/principal.ts';

export interface MappedAccess {
  roles: Role[];
  /** Approver group names (the `group:<name>` targets). */
  groups: string[];
}

/** The values of the roles claim: an array of strings, or one string (space or comma separated). */
export function claimValues(claim: unknown): string[] {
  if (Array.isArray(claim)) return claim.filter((v): v is string => typeof v === 'string');
  if (typeof claim === 'string') return claim.split(/[\s,]+/).filter(Boolean);
  return [];
}

/** Claim values → Gatehouse roles and approver groups, through GATEHOUSE_OIDC_ROLE_MAP. */
export function mapClaimValues(values: readonly string[], map: Record<string, string[]>): MappedAccess {
  const roles = new Set<Role>();
  const groups = new Set<string>();
  for (const value of values) {
    // Own properties only: a claim value like "__proto__" must not reach into the prototype.
    if (!Object.hasOwn(map, value)) continue;
    for (const target of map[value] ?? []) {
      if (target.startsWith('group:')) groups.add(target.slice('group:'.length));
      else if ((ROLES as readonly string[]).includes(target)) roles.add(target as Role);
    }
  }
  return { roles: ROLES.filter((r) => roles.has(r)), groups: [...groups].sort() };
}

/** Every group the map names: the groups whose membership the identity provider manages. */
export function managedGroups(map: Record<string, string[]>): string[] {
  return [
    ...new Set(
      Object.values(map)
        .flat()
        .filter((t) => t.startsWith('group:'))
        .map((t) => t.slice('group:'.length)),
    ),
  ].sort();
}
