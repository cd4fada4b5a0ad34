import type { schema } from '@gatehouse/db';
import { buildVerdictClaims, type Decision, signVerdict } from '@gatehouse/verdict';
import type { Runtime } from '../runtime.ts';

type RequestRow = typeof schema.requests.$inferSelect;

export interface IssuedVerdict {
  verdict: string;
  expiresAt: Date;
}

/** Signs the verdict that closes a request: allow for approvals, deny for every other end. */
export async function issueVerdict(
  rt: Pick<Runtime, 'keys' | 'config'>,
  request: Pick<
    RequestRow,
    | 'id'
    | 'agentId'
    | 'sessionId'
    | 'kind'
    | 'dialect'
    | 'command'
    | 'target'
    | 'score'
    | 'tier'
    | 'policyVersion'
  >,
  decision: Decision,
  approvers: readonly string[],
): Promise<IssuedVerdict> {
  const claims = buildVerdictClaims({
    issuer: rt.config.issuer,
    agentId: request.agentId,
    sessionId: request.sessionId,
    requestId: request.id,
    decision,
    tier: request.tier,
    score: request.score,
    subject: {
      kind: request.kind,
      dialect: request.dialect,
      command: request.command,
      target: request.target,
    },
    approvers,
    policyVersion: request.policyVersion,
  });
  const verdict = await signVerdict(claims, await rt.keys.signer('verdict'));
  return { verdict, expiresAt: new Date(claims.exp * 1000) };
}
