// The drift alarm's rules, pure: is the auto-approval rate of one agent type × environment over
// the rolling window too high, by itself (the ceiling) or against its own past (the baseline)?
// And given what is already on record for that key, what should the job do? No I/O.

import { rate } from './rates.ts';

export interface DriftThresholds {
  /** The rolling window, days (default 7). */
  windowDays: number;
  /** The baseline: this many days before the window (default 28). */
  baselineDays: number;
  /** Alarm when the window's rate exceeds this, 0–1 (default 0.95). */
  ceiling: number;
  /** Alarm when the window's rate exceeds the baseline's by more than this many points (default 10). */
  risePoints: number;
  /** Fewer requests than this in the window is too little to judge (default 50). */
  minRequests: number;
}

export const DEFAULT_DRIFT: DriftThresholds = {
  windowDays: 7,
  baselineDays: 28,
  ceiling: 0.95,
  risePoints: 10,
  minRequests: 50,
};

/** The policy file's `insights.drift` section: each threshold optional, the ceiling in percent. */
export interface PolicyDriftSettings {
  windowDays?: number;
  baselineDays?: number;
  ceilingPercent?: number;
  risePoints?: number;
  minRequests?: number;
}

/**
 * The thresholds in force: each one the policy file sets, else its `GATEHOUSE_DRIFT_*`
 * variable. `fromPolicy` names the ones the policy set.
 */
export function driftThresholds(
  config: DriftThresholds,
  policy: PolicyDriftSettings | undefined,
): DriftThresholds & { fromPolicy: (keyof DriftThresholds)[] } {
  const set: Partial<DriftThresholds> = {
    windowDays: policy?.windowDays,
    baselineDays: policy?.baselineDays,
    ceiling: policy?.ceilingPercent === undefined ? undefined : policy.ceilingPercent / 100,
    risePoints: policy?.risePoints,
    minRequests: policy?.minRequests,
  };
  const merged: DriftThresholds = { ...config };
  const fromPolicy: (keyof DriftThresholds)[] = [];
  for (const key of Object.keys(set) as (keyof DriftThresholds)[]) {
    const value = set[key];
    if (value === undefined) continue;
    merged[key] = value;
    fromPolicy.push(key);
  }
  return { ...merged, fromPolicy };
}

export interface Counts {
  total: number;
  autoApproved: number;
}

export type DriftTrigger = 'ceiling' | 'rise';

export interface DriftEvaluation {
  /** The window's rate; null without requests. */
  rate: number | null;
  /** The baseline's rate; null without requests in the baseline. */
  baseline: number | null;
  total: number;
  /** Why it is out of bounds; null when it is within them (or there is too little to judge). */
  trigger: DriftTrigger | null;
}

/** The periods one check compares, for a check at `now` (ms): [start, end) each. */
export function driftPeriods(now: number, t: Pick<DriftThresholds, 'windowDays' | 'baselineDays'>) {
  const day = 86_400_000;
  const windowStart = now - t.windowDays * day;
  return {
    window: { start: windowStart, end: now },
    baseline: { start: windowStart - t.baselineDays * day, end: windowStart },
  };
}

/**
 * The ceiling is checked first (it needs no history); the rise needs a baseline with at least
 * `minRequests` requests too, since a rise over a handful of requests is noise. A rate exactly
 * at the ceiling, or exactly `risePoints` above the baseline, is within bounds: "passes" and
 * "more than" are strict.
 */
export function evaluateDrift(window: Counts, baseline: Counts, t: DriftThresholds): DriftEvaluation {
  const windowRate = rate(window.autoApproved, window.total);
  const baselineRate = rate(baseline.autoApproved, baseline.total);
  let trigger: DriftTrigger | null = null;
  if (windowRate !== null && window.total >= t.minRequests) {
    if (windowRate > t.ceiling) trigger = 'ceiling';
    else if (
      baselineRate !== null &&
      baseline.total >= t.minRequests &&
      // In points, rounded to a micro-point so that float noise (0.3 - 0.2) does not decide.
      Math.round((windowRate - baselineRate) * 100 * 1e6) / 1e6 > t.risePoints
    )
      trigger = 'rise';
  }
  return { rate: windowRate, baseline: baselineRate, total: window.total, trigger };
}

/** What is on record for one key. */
export interface AlarmRecord {
  /** The open (unacknowledged) alarm, if any. */
  open: boolean;
  /** An acknowledged alarm that no check has yet found back within bounds. */
  acknowledgedUncleared: boolean;
}

/**
 * - `raise`: out of bounds, nothing open, and no acknowledged alarm still standing for it
 *   (a reviewer who acknowledged a drift is not paged again for the same drift);
 * - `update`: an open alarm stays open (only a reviewer closes it), its current rate refreshed;
 * - `clear`: back within bounds after an acknowledgement: the key re-arms;
 * - `none`: nothing to do.
 */
export type AlarmAction = 'raise' | 'update' | 'clear' | 'none';

export function alarmAction(record: AlarmRecord, evaluation: DriftEvaluation): AlarmAction {
  if (record.open) return 'update';
  if (evaluation.trigger !== null) return record.acknowledgedUncleared ? 'none' : 'raise';
  return record.acknowledgedUncleared ? 'clear' : 'none';
}

/** The key of an agent type × environment, as the API shows it. */
export function driftKey(agentType: string, environment: string): string {
  return `${agentType}/${environment}`;
}
