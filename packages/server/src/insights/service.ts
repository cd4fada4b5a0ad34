import type { DriftAlarm, InsightSplit } from '@gatehouse/contract';
import { type Db, schema } from '@gatehouse/db';
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { actorOf, type Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';
import { emitEvent } from '../webhooks/events.ts';
import {
  alarmAction,
  type Counts,
  type DriftThresholds,
  driftKey,
  driftPeriods,
  driftThresholds,
  evaluateDrift,
} from './drift.ts';
import {
  agentNames,
  autoApprovalSeries,
  mixBuckets,
  type ReadOptions,
  rollupRows,
  summary,
} from './queries.ts';
import { BUCKET_MS, type Bucket, bucketStart, MAX_BUCKETS } from './rates.ts';
import { rollupsUpdatedAt } from './rollup.ts';

const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

/**
 * The range of a query: `to` defaults to now, `from` to 7 days before `to`; both checked.
 * `from` is moved to the start of its `bucket`; the range may span at most MAX_BUCKETS of
 * `limit` (the bucket of the answer's series, by default).
 */
export function resolveRange(
  query: { from?: string | undefined; to?: string | undefined },
  bucket: Bucket,
  now = Date.now(),
  limit: Bucket = bucket,
): { from: Date; to: Date } {
  const to = query.to ? Date.parse(query.to) : now;
  const from = query.from ? Date.parse(query.from) : to - 7 * DAY_MS;
  if (!Number.isFinite(from) || !Number.isFinite(to))
    throw new GatehouseError('INSIGHTS_RANGE_INVALID', '`from` and `to` must be ISO 8601 instants');
  if (from >= to) throw new GatehouseError('INSIGHTS_RANGE_INVALID', '`from` must be before `to`');
  const start = bucketStart(from, bucket);
  if ((to - start) / BUCKET_MS[limit] > MAX_BUCKETS)
    throw new GatehouseError(
      'INSIGHTS_RANGE_INVALID',
      `at most ${MAX_BUCKETS} ${limit} buckets per answer; choose a larger bucket or a shorter range`,
    );
  return { from: new Date(start), to: new Date(to) };
}

export async function autoApproval(
  rt: Runtime,
  query: { from?: string; to?: string; bucket: Bucket; by?: InsightSplit | undefined },
) {
  const range = resolveRange(query, query.bucket);
  const by = query.by ?? null;
  const db = rt.database.db;
  const series = await autoApprovalSeries(db, { ...range, bucket: query.bucket, by });
  const names =
    by === 'agent'
      ? await agentNames(
          db,
          series.map((s) => s.key),
        )
      : new Map<string, string>();
  const updatedAt = await rollupsUpdatedAt(db);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    bucket: query.bucket,
    by,
    updatedAt: updatedAt?.toISOString() ?? null,
    series: series.map((s) => ({ ...s, label: names.get(s.key) ?? s.key })),
  };
}

export async function insightSummary(rt: Runtime, query: { from?: string; to?: string }) {
  // Totals, not a series: the whole days come from the day rollups, so the range is bounded
  // in days (the console's 90-day view must not trip an hourly limit meant for series).
  const range = resolveRange(query, 'hour', Date.now(), 'day');
  const db = rt.database.db;
  const updatedAt = await rollupsUpdatedAt(db);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    updatedAt: updatedAt?.toISOString() ?? null,
    ...(await summary(db, range)),
  };
}

export async function insightMix(rt: Runtime, query: { from?: string; to?: string; bucket: Bucket }) {
  const range = resolveRange(query, query.bucket);
  const db = rt.database.db;
  const updatedAt = await rollupsUpdatedAt(db);
  return {
    from: range.from.toISOString(),
    to: range.to.toISOString(),
    bucket: query.bucket,
    updatedAt: updatedAt?.toISOString() ?? null,
    buckets: await mixBuckets(db, { ...range, bucket: query.bucket }),
  };
}

type AlarmRow = typeof schema.driftAlarms.$inferSelect;

function alarmView(row: AlarmRow): DriftAlarm {
  return {
    id: row.id,
    key: driftKey(row.agentType, row.environment),
    agentType: row.agentType,
    environment: row.environment,
    trigger: row.trigger,
    rate: row.rate,
    baseline: row.baseline,
    currentRate: row.currentRate,
    total: row.total,
    windowDays: row.windowDays,
    since: row.raisedAt.toISOString(),
    checkedAt: row.checkedAt.toISOString(),
    acknowledgedAt: row.acknowledgedAt?.toISOString() ?? null,
    acknowledgedBy: row.acknowledgedBy,
    comment: row.comment,
  };
}

