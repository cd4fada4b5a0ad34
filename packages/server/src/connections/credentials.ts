import { open, purposeKey, seal } from '../keys/master-key.ts';
import type { Runtime } from '../platform/runtime.ts';

/**
 * A connection's login at rest: sealed (AES-256-GCM) under a key derived from the master key
 * for this purpose alone, and bound to the connection's id so a sealed login cannot be moved
 * to another connection's row. Only the broker opens it, to connect.
 */
export interface Credentials {
  user: string;
  password: string;
}

const keyOf = (rt: Pick<Runtime, 'config'>) => purposeKey(rt.config, 'connection-credential-encryption');

export function sealCredentials(
  rt: Pick<Runtime, 'config'>,
  connectionId: string,
  login: Credentials,
): string {
  return seal(
    keyOf(rt),
    JSON.stringify({ user: login.user, password: login.password }),
    `connection:${connectionId}`,
  );
}

export function openCredentials(
  rt: Pick<Runtime, 'config'>,
  connectionId: string,
  sealed: string,
): Credentials {
  const login = JSON.parse(open(keyOf(rt), sealed, `connection:${connectionId}`)) as Credentials;
  return { user: login.user, password: login.password };
}
