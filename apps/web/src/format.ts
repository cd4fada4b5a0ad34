import type { RequestView, Status, Tier } from './types.ts';

export const TIER_LABEL: Record<Tier, string> = {
  auto: 'auto',
  review: 'review',
  multi_party: 'multi-party',
  deny: 'deny',
};

export const STATUS_LABEL: Record<Status, string> = {
  pending: 'pending',
  approved: 'approved',
  rejected: 'rejected',
  expired: 'expired',
  cancelled: 'cancelled',
  auto_approved: 'auto-approved',
  denied: 'denied',
};

/** Remaining time as `m:ss` (or `h:mm:ss`), `expired` at or past zero. */
export function countdown(deadline: string | null, now: number): string {
  if (!deadline) return '—';
  const left = Math.floor((Date.parse(deadline) - now) / 1000);
  if (left <= 0) return 'expired';
  const h = Math.floor(left / 3600);
  const m = Math.floor((left % 3600) / 60);
  const s = String(left % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${s}` : `${m}:${s}`;
}

export function secondsLeft(deadline: string | null, now: number): number {
  return deadline ? (Date.parse(deadline) - now) / 1000 : Number.POSITIVE_INFINITY;
}

export function formatTime(iso: string | null | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** The server's order for the queue: earliest deadline first, then the riskier one. */
export function queueOrder(a: RequestView, b: RequestView): number {
  const da = a.deadline ? Date.parse(a.deadline) : Number.POSITIVE_INFINITY;
  const db = b.deadline ? Date.parse(b.deadline) : Number.POSITIVE_INFINITY;
  if (da !== db) return da - db;
  if (a.score !== b.score) return b.score - a.score;
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
}

export function agentLabel(request: RequestView): string {
  return request.agent?.name ?? request.agentId;
}
