import { randomBytes } from 'node:crypto';

export type IdPrefix = 'usr' | 'tok' | 'agt' | 'ses' | 'req' | 'grp' | 'wle';

/**
 * Prefixed ids that sort by creation time: 10 characters of millisecond time, then 80
 * random bits. Readable in logs (`req_…` is a request) and index-friendly.
 */
export function newId(prefix: IdPrefix): string {
  const time = Date.now().toString(36).padStart(10, '0');
  return `${prefix}_${time}${randomBytes(10).toString('base64url').slice(0, 13)}`;
}
