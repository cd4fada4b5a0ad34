import { createContext, useContext } from 'react';
import type { User } from './types.ts';

export interface Session {
  user: User;
  logout(): Promise<void>;
}

export const SessionContext = createContext<Session | null>(null);

/** The signed-in person; only rendered inside the signed-in part of the app. */
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('useSession outside a signed-in page');
  return session;
}

export function hasRole(user: User, role: string): boolean {
  return user.roles.includes(role);
}
