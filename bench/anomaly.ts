import type { Assessment, ParsedCommand } from '@gatehouse/risk';
import {
  anomalySettings,
  BaselineFold,
  compileBaseline,
  featuresOf,
  findAnomalies,
  MinuteCounter,
  type StoredScope,
  withAnomalies,
} from '@gatehouse/server';
import { type BenchResult, percentile } from './types.ts';

const CALLS = Number(process.env.BENCH_ANOMALY_CALLS ?? 200_000);
const DAY = 86_400_000;

/**
 * What anomaly detection adds to each submission, without I/O: the request's families and
 * targets, two per-minute counters, the checks against a learned baseline (20 agent types ×
 * 25 agents, 40 families and 200 targets per type) and the tier raise. Times batches of
 * 1,000 calls, so p50/p99 are per call. Also the job's fold, per request, in memory.
 * The bar: a few microseconds per call, against ~330 µs per auto-approved request at 3,000/s
 * (10% of that is the budget the issue allows).
 */
export async function benchAnomaly(): Promise<BenchResult[]> {
  const settings = anomalySettings(undefined);
  const now = Date.now();
  const scopes: StoredScope[] = [];
  // 3,000 requests/s over 20 types × 25 agents, and baselines that learned that rate: the
  // checks run in full, and only the new hosts (a fifth of the calls) are flagged.
  const perMinute = { type: (3000 * 60) / 20, agent: (3000 * 60) / 20 / 25 };
  const daysAt = (rate: number) =>
    Array.from({ length: 60 }, (_, d) => ({
      day: Math.floor(now / DAY) * DAY - d * DAY,
      stats: {
        requests: 1440 * rate,
        hours: Array.from({ length: 24 }, () => 60 * rate),
        minutes: 1440,
        minuteSum: 1440 * rate,
        minuteSumSq: 1440 * rate * rate,
        minuteMax: rate,
      },
    }));
  for (let t = 0; t < 20; t++) {
    const type = `type-${t}`;
    const features = [
      ...Array.from({ length: 40 }, (_, i) => ({ feature: 'family' as const, value: `prog${i}` })),
      ...Array.from({ length: 200 }, (_, i) => ({ feature: 'host' as const, value: `host-${i}` })),
    ].map((f) => ({ ...f, count: 100, lastSeen: now - DAY }));
    const state = {
      requests: 86_400,
      firstSeen: now - 60 * DAY,
      lastSeen: now,
      openMinute: null,
      openCount: 0,
    };
    const typeDays = daysAt(perMinute.type);
    const agentDays = daysAt(perMinute.agent);
    scopes.push({ ref: { scope: 'type', key: type, agentType: type }, state, days: typeDays, features });
    for (let a = 0; a < 25; a++)
      scopes.push({
        ref: { scope: 'agent', key: `agt_${t}_${a}`, agentType: type },
        state,
        days: agentDays,
        features,
      });
  }
  const baseline = compileBaseline(scopes, settings, now);
  const counter = new MinuteCounter();
  const commands: ParsedCommand[] = [
    { kind: 'shell', name: 'prog7', args: ['status', '--short'], text: '', via: [] },
  ];
  const assessment: Assessment = { score: 0, tier: 'auto', reasons: [], commands, policyVersion: 'b' };
  const call = (i: number) => {
    const agentType = `type-${i % 20}`;
    const agentId = `agt_${i % 20}_${Math.floor(i / 20) % 25}`;
    const at = now + i / 3;
    const recent = { agent: counter.hit(`a${agentId}`, at), type: counter.hit(`t${agentType}`, at) };
    const features = featuresOf(commands, { host: `host-${i % 250}`, cwd: '/home/ci/repo' });
    return withAnomalies(
      assessment,
      findAnomalies(baseline, { agentId, agentType, at, features, recent }, settings),
    );
  };
  let flagged = 0;
  const batches: number[] = [];
  const t0 = performance.now();
  for (let i = 0; i < CALLS; i += 1000) {
    const b0 = performance.now();
    for (let j = i; j < i + 1000; j++) if (call(j).tier !== 'auto') flagged++;
    batches.push((performance.now() - b0) / 1000);
  }
  const checkSeconds = (performance.now() - t0) / 1000;
  batches.sort((a, b) => a - b);

  const observations = Array.from({ length: CALLS }, (_, i) => ({
    agentId: `agt_${i % 20}_${Math.floor(i / 20) % 25}`,
    agentType: `type-${i % 20}`,
    at: now - CALLS * 100 + i * 100,
    features: featuresOf(commands, { host: `host-${i % 250}` }),
  }));
  const f0 = performance.now();
  const fold = new BaselineFold();
  for (const obs of observations) {
    fold.traffic(obs);
    fold.learn(obs);
  }
  const foldSeconds = (performance.now() - f0) / 1000;
  return [
    {
      name: 'anomaly check (hot path, per call)',
      opsPerSec: CALLS / checkSeconds,
      p50Ms: percentile(batches, 50),
      p99Ms: percentile(batches, 99),
      notes: `${CALLS} calls, ${((flagged / CALLS) * 100).toFixed(0)}% flagged (new hosts); ${(
        (percentile(batches, 50) / (1000 / 3000)) * 100
      ).toFixed(2)}% of a request at 3,000/s`,
    },
    {
      name: 'anomaly fold (job, per request)',
      opsPerSec: CALLS / foldSeconds,
      p50Ms: (foldSeconds / CALLS) * 1000,
      p99Ms: Number.NaN,
      notes: `${CALLS} requests into ${fold.scopes.size} scopes, in memory`,
    },
  ];
}
