import { randomFillSync } from 'node:crypto';

export type IdPrefix =
  | 'usr'
  | 'tok'
  | 'agt'
  | 'ses'
  | 'req'
  | 'grp'
  | 'wle'
  | 'whk'
  | 'msg'
  | 'whd'
  | 'wlr'
  | 'con'
  | 'cng'
  | 'grt';

const RANDOM_BYTES = 10;
// Ids are names, not secrets; drawing their randomness from a refilled pool saves a call into
// the CSPRNG per id on the decision path (several ids per request).
const pool = Buffer.alloc(4096);
let offset = pool.length;

function randomPart(): string {
  if (offset + RANDOM_BYTES > pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const bytes = pool.subarray(offset, offset + RANDOM_BYTES);
  offset += RANDOM_BYTES;
  return bytes.toString('base64url').slice(0, 13);
}

/**
 * Prefixed ids that sort by creation time: 10 characters of millisecond time, then 80
 * random bits. Readable in logs (`req_…` is a request) and index-friendly.
 */
export function newId(prefix: IdPrefix): string {
  const time = Date.now().toString(36).padStart(10, '0');
  return `${prefix}_${time}${randomPart()}`;
}
