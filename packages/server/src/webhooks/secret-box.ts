import { open, purposeKey, seal } from '../keys/master-key.ts';
import type { Runtime } from '../platform/runtime.ts';

/**
 * Webhook signing secrets at rest: sealed (AES-256-GCM) under a key derived from the master
 * key for this purpose alone, so a database dump holds no usable secret, and bound to the
 * endpoint and slot (current, previous) so a sealed value cannot be moved to another row.
 */
const keyOf = (rt: Pick<Runtime, 'config'>) => purposeKey(rt.config, 'webhook-secret-encryption');

export type SecretSlot = 'current' | 'previous';

export function sealSecret(
  rt: Pick<Runtime, 'config'>,
  endpointId: string,
  slot: SecretSlot,
  secret: string,
): string {
  return seal(keyOf(rt), secret, `webhook:${endpointId}:${slot}`);
}

export function openSecret(
  rt: Pick<Runtime, 'config'>,
  endpointId: string,
  slot: SecretSlot,
  sealed: string,
): string {
  return open(keyOf(rt), sealed, `webhook:${endpointId}:${slot}`);
}