export async function listAlarms(rt: Runtime, state: 'open' | 'all') {
  const t = schema.driftAlarms;
  const rows = await rt.database.db
    .select()
    .from(t)
    .where(state === 'open' ? isNull(t.acknowledgedAt) : undefined)
    .orderBy(desc(t.raisedAt))
    .limit(200);
  return { alarms: rows.map(alarmView), thresholds: thresholdsInForce(rt) };
}

/**
 * The drift thresholds in force: the policy file's `insights.drift` (read from the engine in
 * force, so a replaced policy counts from its next check), else the `GATEHOUSE_DRIFT_*` ones.
 */
export function thresholdsInForce(rt: Runtime) {
  return driftThresholds(rt.config.insights.drift, rt.risk.policy.insights?.drift);
}

/** The drift audit events' data: numbers and the key, never a command. */
function alarmData(row: AlarmRow) {
  return {
    key: driftKey(row.agentType, row.environment),
    trigger: row.trigger,
    rate: row.rate,
    baseline: row.baseline,
    total: row.total,
    windowDays: row.windowDays,
  };
}

export async function acknowledgeAlarm(rt: Runtime, by: Principal, id: string, comment: string) {
  if (comment.trim() === '')
    throw new GatehouseError('COMMENT_REQUIRED', 'say what you found: acknowledging needs a comment');
  const t = schema.driftAlarms;
  const row = await rt.audit.transaction(async (tx, record) => {
    const [alarm] = await tx.select().from(t).where(eq(t.id, id)).for('update');
    if (!alarm) throw new GatehouseError('ALARM_NOT_FOUND', `no drift alarm ${id}`);
    if (alarm.acknowledgedAt)
      throw new GatehouseError('ALARM_ACKNOWLEDGED', 'this drift alarm was already acknowledged');
    const [updated] = await tx
      .update(t)
      .set({ acknowledgedAt: new Date(), acknowledgedBy: by.id, comment })
      .where(and(eq(t.id, id), isNull(t.acknowledgedAt)))
      .returning();
    record({
      type: 'insights.drift.acknowledged',
      actor: actorOf(by),
      subject: { type: 'drift_alarm', id },
      data: { ...alarmData(updated!), comment },
    });
    return updated!;
  });
  return alarmView(row);
}

/** Window and baseline counts per agent type × environment, from the rollups. */
export async function driftCounts(
  db: Db,
  now: number,
  t: DriftThresholds,
  options: ReadOptions = {},
): Promise<{ agentType: string; environment: string; window: Counts; baseline: Counts }[]> {
  const periods = driftPeriods(now, t);
  // Rollups are hourly: an hour belongs to the period its start falls in.
  const windowStart = new Date(Math.floor(periods.window.start / HOUR_MS) * HOUR_MS);
  const baselineStart = new Date(Math.floor(periods.baseline.start / HOUR_MS) * HOUR_MS);
  const end = new Date(now);
  const days = options.days !== false;
  const columns = 'agent_type, environment, status, count';
  const result = await db.execute(sql`
    with w as (select * from ${rollupRows(windowStart, end, columns, days)} r),
         b as (select * from ${rollupRows(baselineStart, windowStart, columns, days)} r)
    select agent_type, environment,
           coalesce(sum(count) filter (where p = 'w'), 0)::int as w_total,
           coalesce(sum(count) filter (where p = 'w' and status = 'auto_approved'), 0)::int as w_auto,
           coalesce(sum(count) filter (where p = 'b'), 0)::int as b_total,
           coalesce(sum(count) filter (where p = 'b' and status = 'auto_approved'), 0)::int as b_auto
      from (select 'w' as p, * from w union all select 'b' as p, * from b) x
     group by agent_type, environment`);
  return (
    result.rows as {
      agent_type: string;
      environment: string;
      w_total: number;
      w_auto: number;
      b_total: number;
      b_auto: number;
    }[]
  ).map((r) => ({
    agentType: r.agent_type,
    environment: r.environment,
    window: { total: Number(r.w_total), autoApproved: Number(r.w_auto) },
    baseline: { total: Number(r.b_total), autoApproved: Number(r.b_auto) },
  }));
}

