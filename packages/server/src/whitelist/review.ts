import type { WhitelistReviewSettings } from '@gatehouse/risk';
import { GatehouseError } from '../errors.ts';

/**
 * Whitelist review, the pure part: when an entry is next reviewed, when it lapses (stops
 * applying) if nobody reviews it, whether it is due, and how wide it reaches. The server's
 * loader and the review queue both read these, so every replica judges an entry the same way
 * from the same database state and the clock.
 */

const DAY_MS = 86_400_000;

export interface ReviewSettings {
  /** Days from an entry's creation (or its last renewal's date) to its review. */
  intervalDays: number;
  /** Days past the review date the entry still applies. */
  graceDays: number;
  /** An entry is due this many days before its review date. */
  dueWithinDays: number;
}

export const DEFAULT_REVIEW: ReviewSettings = { intervalDays: 90, graceDays: 14, dueWithinDays: 14 };

/** The longest a renewal may push the next review out: as long as an entry may live. */
export const MAX_RENEWAL_DAYS = 366;

export function reviewSettings(policy: WhitelistReviewSettings | undefined): ReviewSettings {
  return {
    intervalDays: policy?.intervalDays ?? DEFAULT_REVIEW.intervalDays,
    graceDays: policy?.graceDays ?? DEFAULT_REVIEW.graceDays,
    dueWithinDays: policy?.dueWithinDays ?? DEFAULT_REVIEW.dueWithinDays,
  };
}

/**
 * `current`: not yet due; `due`: the review date is near; `overdue`: passed, within the grace
 * period, still applying; `lapsed`: past date + grace, no longer applying; `retired`.
 */
export type ReviewState = 'current' | 'due' | 'overdue' | 'lapsed' | 'retired';

export interface ReviewInput {
  /** When the entry was added (a policy-file entry: when the server first saw it). */
  createdAt: Date;
  /** The date the last renewal set; null: never renewed. */
  nextReviewAt: Date | null;
  retiredAt: Date | null;
}

export interface ReviewView {
  state: ReviewState;
  nextReviewAt: Date;
  /** The instant the entry stops applying unless renewed. */
  lapsesAt: Date;
}

export function reviewOf(input: ReviewInput, settings: ReviewSettings, now: Date): ReviewView {
  const nextReviewAt =
    input.nextReviewAt ?? new Date(input.createdAt.getTime() + settings.intervalDays * DAY_MS);
  const lapsesAt = new Date(nextReviewAt.getTime() + settings.graceDays * DAY_MS);
  const t = now.getTime();
  let state: ReviewState;
  if (input.retiredAt !== null) state = 'retired';
  else if (t >= lapsesAt.getTime()) state = 'lapsed';
  else if (t >= nextReviewAt.getTime()) state = 'overdue';
  else if (t >= nextReviewAt.getTime() - settings.dueWithinDays * DAY_MS) state = 'due';
  else state = 'current';
  return { state, nextReviewAt, lapsesAt };
}

/** In the review queue: a reviewer should renew or retire it (a lapsed entry can be revived by renewal). */
export function isDue(view: ReviewView): boolean {
  return view.state === 'due' || view.state === 'overdue' || view.state === 'lapsed';
}

/**
 * The instant the engine should treat as the entry's end: its own expiry or its lapse,
 * whichever is first; null for a retired entry (dropped). Handing the engine this instant
 * makes a lapse exact on every replica, without waiting for anyone to reload.
 */
export function effectiveExpiry(expires: Date, input: ReviewInput, settings: ReviewSettings): Date | null {
  if (input.retiredAt !== null) return null;
  const { lapsesAt } = reviewOf(input, settings, new Date(0));
  return lapsesAt.getTime() < expires.getTime() ? lapsesAt : expires;
}

/** Checks a renewal's new review date: in the future, at most a year away. */
export function renewalDate(value: string, now: Date): Date {
  const date = new Date(value);
  if (Number.isNaN(date.getTime()))
    throw new GatehouseError('WHITELIST_REVIEW_INVALID', 'nextReviewAt must be an ISO 8601 date-time');
  if (date.getTime() <= now.getTime())
    throw new GatehouseError('WHITELIST_REVIEW_INVALID', 'nextReviewAt must be in the future');
  if (date.getTime() > now.getTime() + MAX_RENEWAL_DAYS * DAY_MS)
    throw new GatehouseError('WHITELIST_REVIEW_INVALID', 'the next review may be at most one year away');
  return date;
}

/** A review says why: an empty comment is refused. */
export function reviewComment(value: string): string {
  const comment = value.trim();
  if (comment === '') throw new GatehouseError('WHITELIST_REVIEW_INVALID', 'a review needs a comment');
  return comment;
}

export type BlastRadius = 'narrow' | 'moderate' | 'wide';

export interface Reach {
  /** Exact command text (true) or a pattern over parsed commands (false). */
  exact: boolean;
  agents?: readonly string[] | undefined;
  agentTypes?: readonly string[] | undefined;
  environments?: readonly string[] | undefined;
}

/**
 * How far an entry reaches: whom it applies to (one agent < an agent type or environment <
 * everyone; limits combine, so the narrowest counts) plus what it matches (an exact command <
 * a pattern). `narrow`: an exact command for named agents; `wide`: a pattern for everyone,
 * or an exact command for everyone.
 */
export function blastRadius(reach: Reach): BlastRadius {
  const who = reach.agents?.length ? 0 : reach.agentTypes?.length || reach.environments?.length ? 1 : 2;
  const what = reach.exact ? 0 : 1;
  const total = who + what;
  return total === 0 ? 'narrow' : total === 1 ? 'moderate' : 'wide';
}
