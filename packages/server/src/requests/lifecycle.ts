import { REQUEST_STATUSES, type RequestStatus } from '@gatehouse/db';

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
export const FINAL_STATUSES: readonly RequestStatus[] = REQUEST_STATUSES.filter((s) => s !== 'pending');

export function isFinal(status: RequestStatus): boolean {
  return status !== 'pending';
}

export function isAllowed(status: RequestStatus): boolean {
  return status === 'approved' || status === 'auto_approved';
}

export function initialStatus(tier: 'auto' | 'review' | 'multi_party' | 'deny'): RequestStatus {
  if (tier === 'auto') return 'auto_approved';
  if (tier === 'deny') return 'denied';
  return 'pending';
}
