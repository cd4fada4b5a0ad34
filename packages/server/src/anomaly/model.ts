import { TIERS, type Tier } from '@gatehouse/contract';
import type { Assessment, InsightsSettings, Reason } from '@gatehouse/risk';

/**
 * Anomaly detection, the pure part: what a request is made of (families, targets, hour,
 * minute), how requests fold into a baseline, how a baseline is compiled for the hot path,
 * and how one request is judged against it. No I/O: the job (store.ts) persists the folds,
 * the detector (detector.ts) holds the compiled baseline and the per-replica counters.
 */

export type Scope = 'type' | 'agent';
export const TARGET_FEATURES = ['host', 'path', 'database', 'table'] as const;
export type TargetFeature = (typeof TARGET_FEATURES)[number];
export type Feature = 'family' | TargetFeature;

export const MINUTE_MS = 60_000;
export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
/** Longer values are cut: a family or target is a name, and a baseline row must stay small. */
const MAX_VALUE = 200;

export interface AnomalySettings {
  enabled: boolean;
  /** A family or target last seen longer ago than this is new again; hours and rates span it. */
  windowDays: number;
  /** A type or agent with fewer requests folded in is learning: it raises nothing. */
  learningRequests: number;
  /** Which new targets raise `anomaly.target`; the others are learned and shown only. */
  targets: readonly TargetFeature[];
  /** An hour of day (UTC) holding less than this share of the window's requests is off-hours. */
  offHoursPercent: number;
  /** A minute with more than `burstFactor` × the usual peak per minute is a burst… */
  burstFactor: number;
  /** …and never below this many requests in a minute. */
  burstMinimum: number;
  /** What an anomaly adds to the score (once, however many anomalies). */
  weight: number;
}

export const DEFAULT_ANOMALY: AnomalySettings = {
  enabled: true,
  windowDays: 60,
  learningRequests: 200,
  targets: ['host', 'database', 'table'],
  offHoursPercent: 1,
  burstFactor: 3,
  burstMinimum: 30,
  weight: 15,
};

/** The policy's `insights.anomaly` over the defaults. */
export function anomalySettings(insights: InsightsSettings | undefined): AnomalySettings {
  const file = insights?.anomaly ?? {};
  const defined = Object.fromEntries(Object.entries(file).filter(([, v]) => v !== undefined));
  return { ...DEFAULT_ANOMALY, ...defined } as AnomalySettings;
}

export interface FeatureValue {
  feature: Feature;
  value: string;
}

/** The parts of a parsed command the baseline reads (stored requests carry the same shape). */
export interface CommandLike {
  kind?: string;
  name?: string;
  args?: readonly string[];
  tables?: readonly string[];
}

export interface ContextLike {
  host?: unknown;
  database?: unknown;
  cwd?: unknown;
}

const clip = (value: string) => value.slice(0, MAX_VALUE);

/** `terraform`, `kubectl`; SQL statements as `sql DELETE`. */
export function familyOf(command: CommandLike): string | null {
  const name = typeof command.name === 'string' ? command.name.trim() : '';
  if (!name) return null;
  return clip(command.kind === 'sql' ? `sql ${name.toUpperCase()}` : name);
}

/**
 * The root of an absolute path: its first two segments (`/var/lib/x` → `/var/lib`), so that
 * files under one tree count as one target and a new tree stands out.
 */
export function pathRoot(path: string): string | null {
  if (!path.startsWith('/')) return null;
  // The usual path (no empty, `.` or `..` segment) is cut where its third slash is.
  if (!path.includes('//') && !path.includes('/.')) {
    const second = path.indexOf('/', 1);
    const third = second < 0 ? -1 : path.indexOf('/', second + 1);
    return clip(third < 0 ? (path.endsWith('/') ? path.slice(0, -1) || '/' : path) : path.slice(0, third));
  }
  const segments = path.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return null;
  return clip(`/${segments.slice(0, 2).join('/')}`);
}