const DRIFT_LOCK_KEY = 0x6a7e_4d18;

/**
 * One drift check: every agent type × environment judged against its thresholds; a new alarm
 * is raised with its audit event in one transaction, open ones get their current rate, and
 * acknowledged ones whose key is back within bounds re-arm. Under an advisory lock, so two
 * replicas checking at once raise one alarm.
 */
export async function checkDrift(
  rt: Runtime,
  now = Date.now(),
): Promise<{ ran: boolean; raised: string[]; cleared: string[] }> {
  const { fromPolicy: _, ...thresholds } = thresholdsInForce(rt);
  const counts = await driftCounts(rt.database.db, now, thresholds);
  const t = schema.driftAlarms;
  const raisedAlarms: AlarmRow[] = [];
  const result = await rt.audit.transaction(async (tx, record) => {
    const locked = await tx.execute(sql`select pg_try_advisory_xact_lock(${DRIFT_LOCK_KEY}) as ok`);
    if (!(locked.rows[0] as { ok: boolean }).ok) return { ran: false, raised: [], cleared: [] };
    const standing = await tx
      .select()
      .from(t)
      .where(sql`${t.acknowledgedAt} is null or ${t.clearedAt} is null`);
    const raised: string[] = [];
    const cleared: string[] = [];
    const checkedAt = new Date(now);
    for (const key of counts) {
      const mine = standing.filter((a) => a.agentType === key.agentType && a.environment === key.environment);
      const open = mine.find((a) => a.acknowledgedAt === null);
      const acknowledged = mine.filter((a) => a.acknowledgedAt !== null && a.clearedAt === null);
      const evaluation = evaluateDrift(key.window, key.baseline, thresholds);
      const action = alarmAction(
        { open: open !== undefined, acknowledgedUncleared: acknowledged.length > 0 },
        evaluation,
      );
      if (action === 'update' && open && evaluation.rate !== null) {
        await tx.update(t).set({ currentRate: evaluation.rate, checkedAt }).where(eq(t.id, open.id));
      } else if (action === 'raise' && evaluation.trigger && evaluation.rate !== null) {
        const row: AlarmRow = {
          id: `drf_${now.toString(36).padStart(10, '0')}${Math.random().toString(36).slice(2, 10)}`,
          agentType: key.agentType,
          environment: key.environment,
          trigger: evaluation.trigger,
          rate: evaluation.rate,
          baseline: evaluation.baseline,
          total: evaluation.total,
          windowDays: thresholds.windowDays,
          raisedAt: checkedAt,
          currentRate: evaluation.rate,
          checkedAt,
          acknowledgedAt: null,
          acknowledgedBy: null,
          comment: null,
          clearedAt: null,
        };
        await tx.insert(t).values(row);
        record({
          type: 'insights.drift.raised',
          actor: { type: 'system', id: 'drift' },
          subject: { type: 'drift_alarm', id: row.id },
          data: {
            ...alarmData(row),
            ceiling: thresholds.ceiling,
            risePoints: thresholds.risePoints,
            baselineDays: thresholds.baselineDays,
          },
        });
        raised.push(row.id);
        raisedAlarms.push(row);
      } else if (action === 'clear') {
        for (const alarm of acknowledged) {
          await tx.update(t).set({ clearedAt: checkedAt }).where(eq(t.id, alarm.id));
          record({
            type: 'insights.drift.cleared',
            actor: { type: 'system', id: 'drift' },
            subject: { type: 'drift_alarm', id: alarm.id },
            data: { key: driftKey(alarm.agentType, alarm.environment), rate: evaluation.rate },
          });
          cleared.push(alarm.id);
        }
      }
    }
    return { ran: true, raised, cleared };
  });
  // After the commit: a receiver hears of an alarm only once it is on record.
  for (const row of raisedAlarms) {
    await emitEvent(rt, 'drift.alarm', { key: `drift.alarm:${row.id}`, data: alarmData(row) }).catch(
      (error) => rt.log.warn({ err: error, alarm: row.id }, 'drift alarm webhook could not be queued'),
    );
  }
  return result;
}

/** Open alarms, for the metric. */
export async function openAlarmCount(db: Db): Promise<number> {
  const result = await db.execute(
    sql`select count(*)::int as n from drift_alarms where acknowledged_at is null`,
  );
  return Number((result.rows[0] as { n: number }).n);
}
