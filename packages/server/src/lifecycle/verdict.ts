import type { FinalStatus } from '@gatehouse/contract';
import type { RequestRow } from '@gatehouse/db';
import { buildVerdictClaims, signVerdict } from '@gatehouse/verdict';
import type { AuditEventInput } from '../audit/chain.ts';
import type { Runtime } from '../platform/runtime.ts';
import { verdictDecision } from './states.ts';

export interface IssuedVerdict {
  verdict: string;
  expiresAt: Date;
}

type VerdictSubject = Pick<
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
>;

/**
 * Signs the verdict a request ends with: allow for approvals, deny for every other end. It
 * runs inside the transaction that writes the status, so it reads nothing from the database:
 * the key ring keeps its keys in memory.
 */
export async function issueVerdict(
  rt: Pick<Runtime, 'keys' | 'config'>,
  request: VerdictSubject,
  status: FinalStatus,
  approvers: readonly string[],
): Promise<IssuedVerdict> {
  const claims = buildVerdictClaims({
    issuer: rt.config.issuer,
    agentId: request.agentId,
    sessionId: request.sessionId,
    requestId: request.id,
    decision: verdictDecision(status),
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

/** Audit event for a verdict; the JWS itself is stored so the evidence can be re-verified. */
export function verdictEvent(row: RequestRow, approvers: readonly string[]): AuditEventInput {
  return {
    type: 'verdict.issued',
    actor: { type: 'system', id: 'gatehouse' },
    subject: { type: 'request', id: row.id },
    data: {
      status: row.status,
      decision: row.status === 'pending' ? null : verdictDecision(row.status),
      approvers: [...approvers],
      expiresAt: row.verdictExpiresAt?.toISOString() ?? null,
      verdict: row.verdict,
    },
  };
}
