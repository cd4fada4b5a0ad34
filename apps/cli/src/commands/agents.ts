import { adminPost, adminTarget } from '../admin-api.ts';
import type { CommandIO } from '../io.ts';

/** `gatehouse agents revoke <agent-id>`: the agent is cut off on every replica within a second. */
export async function revoke(
  agentId: string,
  options: { url?: string; token?: string },
  io: CommandIO,
): Promise<number> {
  const result = await adminPost<{ cancelledRequests?: string[] }>(
    adminTarget(options),
    `/v1/agents/${encodeURIComponent(agentId)}/revoke`,
    'revocation',
  );
  const cancelled = result.cancelledRequests ?? [];
  io.stdout.write(
    `revoked ${agentId}; ${cancelled.length} pending request(s) cancelled${cancelled.length ? `: ${cancelled.join(', ')}` : ''}\n`,
  );
  return 0;
}
