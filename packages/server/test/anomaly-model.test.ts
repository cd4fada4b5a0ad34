import { TIERS, type Tier } from '@gatehouse/contract';
import { type Assessment, loadPolicy, type Reason } from '@gatehouse/risk';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type AnomalySettings,
  addDays,
  anomalySettings,
  BaselineFold,
  burstThreshold,
  compileBaseline,
  DAY_MS,
  type DayStats,
  DEFAULT_ANOMALY,
  type FeatureStats,
  type FeatureValue,
  failClosed,
  featuresOf,
  findAnomalies,
  type Observation,
  pathRoot,
  type RequestFacts,
  raiseTier,
  type ScopeRef,
  type ScopeState,
  type StoredScope,
  scopeId,
  usualPeak,
  withAnomalies,
} from '../src/anomaly/model.ts';
import { MinuteCounter } from '../src/anomaly/rate.ts';

const MINUTE = 60_000;
const HOUR = 3_600_000;
const NOW = Date.UTC(2026, 5, 1, 12, 0, 0);
const settings: AnomalySettings = { ...DEFAULT_ANOMALY, learningRequests: 100 };

/** A stand-in for the three tables: scopes replaced, days and features added (as writeFold does). */
class Store {
  scopes = new Map<string, { ref: ScopeRef; state: ScopeState }>();
  days = new Map<string, { ref: ScopeRef; day: number; stats: DayStats }>();
  features = new Map<string, { ref: ScopeRef; feature: string; value: string; stats: FeatureStats }>();

  write(fold: BaselineFold): void {
    for (const [id, s] of fold.scopes) this.scopes.set(id, { ref: s.ref, state: { ...s.state } });
    for (const [id, d] of fold.days) {
      const had = this.days.get(id);
      this.days.set(id, { ...d, stats: had ? addDays(had.stats, d.stats) : d.stats });
    }
    for (const [id, f] of fold.features) {
      const had = this.features.get(id)?.stats;
      this.features.set(id, {
        ...f,
        stats: had
          ? {
              count: had.count + f.stats.count,
              firstSeen: Math.min(had.firstSeen, f.stats.firstSeen),
              lastSeen: Math.max(had.lastSeen, f.stats.lastSeen),
            }
          : f.stats,
      });
    }
  }

  stored(): StoredScope[] {
    return [...this.scopes.values()].map(({ ref, state }) => ({
      ref,
      state,
      days: [...this.days.values()]
        .filter((d) => d.ref.scope === ref.scope && d.ref.key === ref.key)
        .map((d) => ({ day: d.day, stats: d.stats })),
      features: [...this.features.values()]
        .filter((f) => f.ref.scope === ref.scope && f.ref.key === ref.key)
        .map((f) => ({
          feature: f.feature as FeatureValue['feature'],
          value: f.value,
          count: f.stats.count,
          lastSeen: f.stats.lastSeen,
        })),
    }));
  }
}

function foldAll(observations: readonly Observation[], pageSizes: readonly number[] = []): Store {
  const store = new Store();
  let i = 0;
  let p = 0;
  while (i < observations.length) {
    const size = pageSizes.length ? Math.max(1, pageSizes[p++ % pageSizes.length]!) : observations.length;
    const fold = new BaselineFold(store.scopes.values());
    for (const obs of observations.slice(i, i + size)) {
      fold.traffic(obs);
      fold.learn(obs);
    }
    store.write(fold);
    i += size;
  }
  return store;
}

const shell = (name: string, ...args: string[]) => ({ kind: 'shell', name, args });

/** `n` requests of agent `agentId`, type `agentType`, one every `every` ms ending before NOW. */
function history(n: number, agentType: string, agentId: string, every: number, features: FeatureValue[]) {
  return Array.from({ length: n }, (_, i) => ({
    agentId,
    agentType,
    at: NOW - (n - i) * every,
    features,
  }));
}

const baselineOf = (observations: Observation[]) =>
  compileBaseline(foldAll(observations).stored(), settings, NOW);

const facts = (over: Partial<RequestFacts> = {}): RequestFacts => ({
  agentId: 'agt_1',
  agentType: 'ci',
  at: NOW,
  features: [{ feature: 'family', value: 'git' }],
  recent: { agent: 1, type: 1 },
  ...over,
});

const assessment = (tier: Tier, score = 10, reasons: Reason[] = []): Assessment => ({
  tier,
  score,
  reasons,
  commands: [],
  policyVersion: 't',
});

const anomaly = (rule = 'anomaly.family'): Reason => ({
  rule,
  category: 'context',
  weight: 15,
  detail: 'x',
});

