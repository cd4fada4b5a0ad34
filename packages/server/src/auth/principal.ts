import type { Role } from '@gatehouse/contract';
import type { EnvironmentBinding } from '../agents/environment.ts';

// The roles are part of the wire contract; declared there once.
export { ROLES, type Role } from '@gatehouse/contract';

/** Who is calling. Agents act only through sessions; people through personal tokens. */
export type Principal =
  | { type: 'admin'; id: 'admin' }
  | { type: 'user'; id: string; email: string; roles: Role[] }
  | {
      type: 'agent';
      id: string;
      agentType: string;
      sessionId: string;
      environments: EnvironmentBinding;
    };

export function hasRole(principal: Principal, role: Role): boolean {
  if (principal.type === 'admin') return role === 'admin';
  return principal.type === 'user' && principal.roles.includes(role);
}

/** The actor recorded in audit events. */
export function actorOf(principal: Principal): { type: 'admin' | 'user' | 'agent'; id: string } {
  return { type: principal.type, id: principal.id };
}
