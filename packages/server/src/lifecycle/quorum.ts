/**
 * Quorum rules, as pure functions: who may decide, and what a set of decisions amounts to.
 * The database enforces one decision per person per request; these rules count people.
 */

import type { DecisionKind, Tier } from '@gatehouse/contract';
import { type Eligibility, inScope } from './eligibility.ts';

export interface CastDecision {
  userId: string;
  decision: DecisionKind;
}

export interface QuorumOutcome {
  status: 'pending' | 'approved' | 'rejected';
  approvals: number;
  required: number;
  /** Distinct people who approved, in the order they did. */
  approvers: string[];
}

/** A comment is required where a decision needs an account: every reject, every multi-party approval. */
export function commentRequired(tier: Tier, decision: CastDecision['decision']): boolean {
  return decision === 'reject' || tier === 'multi_party';
}

export function requiredApprovals(tier: Tier): number {
  if (tier === 'review') return 1;
  if (tier === 'multi_party') return 2;
  return 0;
}

/** One reject rejects. Otherwise approved once enough distinct people approved. */
export function evaluateQuorum(required: number, decisions: readonly CastDecision[]): QuorumOutcome {
  const approvers: string[] = [];
  for (const d of decisions) {
    if (d.decision === 'reject')
      return { status: 'rejected', approvals: approvers.length, required, approvers };
    if (!approvers.includes(d.userId)) approvers.push(d.userId);
  }
  const status = required > 0 && approvers.length >= required ? 'approved' : 'pending';
  return { status, approvals: approvers.length, required, approvers };
}

/** Why a person may not decide now; the error catalogue gives each code its HTTP status. */
export type IneligibleReason =
  | { code: 'REQUEST_FINAL'; message: string }
  | { code: 'REQUEST_EXPIRED'; message: string }
  | { code: 'ALREADY_DECIDED'; message: string }
  | { code: 'SELF_APPROVAL'; message: string }
  | { code: 'NOT_AN_APPROVER'; message: string }
  | { code: 'NOT_ELIGIBLE'; message: string };

export interface EligibilityFacts {
  approver: { id: string; roles: readonly string[]; groups?: readonly string[] };
  request: { status: string; deadline: Date | null; ownerUserId: string | null };
  /** Which approver groups may decide (see `eligibleGroups`); absent means any approver. */
  scope?: Eligibility;
  decisions: readonly CastDecision[];
  now: Date;
}

/** Separation of duties: returns why this person may not decide now, or undefined if they may. */
export function ineligibility(facts: EligibilityFacts): IneligibleReason | undefined {
  const { approver, request } = facts;
  if (!approver.roles.includes('approver')) {
    return { code: 'NOT_AN_APPROVER', message: 'deciding requests needs the approver role' };
  }
  if (request.status !== 'pending') {
    return { code: 'REQUEST_FINAL', message: `request is already ${request.status}` };
  }
  if (request.deadline && request.deadline.getTime() <= facts.now.getTime()) {
    return {
      code: 'REQUEST_EXPIRED',
      message: 'the deadline for deciding this request has passed',
    };
  }
  if (request.ownerUserId === approver.id) {
    return {
      code: 'SELF_APPROVAL',
      message: 'you own the requesting agent and cannot decide its requests',
    };
  }
  if (facts.scope && !inScope(facts.scope, approver.groups ?? [])) {
    return {
      code: 'NOT_ELIGIBLE',
      message: 'this request is routed to approver groups you are not a member of',
    };
  }
  if (facts.decisions.some((d) => d.userId === approver.id)) {
    return { code: 'ALREADY_DECIDED', message: 'you have already decided this request' };
  }
  return undefined;
}