describe('what a request is made of', () => {
  it('takes families, targets and path roots from the parsed commands and the context', () => {
    const features = featuresOf(
      [
        shell('terraform', 'apply', '/srv/infra/prod/main.tf'),
        { kind: 'sql', name: 'delete', args: [], tables: ['Public.Users'] },
        shell('terraform', 'plan'),
      ],
      { host: 'DB-7.internal', database: 'billing', cwd: '/home/ci/work/repo' },
    );
    expect(features).toEqual([
      { feature: 'family', value: 'terraform' },
      { feature: 'path', value: '/srv/infra' },
      { feature: 'family', value: 'sql DELETE' },
      { feature: 'table', value: 'public.users' },
      { feature: 'host', value: 'db-7.internal' },
      { feature: 'database', value: 'billing' },
      { feature: 'path', value: '/home/ci' },
    ]);
  });

  it('cuts a path to its root and refuses relative or climbing paths', () => {
    expect(pathRoot('/')).toBe('/');
    expect(pathRoot('/etc')).toBe('/etc');
    expect(pathRoot('/etc/ssl/private/key.pem')).toBe('/etc/ssl');
    expect(pathRoot('relative/x')).toBeNull();
    expect(pathRoot('/tmp/../etc/shadow')).toBeNull();
  });
});

describe('folding requests into a baseline', () => {
  const observation = fc.record({
    agentId: fc.constantFrom('agt_a', 'agt_b', 'agt_c'),
    agentType: fc.constantFrom('ci', 'coder'),
    offset: fc.integer({ min: 0, max: 3 * DAY_MS }),
    family: fc.constantFrom('git', 'npm', 'terraform', 'sql SELECT'),
  });

  it('gives the same baseline whatever the page sizes (pages carry the open minute over)', () => {
    fc.assert(
      fc.property(
        fc.array(observation, { minLength: 1, maxLength: 200 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 5 }),
        (raw, pages) => {
          const observations = raw
            .map((o) => ({
              agentId: o.agentId,
              agentType: o.agentId === 'agt_c' ? 'coder' : 'ci',
              at: NOW - 3 * DAY_MS + o.offset,
              features: [{ feature: 'family' as const, value: o.family }],
            }))
            .sort((a, b) => a.at - b.at);
          const whole = foldAll(observations);
          const paged = foldAll(observations, pages);
          expect(paged.scopes).toEqual(whole.scopes);
          expect(paged.days).toEqual(whole.days);
          expect(paged.features).toEqual(whole.features);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('counts every request once per scope, by hour of day, and per active minute', () => {
    // 3 requests in one minute, then 1 in each of the next two minutes, at 10:xx UTC.
    const t0 = Date.UTC(2026, 4, 1, 10, 0, 0);
    const at = [t0, t0 + 1000, t0 + 2000, t0 + MINUTE, t0 + 2 * MINUTE];
    const store = foldAll(at.map((t) => ({ agentId: 'agt_1', agentType: 'ci', at: t, features: [] })));
    const day = store.days.get(`${scopeId('type', 'ci')}\u0000${Date.UTC(2026, 4, 1)}`)!.stats;
    expect(day.requests).toBe(5);
    expect(day.hours[10]).toBe(5);
    // The last minute is still open: two closed minutes (3 and 1).
    expect({ minutes: day.minutes, sum: day.minuteSum, sq: day.minuteSumSq, max: day.minuteMax }).toEqual({
      minutes: 2,
      sum: 4,
      sq: 10,
      max: 3,
    });
    expect(store.scopes.get(scopeId('agent', 'agt_1'))!.state).toMatchObject({
      requests: 5,
      openMinute: t0 + 2 * MINUTE,
      openCount: 1,
    });
  });
});

describe('rates', () => {
  it('puts the usual peak at mean + 3 standard deviations of the active minutes', () => {
    const day = (minutes: number, sum: number, sq: number): DayStats => ({
      requests: sum,
      hours: Array(24).fill(0),
      minutes,
      minuteSum: sum,
      minuteSumSq: sq,
      minuteMax: 0,
    });
    expect(usualPeak([])).toBeNull();
    // Every minute had 4: mean 4, sd 0.
    expect(usualPeak([day(10, 40, 160)])).toBe(4);
    // Minutes of 2 and 4: mean 3, sd 1.
    expect(usualPeak([day(1, 2, 4), day(1, 4, 16)])).toBeCloseTo(6, 10);
    expect(burstThreshold(null, settings)).toBeNull();
    expect(burstThreshold(4, settings)).toBe(30);
    expect(burstThreshold(20, settings)).toBe(60);
  });

  it('counts the last 60 seconds exactly like a list of timestamps would', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 5_000 }), { maxLength: 300 }), (gaps) => {
        const counter = new MinuteCounter();
        const seconds: number[] = [];
        let t = NOW;
        for (const gap of gaps) {
          t += gap * 100;
          const second = Math.floor(t / 1000);
          seconds.push(second);
          const expected = seconds.filter((s) => s > second - 60).length;
          expect(counter.hit('k', t)).toBe(expected);
        }
      }),
    );
  });

  it('keeps keys apart and forgets idle ones once it holds many', () => {
    const counter = new MinuteCounter(3);
    expect(counter.hit('a', NOW)).toBe(1);
    expect(counter.hit('a', NOW + 500)).toBe(2);
    expect(counter.hit('b', NOW)).toBe(1);
    expect(counter.peek('a', NOW + 61_000)).toBe(0);
    counter.hit('c', NOW);
    counter.hit('d', NOW + 120_000);
    expect(counter.size).toBeLessThanOrEqual(2);
  });
});

