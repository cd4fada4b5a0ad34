import type { AuthorizationDecision, PendingRequest, Reason } from '@gatehouse/sdk';

// Accounts of decisions: for people on stderr of `gatehouse run`, and for models (hook, MCP).

const STATUS_TEXT: Record<string, string> = {
  denied: 'denied by policy',
  rejected: 'rejected by an approver',
  expired: 'expired: nobody decided before the deadline',
  cancelled: 'cancelled',
};

export function describeRefusal(decision: AuthorizationDecision): string {
  const facts = [
    decision.requestId ? `request ${decision.requestId}` : undefined,
    decision.tier ? `tier ${decision.tier}` : undefined,
    decision.score === undefined ? undefined : `score ${decision.score}`,
  ].filter(Boolean);
  const what =
    decision.status === 'error'
      ? `Gatehouse could not authorize it (${decision.error?.code ?? 'ERR_INTERNAL'}: ${decision.error?.message ?? 'unknown failure'})`
      : (STATUS_TEXT[decision.status] ?? decision.status);
  return `gatehouse: not run — ${what}${facts.length ? ` [${facts.join(', ')}]` : ''}\n${reasonLines(decision.reasons)}`;
}

export function reasonLines(reasons: readonly Reason[]): string {
  return reasons.map((reason) => `  - ${reason.rule}${reason.detail ? `: ${reason.detail}` : ''}\n`).join('');
}

export function approvalsText(pending: PendingRequest): string {
  const n = pending.requiredApprovals ?? (pending.tier === 'multi_party' ? 2 : 1);
  return `${n} approval${n === 1 ? '' : 's'}${pending.tier ? ` (${pending.tier})` : ''}`;
}

export function clock(date: Date): string {
  return date.toTimeString().slice(0, 8);
}

export function elapsed(ms: number): string {
  const total = Math.max(0, Math.floor(ms / 1000));
  const mm = String(Math.floor(total / 60)).padStart(2, '0');
  const ss = String(total % 60).padStart(2, '0');
  return `${mm}:${ss}`;
}

/** A request still pending after the caller's wait, told to a model: what, who, and to retry. */
export function waitingMessage(
  requestId: string,
  kind: string,
  pending: PendingRequest | undefined,
  waitedSeconds: number,
): string {
  const needs = pending ? ` It needs ${approvalsText(pending)}` : ' It needs approval';
  const until = pending?.deadline ? ` before ${pending.deadline.toISOString()}` : '';
  return (
    `Gatehouse request ${requestId} for this ${kind} command is waiting for a person to approve it; ` +
    `the command did not run (waited ${waitedSeconds} s).${needs}${until}. ` +
    'Retry the same command later: once it is approved, the retry runs it. Do not try to work around the approval.'
  );
}
