import type { Assessment, InsightsSettings } from '@gatehouse/risk';
import { Counter } from 'prom-client';
import type { Principal } from '../auth/principal.ts';
import { metricsOf } from '../platform/metrics.ts';
import type { Runtime } from '../platform/runtime.ts';
import {
  type AnomalySettings,
  anomalySettings,
  type CompiledBaseline,
  type ContextLike,
  compileBaseline,
  failClosed,
  featuresOf,
  findAnomalies,
  withAnomalies,
} from './model.ts';
import { MinuteCounter } from './rate.ts';
import { loadBaselines } from './store.ts';

type AgentPrincipal = Extract<Principal, { type: 'agent' }>;

/** How often a replica re-reads the baselines, in case it missed a `baselines.updated` event. */
export const BASELINE_RELOAD_MS = 60_000;

const detectors = new WeakMap<Runtime, AnomalyDetector>();
const settingsCache = new WeakMap<object, AnomalySettings>();
const NO_INSIGHTS = {};

function settingsOf(insights: InsightsSettings | undefined): AnomalySettings {
  const key = insights ?? NO_INSIGHTS;
  let settings = settingsCache.get(key);
  if (!settings) {
    settings = anomalySettings(insights);
    settingsCache.set(key, settings);
  }
  return settings;
}

/**
 * This replica's view of the baselines, compiled for the hot path, and its per-minute
 * counters. Loaded on start (a replica that cannot read them does not start: it would judge
 * every type as learning), reloaded after each job round here, on a `baselines.updated`
 * event from another replica, and every minute (which also ages families out of the window).
 */
export class AnomalyDetector {
  readonly #rt: Runtime;
  #baseline: CompiledBaseline = { types: new Map(), agents: new Map() };
  readonly #counter = new MinuteCounter();
  #timer?: NodeJS.Timeout;
  #unsubscribe?: () => void;
  #running: Promise<void> = Promise.resolve();
  /** Requests that carried an anomaly, by rule and agent type (this process; sum across replicas). */
  readonly counted: Counter<'rule' | 'agent_type'>;

  constructor(rt: Runtime) {
    this.#rt = rt;
    const registry = metricsOf(rt).registry;
    const existing = registry.getSingleMetric('gatehouse_anomalies_total') as
      | Counter<'rule' | 'agent_type'>
      | undefined;
    this.counted =
      existing ??
      new Counter({
        name: 'gatehouse_anomalies_total',
        help: 'Requests that carried an anomaly reason on submission, by rule and agent type',
        labelNames: ['rule', 'agent_type'],
        registers: [registry],
      });
  }

  async start(): Promise<void> {
    await this.reload();
    detectors.set(this.#rt, this);
    // A failed reload keeps the baselines this replica has; the next event or tick retries.
    const retry = () =>
      void this.reload().catch((error: Error) =>
        this.#rt.log.warn({ err: error.message }, 'anomaly baselines could not be reloaded'),
      );
    this.#unsubscribe = this.#rt.bus.subscribe((event) => {
      if (event.type === 'baselines.updated') retry();
    });
    this.#timer = setInterval(retry, BASELINE_RELOAD_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    if (detectors.get(this.#rt) === this) detectors.delete(this.#rt);
  }

  /** One load at a time, so an older read never replaces a newer baseline. */
  reload(): Promise<void> {
    this.#running = this.#running.catch(() => {}).then(() => this.#load());
    return this.#running;
  }

  async #load(): Promise<void> {
    const settings = settingsOf(this.#rt.risk.policy.insights);
    const now = Date.now();
    const stored = await loadBaselines(this.#rt.database.db, settings.windowDays, new Date(now));
    this.#baseline = compileBaseline(stored, settings, now);
  }

  /** Counts the request and returns its assessment with the anomalies found, if any. */
  apply(agent: AgentPrincipal, context: ContextLike, assessment: Assessment, now = Date.now()): Assessment {
    const settings = settingsOf(this.#rt.risk.policy.insights);
    if (!settings.enabled) return assessment;
    const recent = {
      agent: this.#counter.hit(`a\u0000${agent.id}`, now),
      type: this.#counter.hit(`t\u0000${agent.agentType}`, now),
    };
    const reasons = findAnomalies(
      this.#baseline,
      {
        agentId: agent.id,
        agentType: agent.agentType,
        at: now,
        features: featuresOf(assessment.commands, context),
        recent,
      },
      settings,
    );
    return withAnomalies(assessment, reasons);
  }
}

/**
 * The assessment with this request's anomalies (see model.ts): one tier up, never down. A
 * process without a detector (no API routes registered, so no requests) adds nothing; a check
 * that throws raises the tier (`failClosed`).
 */
export function applyAnomaly(
  rt: Runtime,
  agent: AgentPrincipal,
  context: ContextLike | undefined,
  assessment: Assessment,
): Assessment {
  const detector = detectors.get(rt);
  if (!detector) return assessment;
  const judged = failClosed(
    assessment,
    settingsOf(rt.risk.policy.insights).weight,
    () => detector.apply(agent, context ?? {}, assessment),
    (error) =>
      rt.log.warn({ err: (error as Error).message }, 'anomaly check failed; the request is raised one tier'),
  );
  if (judged !== assessment)
    for (const rule of new Set(
      judged.reasons.filter((r) => r.rule.startsWith('anomaly.')).map((r) => r.rule),
    ))
      detector.counted.inc({ rule, agent_type: agent.agentType });
  return judged;
}

/** Reloads this replica's baselines at once and tells the others. */
export async function baselinesChanged(rt: Runtime): Promise<void> {
  await detectors.get(rt)?.reload();
  await rt.bus.publish({ type: 'baselines.updated', data: {} }).catch(() => {});
}