describe('judging a request', () => {
  // ci: 600 requests, one every 5 minutes over ~2 days (every hour of day), git and npm only,
  // on host build-1. agt_1 made them all.
  const ci = history(600, 'ci', 'agt_1', 5 * MINUTE, [
    { feature: 'family', value: 'git' },
    { feature: 'host', value: 'build-1' },
  ]).concat(history(1, 'ci', 'agt_1', 1, [{ feature: 'family', value: 'npm' }]));
  const baseline = baselineOf(ci.sort((a, b) => a.at - b.at));

  it('explains a family never seen for the type', () => {
    const reasons = findAnomalies(
      baseline,
      facts({ agentId: 'agt_new', features: [{ feature: 'family', value: 'terraform' }] }),
      settings,
    );
    expect(reasons).toEqual([
      {
        rule: 'anomaly.family',
        category: 'context',
        weight: 15,
        detail: 'first `terraform` command from any agent of type ci in 60 days',
      },
    ]);
  });

  it('flags a new host, says a type-level anomaly once, and leaves known ones alone', () => {
    const reasons = findAnomalies(
      baseline,
      facts({
        features: [
          { feature: 'family', value: 'git' },
          { feature: 'host', value: 'db-prod-7' },
          { feature: 'host', value: 'build-1' },
        ],
      }),
      settings,
    );
    expect(reasons.map((r) => [r.rule, r.detail])).toEqual([
      ['anomaly.target', 'first request for host `db-prod-7` from any agent of type ci in 60 days'],
    ]);
  });

  it('flags for the agent what its type knows but it never did', () => {
    const both = baselineOf(
      [
        ...history(300, 'ci', 'agt_1', 5 * MINUTE, [{ feature: 'family', value: 'git' }]),
        ...history(300, 'ci', 'agt_2', 5 * MINUTE, [{ feature: 'family', value: 'make' }]),
      ].sort((a, b) => a.at - b.at),
    );
    const reasons = findAnomalies(
      both,
      facts({ agentId: 'agt_2', features: [{ feature: 'family', value: 'git' }] }),
      settings,
    );
    expect(reasons.map((r) => r.detail)).toEqual(['first `git` command from agent agt_2 in 60 days']);
  });

  it('flags a burst above the usual peak, and not below it', () => {
    expect(findAnomalies(baseline, facts({ recent: { agent: 30, type: 30 } }), settings)).toEqual([]);
    const reasons = findAnomalies(baseline, facts({ recent: { agent: 31, type: 31 } }), settings);
    expect(reasons.map((r) => r.rule)).toEqual(['anomaly.burst', 'anomaly.burst']);
    expect(reasons[0]!.detail).toBe(
      '31 requests in the last minute from any agent of type ci, above 30 (3× the usual peak of 1 per minute over 60 days)',
    );
  });

  it('flags an hour the type hardly ever works in', () => {
    // Office hours only: 09:00–17:00 UTC, over 10 days.
    const office: Observation[] = [];
    for (let d = 10; d >= 1; d--)
      for (let h = 9; h < 17; h++)
        for (let m = 0; m < 60; m += 10)
          office.push({
            agentId: 'agt_1',
            agentType: 'ci',
            at: Date.UTC(2026, 5, 1) - d * DAY_MS + h * HOUR + m * MINUTE,
            features: [{ feature: 'family', value: 'git' }],
          });
    const b = baselineOf(office);
    expect(findAnomalies(b, facts({ at: Date.UTC(2026, 5, 1, 10, 30) }), settings)).toEqual([]);
    const night = findAnomalies(b, facts({ at: Date.UTC(2026, 5, 1, 3, 30) }), settings);
    // Said once: the agent's own off-hours would repeat its type's.
    expect(night.map((r) => r.detail)).toEqual([
      'request at 03:00–04:00 UTC, an hour that held 0% of the requests from any agent of type ci in 60 days',
    ]);
    // An agent without a baseline of its own is judged by its type's hours.
    const agentOnly = findAnomalies(
      b,
      facts({ agentId: 'agt_other', at: Date.UTC(2026, 5, 1, 3, 30) }),
      settings,
    );
    expect(agentOnly.map((r) => r.rule)).toEqual(['anomaly.hour']);
  });

  it('forgets a family once it was last seen before the window (drift)', () => {
    const old = history(300, 'ci', 'agt_1', 5 * MINUTE, [{ feature: 'family', value: 'git' }]).concat([
      {
        agentId: 'agt_1',
        agentType: 'ci',
        at: NOW - 61 * DAY_MS,
        features: [{ feature: 'family', value: 'helm' }],
      },
      {
        agentId: 'agt_1',
        agentType: 'ci',
        at: NOW - 59 * DAY_MS,
        features: [{ feature: 'family', value: 'make' }],
      },
    ]);
    const b = baselineOf(old.sort((a, c) => a.at - c.at));
    const judged = (value: string) =>
      findAnomalies(b, facts({ features: [{ feature: 'family', value }] }), settings).length > 0;
    expect(judged('helm')).toBe(true);
    expect(judged('make')).toBe(false);
    // Seen within the window as compiled, but judged later than that: out again.
    const later = findAnomalies(
      b,
      facts({ at: NOW + 2 * DAY_MS, features: [{ feature: 'family', value: 'make' }] }),
      settings,
    );
    expect(later.map((r) => r.rule)).toContain('anomaly.family');
  });

  it('flags a family exactly when it was last seen before the window, whatever the window', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 365 }),
        fc.integer({ min: 0, max: 2 * 365 * 24 }),
        (windowDays, hoursAgo) => {
          const s = { ...settings, windowDays };
          const seenAt = NOW - hoursAgo * HOUR;
          const stored: StoredScope = {
            ref: { scope: 'type', key: 'ci', agentType: 'ci' },
            state: { requests: 1000, firstSeen: seenAt, lastSeen: NOW, openMinute: null, openCount: 0 },
            days: [],
            features: [{ feature: 'family', value: 'helm', count: 1, lastSeen: seenAt }],
          };
          // Compiled a day before it is judged: the window is applied at judging time too.
          const b = compileBaseline([stored], s, NOW - DAY_MS);
          const flagged = findAnomalies(b, facts({ features: [{ feature: 'family', value: 'helm' }] }), s);
          expect(flagged.length > 0).toBe(seenAt < NOW - windowDays * DAY_MS);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('never flags a type or agent that is still learning', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 99 }),
        fc.array(fc.constantFrom('terraform', 'rm', 'curl', 'sql DROP'), { maxLength: 4 }),
        fc.integer({ min: 0, max: 10_000 }),
        fc.integer({ min: 0, max: 23 }),
        (n, families, burst, hour) => {
          const b = baselineOf(
            history(n, 'fresh', 'agt_f', 7 * MINUTE, [{ feature: 'family', value: 'git' }]),
          );
          const reasons = findAnomalies(
            b,
            {
              agentId: 'agt_f',
              agentType: 'fresh',
              at: Date.UTC(2026, 5, 1, hour),
              features: [
                ...families.map((value) => ({ feature: 'family' as const, value })),
                { feature: 'host', value: 'new-host' },
              ],
              recent: { agent: burst, type: burst },
            },
            settings,
          );
          expect(reasons).toEqual([]);
        },
      ),
      { numRuns: 60 },
    );
  });

  it('says nothing when disabled', () => {
    const reasons = findAnomalies(
      baseline,
      facts({ features: [{ feature: 'family', value: 'terraform' }], recent: { agent: 999, type: 999 } }),
      { ...settings, enabled: false },
    );
    expect(reasons).toEqual([]);
  });
});