/** Everything a request names that the baseline learns, without repeats. */
export function featuresOf(commands: readonly CommandLike[], context: ContextLike): FeatureValue[] {
  const out: FeatureValue[] = [];
  // A request names a handful of things: a linear scan beats hashing them.
  const add = (feature: Feature, raw: unknown) => {
    if (typeof raw !== 'string') return;
    const value = clip(raw.trim());
    if (!value) return;
    for (const f of out) if (f.feature === feature && f.value === value) return;
    out.push({ feature, value });
  };
  for (const command of commands) {
    add('family', familyOf(command));
    for (const table of command.tables ?? []) add('table', table.toLowerCase());
    if (command.kind !== 'sql')
      for (const arg of command.args ?? []) if (arg.startsWith('/')) add('path', pathRoot(arg));
  }
  if (typeof context.host === 'string') add('host', context.host.toLowerCase());
  add('database', context.database);
  if (typeof context.cwd === 'string') add('path', pathRoot(context.cwd));
  return out;
}

// ---------------------------------------------------------------------------------------
// Folding requests into a baseline (what the job writes)

/** A request as the job reads it. */
export interface Observation {
  agentId: string;
  agentType: string;
  at: number;
  features: readonly FeatureValue[];
}

export interface ScopeRef {
  scope: Scope;
  key: string;
  agentType: string;
}

export interface ScopeState {
  requests: number;
  firstSeen: number;
  lastSeen: number;
  /** The calendar minute (start, ms) still counting, and its count so far. */
  openMinute: number | null;
  openCount: number;
}

export interface DayStats {
  requests: number;
  /** Requests per hour of day (UTC), 24 entries. */
  hours: number[];
  /** Closed minutes that had at least one request, and the sum, sum of squares and max of their counts. */
  minutes: number;
  minuteSum: number;
  minuteSumSq: number;
  minuteMax: number;
}

export interface FeatureStats {
  count: number;
  firstSeen: number;
  lastSeen: number;
}

export const scopeId = (scope: Scope, key: string) => `${scope}\u0000${key}`;
export const startOf = (t: number, unit: number) => Math.floor(t / unit) * unit;

export function emptyDay(): DayStats {
  return {
    requests: 0,
    hours: Array.from({ length: 24 }, () => 0),
    minutes: 0,
    minuteSum: 0,
    minuteSumSq: 0,
    minuteMax: 0,
  };
}

/**
 * What one job round adds: the scopes' new state, and per day and per feature the amounts to
 * add to what is stored (counts add, last-seen takes the later). Folding is associative over
 * requests in time order, so pages of any size give the same baseline.
 */
export class BaselineFold {
  readonly scopes = new Map<string, { ref: ScopeRef; state: ScopeState }>();
  readonly days = new Map<string, { ref: ScopeRef; day: number; stats: DayStats }>();
  readonly features = new Map<
    string,
    { ref: ScopeRef; feature: Feature; value: string; stats: FeatureStats }
  >();

  /** Starts from the stored scopes, whose open minutes the next requests may continue. */
  constructor(stored: Iterable<{ ref: ScopeRef; state: ScopeState }> = []) {
    for (const s of stored)
      this.scopes.set(scopeId(s.ref.scope, s.ref.key), { ref: s.ref, state: { ...s.state } });
  }

  /** Traffic: the request counts toward the scopes' totals, hours and per-minute rates. */
  traffic(obs: Observation): void {
    for (const ref of refsOf(obs)) {
      const id = scopeId(ref.scope, ref.key);
      let entry = this.scopes.get(id);
      if (!entry) {
        entry = {
          ref,
          state: { requests: 0, firstSeen: obs.at, lastSeen: obs.at, openMinute: null, openCount: 0 },
        };
        this.scopes.set(id, entry);
      }
      const state = entry.state;
      state.requests++;
      state.firstSeen = Math.min(state.firstSeen, obs.at);
      state.lastSeen = Math.max(state.lastSeen, obs.at);
      const day = this.#day(ref, startOf(obs.at, DAY_MS));
      day.requests++;
      day.hours[new Date(obs.at).getUTCHours()]! += 1;
      const minute = startOf(obs.at, MINUTE_MS);
      if (state.openMinute === minute) state.openCount++;
      else if (state.openMinute !== null && minute < state.openMinute) {
        // Out of order (a request committed after later ones were folded): its own minute.
        this.#closeMinute(ref, minute, 1);
      } else {
        if (state.openMinute !== null) this.#closeMinute(ref, state.openMinute, state.openCount);
        state.openMinute = minute;
        state.openCount = 1;
      }
    }
  }

