import type { RequestRow } from '@gatehouse/db';

/** What an agent sees of its request: the outcome and the reasons, and the verdict once final. */
export function agentView(row: RequestRow) {
  return {
    id: row.id,
    status: row.status,
    tier: row.tier,
    score: row.score,
    reasons: row.reasons,
    // While pending: how many people must approve, and until when.
    ...(row.status === 'pending'
      ? { requiredApprovals: row.requiredApprovals, deadline: row.deadline?.toISOString() ?? null }
      : {}),
    ...(row.status !== 'pending' && row.verdict ? { verdict: row.verdict } : {}),
  };
}

/** What an approver sees: everything needed to decide, never the verdict itself. */
export function approverView(row: RequestRow) {
  return {
    id: row.id,
    agentId: row.agentId,
    sessionId: row.sessionId,
    kind: row.kind,
    dialect: row.dialect,
    command: row.command,
    context: row.context,
    status: row.status,
    tier: row.tier,
    score: row.score,
    reasons: row.reasons,
    commands: row.commands,
    policyVersion: row.policyVersion,
    requiredApprovals: row.requiredApprovals,
    deadline: row.deadline?.toISOString() ?? null,
    escalatedAt: row.escalatedAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    decidedAt: row.decidedAt?.toISOString() ?? null,
  };
}