describe('the tier raise', () => {
  const tier = fc.constantFrom(...TIERS);
  const reasons = fc.array(
    fc.record({
      rule: fc.constantFrom('anomaly.family', 'anomaly.burst', 'anomaly.hour', 'anomaly.target'),
      category: fc.constant('context' as const),
      weight: fc.integer({ min: 0, max: 100 }),
      detail: fc.string(),
    }),
    { maxLength: 4 },
  );

  it('raises one tier, at most to multi_party, and never lowers', () => {
    expect(TIERS.map(raiseTier)).toEqual(['review', 'multi_party', 'multi_party', 'deny']);
    fc.assert(
      fc.property(tier, fc.integer({ min: 0, max: 100 }), reasons, (t, score, anomalies) => {
        const out = withAnomalies(assessment(t, score), anomalies);
        const before = TIERS.indexOf(t);
        const after = TIERS.indexOf(out.tier);
        expect(after).toBeGreaterThanOrEqual(before);
        expect(after - before).toBeLessThanOrEqual(1);
        if (t === 'deny') expect(out.tier).toBe('deny');
        expect(out.score).toBeGreaterThanOrEqual(score);
        expect(out.score).toBeLessThanOrEqual(100);
        if (anomalies.length === 0) expect(out).toEqual(assessment(t, score));
        else expect(out.tier).toBe(raiseTier(t));
      }),
    );
  });

  it('is idempotent: applying again, with any anomalies, changes nothing', () => {
    fc.assert(
      fc.property(tier, reasons, reasons, (t, first, second) => {
        const once = withAnomalies(assessment(t), first);
        if (first.length > 0) expect(withAnomalies(once, second)).toEqual(once);
      }),
    );
  });

  it('raises a whitelisted auto to review, and adds the weight once for several anomalies', () => {
    const whitelisted = { ...assessment('auto', 5), whitelistedBy: 'wl_1' };
    const out = withAnomalies(whitelisted, [anomaly(), anomaly('anomaly.hour')]);
    expect(out.tier).toBe('review');
    expect(out.score).toBe(20);
    expect(out.whitelistedBy).toBe('wl_1');
    expect(out.reasons.map((r) => r.rule)).toEqual(['anomaly.family', 'anomaly.hour']);
  });
});