  /** Learning: the request's families and targets become known (only for allowed requests). */
  learn(obs: Observation): void {
    for (const ref of refsOf(obs))
      for (const f of obs.features) {
        const id = `${scopeId(ref.scope, ref.key)}\u0000${f.feature}\u0000${f.value}`;
        const entry = this.features.get(id);
        if (entry) {
          entry.stats.count++;
          entry.stats.firstSeen = Math.min(entry.stats.firstSeen, obs.at);
          entry.stats.lastSeen = Math.max(entry.stats.lastSeen, obs.at);
        } else
          this.features.set(id, {
            ref,
            feature: f.feature,
            value: f.value,
            stats: { count: 1, firstSeen: obs.at, lastSeen: obs.at },
          });
      }
  }

  #day(ref: ScopeRef, day: number): DayStats {
    const id = `${scopeId(ref.scope, ref.key)}\u0000${day}`;
    let entry = this.days.get(id);
    if (!entry) {
      entry = { ref, day, stats: emptyDay() };
      this.days.set(id, entry);
    }
    return entry.stats;
  }

  #closeMinute(ref: ScopeRef, minute: number, count: number): void {
    const day = this.#day(ref, startOf(minute, DAY_MS));
    day.minutes++;
    day.minuteSum += count;
    day.minuteSumSq += count * count;
    day.minuteMax = Math.max(day.minuteMax, count);
  }
}

function refsOf(obs: Observation): ScopeRef[] {
  return [
    { scope: 'type', key: obs.agentType, agentType: obs.agentType },
    { scope: 'agent', key: obs.agentId, agentType: obs.agentType },
  ];
}

/** Adds a day's delta to what is stored (the job's upsert does the same in SQL). */
export function addDays(a: DayStats, b: DayStats): DayStats {
  return {
    requests: a.requests + b.requests,
    hours: a.hours.map((h, i) => h + (b.hours[i] ?? 0)),
    minutes: a.minutes + b.minutes,
    minuteSum: a.minuteSum + b.minuteSum,
    minuteSumSq: a.minuteSumSq + b.minuteSumSq,
    minuteMax: Math.max(a.minuteMax, b.minuteMax),
  };
}

// ---------------------------------------------------------------------------------------
// The compiled baseline (what the hot path reads)

export interface CompiledScope {
  ref: ScopeRef;
  /** Every request folded in: the cold start counts these. */
  requests: number;
  /** Requests in the window: hours and rates are judged only over enough of them. */
  windowRequests: number;
  /** Family or `feature\0value` → last seen (ms). */
  known: Map<string, number>;
  /** Share of the window's requests per hour of day (UTC). */
  hourShare: number[];
  /** The usual busiest minute: mean + 3 standard deviations of the active minutes' counts. */
  usualPerMinute: number | null;
}

export interface CompiledBaseline {
  types: Map<string, CompiledScope>;
  agents: Map<string, CompiledScope>;
}

export const knownKey = (feature: Feature, value: string) => `${feature}\u0000${value}`;

/** Per-minute moments → the usual peak rate, or null without a closed minute. */
export function usualPeak(days: Iterable<DayStats>): number | null {
  let n = 0;
  let sum = 0;
  let sumSq = 0;
  for (const d of days) {
    n += d.minutes;
    sum += d.minuteSum;
    sumSq += d.minuteSumSq;
  }
  if (n === 0) return null;
  const mean = sum / n;
  const variance = Math.max(0, sumSq / n - mean * mean);
  return mean + 3 * Math.sqrt(variance);
}

