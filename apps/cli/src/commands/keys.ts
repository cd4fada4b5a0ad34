import { adminPost, adminTarget } from '../admin-api.ts';
import type { CommandIO } from '../io.ts';

/** `gatehouse keys rotate`: new signing keys; the old ones stay published until their tokens expire. */
export async function rotate(options: { url?: string; token?: string }, io: CommandIO): Promise<number> {
  const body = await adminPost<{ kids?: string[] }>(adminTarget(options), '/v1/keys/rotate', 'key rotation');
  io.stdout.write(`rotated; new key ids: ${(body.kids ?? []).join(', ')}\n`);
  return 0;
}