describe('failing closed and the policy keys', () => {
  it('raises the tier when the check throws, and passes a working check through', () => {
    const errors: unknown[] = [];
    const out = failClosed(
      assessment('auto', 0),
      15,
      () => {
        throw new Error('boom');
      },
      (e) => errors.push(e),
    );
    expect(out.tier).toBe('review');
    expect(out.reasons.map((r) => r.rule)).toEqual(['anomaly.error']);
    expect(errors).toHaveLength(1);
    const fine = assessment('auto', 0);
    expect(failClosed(fine, 15, () => fine)).toBe(fine);
  });

  it('reads insights.anomaly over the defaults, and the policy schema refuses bad values', () => {
    expect(anomalySettings(undefined)).toEqual(DEFAULT_ANOMALY);
    expect(anomalySettings({ anomaly: { learningRequests: 50, targets: ['path'] } })).toEqual({
      ...DEFAULT_ANOMALY,
      learningRequests: 50,
      targets: ['path'],
    });
    const policy = (anomaly: string) =>
      `version: t\nextends: default\ninsights:\n  anomaly:\n    ${anomaly}\n`;
    expect(loadPolicy(policy('windowDays: 30'), { source: 't' }).insights).toEqual({
      anomaly: { windowDays: 30 },
    });
    expect(() => loadPolicy(policy('burstFactor: 0'), { source: 't' })).toThrow(
      /insights.anomaly.burstFactor must be a number from 1 to 1000/,
    );
    expect(() => loadPolicy(policy('targets: [hosts]'), { source: 't' })).toThrow(
      /insights.anomaly.targets entries must be host, path, database or table/,
    );
    expect(() => loadPolicy(policy('learning: 5'), { source: 't' })).toThrow(/learning/);
  });
});

describe('path roots', () => {
  // The fast cut must agree with the segment-by-segment one on every absolute path.
  const slow = (path: string) => {
    const segments = path.split('/').filter((s) => s !== '' && s !== '.');
    if (segments.some((s) => s === '..')) return null;
    return `/${segments.slice(0, 2).join('/')}`;
  };
  it('cuts any absolute path like splitting it into segments would', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom('', '.', '..', 'etc', 'ssl', 'a.b', '.git', 'x'), { maxLength: 6 }),
        fc.boolean(),
        (segments, trailing) => {
          const path = `/${segments.join('/')}${trailing ? '/' : ''}`;
          expect(pathRoot(path)).toBe(slow(path));
        },
      ),
      { numRuns: 1000 },
    );
  });
});
