import {
  type FinalStatus,
  isAllowStatus,
  type RequestStatus,
  type Tier,
  type VerdictDecision,
} from '@gatehouse/contract';

/**
 * The request state machine. `pending` is the only state that moves; every other state is
 * final and carries a signed verdict.
 *
 *   submit ─┬─ auto ───────────────▶ auto_approved  (allow)
 *           ├─ deny ───────────────▶ denied         (deny)
 *           └─ review/multi_party ─▶ pending ─┬─ quorum reached ─▶ approved  (allow)
 *                                             ├─ one reject ─────▶ rejected  (deny)
 *                                             ├─ deadline ───────▶ expired   (deny)
 *                                             └─ agent revoked ──▶ cancelled (deny)
 */

/** The ways a pending request ends. */
export type Closing = Extract<FinalStatus, 'approved' | 'rejected' | 'expired' | 'cancelled'>;

interface Transition {
  decision: VerdictDecision;
  /**
   * The audit event that says why the request closed. A decision carries its own
   * (`request.decided`, recorded with the person's comment), so the quorum outcomes add none.
   */
  event?: 'request.expired' | 'request.cancelled';
}

export const TRANSITIONS: Readonly<Record<Closing, Transition>> = {
  approved: { decision: 'allow' },
  rejected: { decision: 'deny' },
  expired: { decision: 'deny', event: 'request.expired' },
  cancelled: { decision: 'deny', event: 'request.cancelled' },
};

export function isAllowed(status: RequestStatus): boolean {
  return isAllowStatus(status);
}

/** Where a request starts: the tier decides at once, or leaves it to people. */
export function initialStatus(tier: Tier): RequestStatus {
  if (tier === 'auto') return 'auto_approved';
  if (tier === 'deny') return 'denied';
  return 'pending';
}

/** The verdict a final status carries. */
export function verdictDecision(status: FinalStatus): VerdictDecision {
  return isAllowStatus(status) ? 'allow' : 'deny';
}