export interface StoredScope {
  ref: ScopeRef;
  state: ScopeState;
  /** The scope's days (any; those outside the window are ignored). */
  days: { day: number; stats: DayStats }[];
  features: { feature: Feature; value: string; count: number; lastSeen: number }[];
}

/** One scope as the checks read it, judged as of `now`. */
export function compileScope(stored: StoredScope, settings: AnomalySettings, now: number): CompiledScope {
  const from = now - settings.windowDays * DAY_MS;
  const days = stored.days.filter((d) => d.day + DAY_MS > from).map((d) => d.stats);
  const hours = Array.from({ length: 24 }, () => 0);
  let windowRequests = 0;
  for (const d of days) {
    windowRequests += d.requests;
    d.hours.forEach((h, i) => {
      hours[i]! += h;
    });
  }
  const known = new Map<string, number>();
  for (const f of stored.features)
    if (f.lastSeen >= from) {
      const key = knownKey(f.feature, f.value);
      known.set(key, Math.max(known.get(key) ?? 0, f.lastSeen));
    }
  return {
    ref: stored.ref,
    requests: stored.state.requests,
    windowRequests,
    known,
    hourShare: hours.map((h) => (windowRequests > 0 ? h / windowRequests : 0)),
    usualPerMinute: usualPeak(days),
  };
}

export function compileBaseline(
  scopes: Iterable<StoredScope>,
  settings: AnomalySettings,
  now: number,
): CompiledBaseline {
  const baseline: CompiledBaseline = { types: new Map(), agents: new Map() };
  for (const s of scopes)
    (s.ref.scope === 'type' ? baseline.types : baseline.agents).set(
      s.ref.key,
      compileScope(s, settings, now),
    );
  return baseline;
}

// ---------------------------------------------------------------------------------------
// Judging one request

export interface RequestFacts {
  agentId: string;
  agentType: string;
  at: number;
  features: readonly FeatureValue[];
  /** Requests in the last minute seen by this replica, this one included. */
  recent: { agent: number; type: number };
}

export const ANOMALY_RULES = ['anomaly.family', 'anomaly.target', 'anomaly.burst', 'anomaly.hour'] as const;

/** Learning: too few requests folded in to tell usual from unusual. */
export function isLearning(scope: CompiledScope | undefined, settings: AnomalySettings): boolean {
  return !scope || scope.requests < settings.learningRequests;
}

const TARGET_WORDS: Record<TargetFeature, string> = {
  host: 'host',
  path: 'path under',
  database: 'database',
  table: 'table',
};

/**
 * The anomalies of one request: against its type's baseline, then its agent's (what the type
 * already flagged is not said twice). A scope still learning says nothing.
 */
