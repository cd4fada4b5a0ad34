import type { RequestRow } from '@gatehouse/db';
import { sql } from 'drizzle-orm';
import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';
import type { Runtime } from './runtime.ts';

/**
 * The Prometheus metrics of one Gatehouse runtime (one per process in production; tests run
 * several in one process, so nothing here is global). Labels are closed sets or operator-named
 * values (tier, status, kind, environment, agent type, whitelist entry id): never a command,
 * an agent id, a person or a secret, so a metrics scrape reveals no more than a dashboard.
 *
 * Counters count what happened in this process (sum them across replicas); the gauges read
 * from the database (pending requests, open drift alarms) are cluster-wide and the same on
 * every replica (take their max).
 */
export interface Metrics {
  registry: Registry;
  requests: Counter<'tier' | 'status' | 'kind' | 'environment' | 'agent_type'>;
  decisionLatency: Histogram<'tier' | 'status' | 'environment'>;
  whitelistHits: Counter<'entry'>;
  /** Live WebSocket connections of this process; set by the HTTP app that owns the server. */
  websocketClients?: () => number;
  /** Jobs waiting or delayed, by state; set when the queue can tell. */
  queueDepth?: () => Promise<Record<string, number>>;
}

const byRuntime = new WeakMap<object, Metrics>();
/** Agent types never change: one lookup per agent per process. */
const agentTypes = new WeakMap<object, Map<string, string>>();

const DECIDED = new Set(['approved', 'rejected', 'expired', 'cancelled']);

export function metricsOf(rt: Pick<Runtime, 'database'>): Metrics {
  let metrics = byRuntime.get(rt);
  if (!metrics) {
    metrics = createMetrics(rt);
    byRuntime.set(rt, metrics);
  }
  return metrics;
}

function createMetrics(rt: Pick<Runtime, 'database'>): Metrics {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'gatehouse_' });
  const metrics: Metrics = {
    registry,
    requests: new Counter({
      name: 'gatehouse_requests_total',
      help: 'Requests by the status they reached in this process: pending on submission, then their final status',
      labelNames: ['tier', 'status', 'kind', 'environment', 'agent_type'],
      registers: [registry],
    }),
    decisionLatency: new Histogram({
      name: 'gatehouse_decision_latency_seconds',
      help: 'Submit to verdict of requests that went to people (approved, rejected, expired, cancelled)',
      labelNames: ['tier', 'status', 'environment'],
      buckets: [1, 5, 15, 30, 60, 120, 300, 600, 900, 1800, 3600],
      registers: [registry],
    }),
    whitelistHits: new Counter({
      name: 'gatehouse_whitelist_hits_total',
      help: 'Requests a whitelist entry lowered, by entry id',
      labelNames: ['entry'],
      registers: [registry],
    }),
  };
  const scalar = async (query: ReturnType<typeof sql>) => {
    const result = await rt.database.db.execute(query);
    return Number((result.rows[0] as { n: number | string }).n);
  };
  new Gauge({
    name: 'gatehouse_pending_requests',
    help: 'Requests waiting for people (cluster-wide, from the database)',
    registers: [registry],
    async collect() {
      this.set(await scalar(sql`select count(*)::int as n from requests where status = 'pending'`));
    },
  });
  new Gauge({
    name: 'gatehouse_drift_alarms_open',
    help: 'Auto-approval drift alarms not yet acknowledged (cluster-wide, from the database)',
    registers: [registry],
    async collect() {
      this.set(await scalar(sql`select count(*)::int as n from drift_alarms where acknowledged_at is null`));
    },
  });
  new Gauge({
    name: 'gatehouse_websocket_connections',
    help: 'Open live-stream WebSocket connections of this process',
    registers: [registry],
    collect() {
      this.set(metrics.websocketClients?.() ?? 0);
    },
  });
  new Gauge({
    name: 'gatehouse_job_queue_depth',
    help: 'Background jobs not yet run, by state (Redis queue; in-process timers are not counted)',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const depth = (await metrics.queueDepth?.().catch(() => undefined)) ?? {};
      for (const [state, n] of Object.entries(depth)) this.set({ state }, n);
    },
  });
  return metrics;
}

/**
 * Counts a request that was just created or closed (called after its transaction committed).
 * Never throws and never waits: the agent type of an agent not seen yet is looked up in the
 * background, and the request counted when it is known.
 */
export function observeRequest(rt: Pick<Runtime, 'database'>, row: RequestRow, created: boolean): void {
  // A pending request is announced again when it changes without closing (a first approval of
  // two, an escalation): only its submission and its close are counted.
  if (!created && row.status === 'pending') return;
  try {
    const metrics = metricsOf(rt);
    const count = (agentType: string) => {
      const environment = environmentOf(row);
      metrics.requests.inc({
        tier: row.tier,
        status: row.status,
        kind: row.kind,
        environment,
        agent_type: agentType,
      });
      if (!created && DECIDED.has(row.status) && row.decidedAt) {
        metrics.decisionLatency.observe(
          { tier: row.tier, status: row.status, environment },
          Math.max(0, (row.decidedAt.getTime() - row.createdAt.getTime()) / 1000),
        );
      }
      if (created && row.whitelistedBy)
        for (const entry of row.whitelistedBy.split(',')) metrics.whitelistHits.inc({ entry });
    };
    let types = agentTypes.get(rt);
    if (!types) {
      types = new Map();
      agentTypes.set(rt, types);
    }
    const known = types.get(row.agentId);
    if (known !== undefined) {
      count(known);
      return;
    }
    const cache = types;
    void rt.database.db
      .execute(sql`select type from agents where id = ${row.agentId}`)
      .then((result) => {
        const type = (result.rows[0] as { type: string } | undefined)?.type ?? 'unknown';
        cache.set(row.agentId, type);
        count(type);
      })
      .catch(() => count('unknown'));
  } catch {
    // Metrics never stand in the way of a decision.
  }
}

/** Distinct environment labels one process exports; beyond, `other` (an unbound agent names its own). */
const MAX_ENVIRONMENTS = 50;
const environments = new Set<string>();

function environmentOf(row: RequestRow): string {
  const environment = row.context.environment;
  if (typeof environment !== 'string' || environment === '') return 'none';
  if (!/^[\w.-]{1,32}$/.test(environment)) return 'other';
  if (!environments.has(environment)) {
    if (environments.size >= MAX_ENVIRONMENTS) return 'other';
    environments.add(environment);
  }
  return environment;
}
