import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** Prefixes make a leaked credential identifiable by secret scanners and by us. */
export const TOKEN_PREFIX = {
  agentKey: 'gha_',
  userToken: 'ghu_',
  adminToken: 'ghadm_',
} as const;

export function newSecret(prefix: string): string {
  return `${prefix}${randomBytes(32).toString('base64url')}`;
}

/**
 * Credentials are 256-bit random values, so a fast hash is enough: nothing to brute-force.
 * Passwords (chosen by people) are a different matter and are not hashed here.
 */
export function hashSecret(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export function sameHash(a: string, b: string): boolean {
  const x = Buffer.from(a, 'hex');
  const y = Buffer.from(b, 'hex');
  return x.length === y.length && x.length > 0 && timingSafeEqual(x, y);
}