export function findAnomalies(
  baseline: CompiledBaseline,
  facts: RequestFacts,
  settings: AnomalySettings,
): Reason[] {
  if (!settings.enabled) return [];
  const reasons: Reason[] = [];
  const flagged = new Set<string>();
  const window = settings.windowDays * DAY_MS;
  // Messages are built only for what is flagged: the usual request pays for the lookups alone.
  const days = () => `${settings.windowDays} day${settings.windowDays === 1 ? '' : 's'}`;
  const judge = (scope: CompiledScope | undefined, who: () => string, recent: number) => {
    if (!scope || isLearning(scope, settings)) return;
    const add = (rule: (typeof ANOMALY_RULES)[number], key: string, detail: () => string) => {
      if (flagged.has(key)) return;
      flagged.add(key);
      reasons.push({ rule, category: 'context', weight: settings.weight, detail: detail() });
    };
    for (const f of facts.features) {
      if (f.feature !== 'family' && !settings.targets.includes(f.feature)) continue;
      const seen = scope.known.get(knownKey(f.feature, f.value));
      if (seen !== undefined && seen >= facts.at - window) continue;
      if (f.feature === 'family')
        add(
          'anomaly.family',
          `family\u0000${f.value}`,
          () => `first \`${f.value}\` command from ${who()} in ${days()}`,
        );
      else {
        const word = TARGET_WORDS[f.feature];
        add(
          'anomaly.target',
          `${f.feature}\u0000${f.value}`,
          () => `first request for ${word} \`${f.value}\` from ${who()} in ${days()}`,
        );
      }
    }
    // Hours and rates need enough recent traffic: a type idle for most of the window has none.
    if (scope.windowRequests < settings.learningRequests) return;
    const hour = Math.floor(facts.at / HOUR_MS) % 24;
    const share = scope.hourShare[hour] ?? 0;
    if (share * 100 < settings.offHoursPercent)
      add(
        'anomaly.hour',
        'hour',
        () =>
          `request at ${String(hour).padStart(2, '0')}:00–${String((hour + 1) % 24).padStart(2, '0')}:00 UTC, an hour that held ${formatPercent(share)} of the requests from ${who()} in ${days()}`,
      );
    const threshold = burstThreshold(scope.usualPerMinute, settings);
    if (threshold !== null && recent > threshold)
      add(
        'anomaly.burst',
        `burst\u0000${scope.ref.scope}`,
        () =>
          `${recent} requests in the last minute from ${who()}, above ${threshold} (${settings.burstFactor}× the usual peak of ${round1(scope.usualPerMinute ?? 0)} per minute over ${days()})`,
      );
  };
  judge(baseline.types.get(facts.agentType), () => `any agent of type ${facts.agentType}`, facts.recent.type);
  judge(baseline.agents.get(facts.agentId), () => `agent ${facts.agentId}`, facts.recent.agent);
  return reasons;
}

/** More requests than this in one minute is a burst; null when no rate is known yet. */
export function burstThreshold(usual: number | null, settings: AnomalySettings): number | null {
  if (usual === null) return null;
  return Math.max(settings.burstMinimum, Math.ceil(settings.burstFactor * usual));
}

const round1 = (x: number) => Math.round(x * 10) / 10;

function formatPercent(share: number): string {
  const p = share * 100;
  return `${p === 0 ? '0' : p < 0.1 ? '<0.1' : round1(p)}%`;
}

/**
 * One tier up, at most to `multi_party`: an unusual request wants more eyes, but being
 * unusual is not by itself grounds to refuse it (only a policy rule denies). Never lower.
 */
export function raiseTier(tier: Tier): Tier {
  if (tier === 'deny' || tier === 'multi_party') return tier;
  return TIERS[TIERS.indexOf(tier) + 1]!;
}

/**
 * The assessment with its anomalies: reasons added, the tier raised once and the score by the
 * weight once, however many anomalies. Already carrying anomalies, it is returned as it is,
 * so applying twice changes nothing.
 */
export function withAnomalies(assessment: Assessment, anomalies: readonly Reason[]): Assessment {
  if (anomalies.length === 0) return assessment;
  if (assessment.reasons.some((r) => r.rule.startsWith('anomaly.'))) return assessment;
  const weight = Math.max(...anomalies.map((r) => r.weight));
  return {
    ...assessment,
    tier: raiseTier(assessment.tier),
    score: Math.min(100, Math.max(assessment.score, assessment.score + weight)),
    reasons: [...assessment.reasons, ...anomalies],
  };
}

/**
 * Runs the check; one that throws raises the tier as an anomaly would, with `anomaly.error`,
 * because a broken check must not let through what a working one would have stopped.
 */
export function failClosed(
  assessment: Assessment,
  weight: number,
  check: () => Assessment,
  onError: (error: unknown) => void = () => {},
): Assessment {
  try {
    return check();
  } catch (error) {
    onError(error);
    return withAnomalies(assessment, [
      {
        rule: 'anomaly.error',
        category: 'uncertainty',
        weight,
        detail: 'the anomaly check failed, so this request could not be compared with its baseline',
      },
    ]);
  }
}
