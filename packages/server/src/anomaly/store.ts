import { REQUEST_STATUSES } from '@gatehouse/contract';
import { type Db, schema } from '@gatehouse/db';
import { and, eq, gte, inArray, sql } from 'drizzle-orm';
import {
  BaselineFold,
  type CommandLike,
  type ContextLike,
  DAY_MS,
  type Feature,
  featuresOf,
  type Observation,
  type Scope,
  type ScopeRef,
  type ScopeState,
  type StoredScope,
  scopeId,
} from './model.ts';

/**
 * The baselines' persistence. A round folds in the requests created since the watermark, in
 * (created_at, id) order, a page per transaction; every request is read once, when it passes
 * the watermark, and once more if it was pending then (its families and targets count only
 * once it is allowed). Replicas take turns under an advisory lock.
 */

const STATE = 'baseline';
/** Requests may commit this long after their created_at (group commit, replica clock skew). */
export const SKEW_MARGIN_MS = 5 * 60_000;
/** Arbitrary constant shared by every replica, distinct from the rollups' lock. */
const BASELINE_LOCK_KEY = 0x6a7e_a70d;
export const PAGE_SIZE = 5_000;
/** Older days and features are dropped: longer than the longest window the policy allows. */
const RETENTION_DAYS = 400;
const ALLOWED = new Set(['auto_approved', 'approved']);
const statusList = sql.raw(`array[${REQUEST_STATUSES.map((s) => `'${s}'`).join(',')}]::text[]`);

interface SourceRow {
  id: string;
  agent_id: string;
  agent_type: string;
  status: string;
  created_at: string | Date;
  /** created_at as PostgreSQL prints it, to keep the watermark's microseconds. */
  created_text: string;
  host: string | null;
  database: string | null;
  cwd: string | null;
  commands: unknown;
}

const sourceColumns = sql`r.id, r.agent_id, coalesce(a.type, 'unknown') as agent_type, r.status,
  r.created_at, r.created_at::text as created_text, r.context->>'host' as host,
  r.context->>'database' as database, r.context->>'cwd' as cwd, r.commands`;

function observation(row: SourceRow): Observation {
  const commands = (Array.isArray(row.commands) ? row.commands : []) as CommandLike[];
  const context: ContextLike = { host: row.host, database: row.database, cwd: row.cwd };
  return {
    agentId: row.agent_id,
    agentType: row.agent_type,
    at: new Date(row.created_at).getTime(),
    features: featuresOf(commands, context),
  };
}

interface State {
  afterAt: string;
  afterId: string;
  pendingIds: string[];
}

export interface RoundResult {
  /** Requests folded in (traffic), and deferred ones that were closed since. */
  folded: number;
  resolved: number;
}

/**
 * One round of the baseline job: resolves deferred requests, then folds in what is new. Each
 * page waits for the lock (a page is short), so replicas running rounds at once interleave
 * their pages, each continuing from the watermark the last page left: nothing is read twice.
 */
export async function foldNewRequests(db: Db, now = new Date()): Promise<RoundResult> {
  const result: RoundResult = { folded: 0, resolved: 0 };
  const cutoff = new Date(now.getTime() - SKEW_MARGIN_MS).toISOString();
  await db.transaction(async (tx) => {
    const t = tx as unknown as Db;
    await lock(t);
    const state = await readState(t);
    if (state.pendingIds.length === 0) return;
    const rows = (
      await t.execute(sql`
      select ${sourceColumns} from requests r left join agents a on a.id = r.agent_id
       where r.id = any(${textArray(state.pendingIds)})`)
    ).rows as unknown as SourceRow[];
    const fold = new BaselineFold();
    const still: string[] = [];
    for (const row of rows) {
      if (row.status === 'pending') still.push(row.id);
      else if (ALLOWED.has(row.status)) fold.learn(observation(row));
    }
    result.resolved = state.pendingIds.length - still.length;
    await writeFold(t, fold, false);
    await writeState(t, { ...state, pendingIds: still });
  });
  for (;;) {
    const page = await db.transaction(async (tx) => {
      const t = tx as unknown as Db;
      await lock(t);
      const state = await readState(t);
      const after = sql`${state.afterAt}::timestamptz`;
      const newer = sql`r.status = any(${statusList}) and r.created_at >= ${after}
        and (r.created_at, r.id) > (${after}, ${state.afterId}) and r.created_at < ${cutoff}::timestamptz`;
      const next = (await t.execute(sql`select min(r.created_at)::text as at from requests r where ${newer}`))
        .rows[0] as { at: string | null } | undefined;
      if (!next?.at) {
        // Everything before the cutoff is in: the watermark moves up to it, never back (a
        // replica whose clock is behind must not make the next round read requests again).
        const up = (
          await t.execute(
            sql`select greatest(${after}, ${cutoff}::timestamptz)::text as at, ${after} < ${cutoff}::timestamptz as moved`,
          )
        ).rows[0] as { at: string; moved: boolean };
        if (up.moved) await writeState(t, { ...state, afterAt: up.at, afterId: '' });
        return 0;
      }
      // One day of history at most per page: a first round over a long history sorts a day,
      // not the whole table.
      const sliceEnd = sql`least(${next.at}::timestamptz + interval '1 day', ${cutoff}::timestamptz)`;
      const rows = (
        await t.execute(sql`
        select ${sourceColumns} from requests r left join agents a on a.id = r.agent_id
         where ${newer} and r.created_at < ${sliceEnd}
         order by r.created_at, r.id limit ${PAGE_SIZE}`)
      ).rows as unknown as SourceRow[];
      const fold = new BaselineFold(await readScopes(t, rows));
      const pending: string[] = [];
      for (const row of rows) {
        const obs = observation(row);
        fold.traffic(obs);
        if (ALLOWED.has(row.status)) fold.learn(obs);
        else if (row.status === 'pending') pending.push(row.id);
      }
      await writeFold(t, fold, true);
      const last = rows.at(-1);
      const end = (await t.execute(sql`select ${sliceEnd}::text as at`)).rows[0] as { at: string };
      await writeState(t, {
        pendingIds: [...state.pendingIds, ...pending],
        ...(rows.length === PAGE_SIZE && last
          ? { afterAt: last.created_text, afterId: last.id }
          : { afterAt: end.at, afterId: '' }),
      });
      return rows.length;
    });
    if (page === 0) break;
    result.folded += page;
  }
  await db.execute(
    sql`delete from anomaly_days where day < ${new Date(now.getTime() - RETENTION_DAYS * DAY_MS).toISOString()}::timestamptz`,
  );
  await db.execute(
    sql`delete from anomaly_features where last_seen < ${new Date(now.getTime() - RETENTION_DAYS * DAY_MS).toISOString()}::timestamptz`,
  );
  return result;
}

/**
 * Drops the baselines and the watermark, so the next round folds in the whole history again:
 * after restoring a backup or importing requests, which a round (reading only what is past
 * its watermark) would not see.
 */
export async function rebuildBaselines(db: Db, now = new Date()): Promise<RoundResult> {
  await db.transaction(async (tx) => {
    await lock(tx as unknown as Db);
    await tx.execute(sql`delete from anomaly_state where name = ${STATE}`);
    await tx.execute(sql`delete from anomaly_scopes`);
    await tx.execute(sql`delete from anomaly_features`);
    await tx.execute(sql`delete from anomaly_days`);
  });
  return foldNewRequests(db, now);
}

async function lock(tx: Db): Promise<void> {
  await tx.execute(sql`select pg_advisory_xact_lock(${BASELINE_LOCK_KEY})`);
}

/** A text[] parameter as one array literal (the same for node-postgres and PGlite). */
function textArray(values: readonly string[]) {
  const literal = `{${values.map((v) => `"${v.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`).join(',')}}`;
  return sql`${literal}::text[]`;
}

async function readState(tx: Db): Promise<State> {
  const [row] = await tx
    .select({
      afterAt: sql<string>`${schema.anomalyState.afterAt}::text`,
      afterId: schema.anomalyState.afterId,
      pendingIds: schema.anomalyState.pendingIds,
    })
    .from(schema.anomalyState)
    .where(eq(schema.anomalyState.name, STATE))
    .for('update');
  return row ?? { afterAt: '-infinity', afterId: '', pendingIds: [] };
}

async function writeState(tx: Db, state: State): Promise<void> {
  await tx.execute(sql`
    insert into anomaly_state (name, after_at, after_id, pending_ids, updated_at)
    values (${STATE}, ${state.afterAt}::timestamptz, ${state.afterId}, ${textArray(state.pendingIds)}, now())
    on conflict (name) do update set after_at = excluded.after_at, after_id = excluded.after_id,
      pending_ids = excluded.pending_ids, updated_at = now()`);
}

/** The stored state of the scopes a page touches: their open minutes continue. */
async function readScopes(tx: Db, rows: readonly SourceRow[]) {
  const types = [...new Set(rows.map((r) => r.agent_type))];
  const agents = [...new Set(rows.map((r) => r.agent_id))];
  if (rows.length === 0) return [];
  const t = schema.anomalyScopes;
  const found = await tx
    .select()
    .from(t)
    .where(
      sql`(${t.scope} = 'type' and ${inArray(t.key, types)}) or (${t.scope} = 'agent' and ${inArray(t.key, agents)})`,
    )
    .for('update');
  return found.map((r) => ({ ref: refOf(r), state: stateOf(r) }));
}

const refOf = (r: typeof schema.anomalyScopes.$inferSelect): ScopeRef => ({
  scope: r.scope,
  key: r.key,
  agentType: r.agentType,
});
const stateOf = (r: typeof schema.anomalyScopes.$inferSelect): ScopeState => ({
  requests: r.requests,
  firstSeen: r.firstSeen.getTime(),
  lastSeen: r.lastSeen.getTime(),
  openMinute: r.openMinute?.getTime() ?? null,
  openCount: r.openCount,
});

const CHUNK = 2_000;
function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/**
 * Writes a fold: the scopes' state as computed (the page read it under the lock), the days'
 * and features' deltas added to what is stored.
 */
async function writeFold(tx: Db, fold: BaselineFold, withScopes: boolean): Promise<void> {
  if (withScopes) {
    const t = schema.anomalyScopes;
    for (const part of chunks([...fold.scopes.values()]))
      await tx
        .insert(t)
        .values(
          part.map(({ ref, state }) => ({
            scope: ref.scope,
            key: ref.key,
            agentType: ref.agentType,
            requests: state.requests,
            firstSeen: new Date(state.firstSeen),
            lastSeen: new Date(state.lastSeen),
            openMinute: state.openMinute === null ? null : new Date(state.openMinute),
            openCount: state.openCount,
          })),
        )
        .onConflictDoUpdate({
          target: [t.scope, t.key],
          set: {
            requests: sql`excluded.requests`,
            firstSeen: sql`excluded.first_seen`,
            lastSeen: sql`excluded.last_seen`,
            openMinute: sql`excluded.open_minute`,
            openCount: sql`excluded.open_count`,
            updatedAt: sql`now()`,
          },
        });
    const d = schema.anomalyDays;
    for (const part of chunks([...fold.days.values()]))
      await tx
        .insert(d)
        .values(
          part.map(({ ref, day, stats }) => ({
            scope: ref.scope,
            key: ref.key,
            day: new Date(day),
            ...stats,
          })),
        )
        .onConflictDoUpdate({
          target: [d.scope, d.key, d.day],
          set: {
            requests: sql`${d.requests} + excluded.requests`,
            hours: sql`array(select u.x + u.y from unnest(${d.hours}, excluded.hours) with ordinality as u(x, y, i) order by u.i)`,
            minutes: sql`${d.minutes} + excluded.minutes`,
            minuteSum: sql`${d.minuteSum} + excluded.minute_sum`,
            minuteSumSq: sql`${d.minuteSumSq} + excluded.minute_sum_sq`,
            minuteMax: sql`greatest(${d.minuteMax}, excluded.minute_max)`,
          },
        });
  }
  const f = schema.anomalyFeatures;
  for (const part of chunks([...fold.features.values()]))
    await tx
      .insert(f)
      .values(
        part.map(({ ref, feature, value, stats }) => ({
          scope: ref.scope,
          key: ref.key,
          feature,
          value,
          count: stats.count,
          firstSeen: new Date(stats.firstSeen),
          lastSeen: new Date(stats.lastSeen),
        })),
      )
      .onConflictDoUpdate({
        target: [f.scope, f.key, f.feature, f.value],
        set: {
          count: sql`${f.count} + excluded.count`,
          firstSeen: sql`least(${f.firstSeen}, excluded.first_seen)`,
          lastSeen: sql`greatest(${f.lastSeen}, excluded.last_seen)`,
        },
      });
}

/**
 * The stored baselines as of `now`: every scope, with the days and features of the last
 * `windowDays` (what the checks and the console read).
 */
export async function loadBaselines(
  db: Db,
  windowDays: number,
  now = new Date(),
  only?: { agentType: string },
): Promise<StoredScope[]> {
  const from = new Date(now.getTime() - windowDays * DAY_MS);
  const s = schema.anomalyScopes;
  const f = schema.anomalyFeatures;
  const byType = only ? eq(s.agentType, only.agentType) : undefined;
  const dayFrom = new Date(from.getTime() - DAY_MS).toISOString();
  const typeFilter = only ? sql`and s.agent_type = ${only.agentType}` : sql``;
  const [scopes, days, features] = await Promise.all([
    db.select().from(s).where(byType),
    // The window's days summed per scope here, hour by hour: one row per scope reaches the
    // replica, not one per scope and day.
    db.execute(sql`
      with w as (
        select d.* from anomaly_days d join anomaly_scopes s on s.scope = d.scope and s.key = d.key
         where d.day > ${dayFrom}::timestamptz ${typeFilter}
      ),
      h as (
        select w.scope, w.key, u.i, sum(u.v)::int as v
          from w, unnest(w.hours) with ordinality as u(v, i)
         group by w.scope, w.key, u.i
      )
      select w.scope, w.key, sum(w.requests)::int as requests, sum(w.minutes)::int as minutes,
             sum(w.minute_sum)::bigint as minute_sum, sum(w.minute_sum_sq)::bigint as minute_sum_sq,
             max(w.minute_max)::int as minute_max,
             (select array_agg(h.v order by h.i) from h where h.scope = w.scope and h.key = w.key) as hours
        from w group by w.scope, w.key`),
    db
      .select({
        scope: f.scope,
        key: f.key,
        feature: f.feature,
        value: f.value,
        count: f.count,
        lastSeen: f.lastSeen,
      })
      .from(f)
      .innerJoin(s, and(eq(s.scope, f.scope), eq(s.key, f.key)))
      .where(and(gte(f.lastSeen, from), byType)),
  ]);
  const out = new Map<string, StoredScope>();
  for (const r of scopes)
    out.set(scopeId(r.scope, r.key), { ref: refOf(r), state: stateOf(r), days: [], features: [] });
  for (const r of days.rows as unknown as SummedDays[])
    out.get(scopeId(r.scope, r.key))?.days.push({
      // The sum stands for the whole window: dated now, it is inside it.
      day: now.getTime() - (now.getTime() % DAY_MS),
      stats: {
        requests: r.requests,
        hours: parseInts(r.hours),
        minutes: r.minutes,
        minuteSum: Number(r.minute_sum),
        minuteSumSq: Number(r.minute_sum_sq),
        minuteMax: r.minute_max,
      },
    });
  for (const r of features)
    out.get(scopeId(r.scope as Scope, r.key))?.features.push({
      feature: r.feature as Feature,
      value: r.value,
      count: r.count,
      lastSeen: r.lastSeen.getTime(),
    });
  return [...out.values()];
}

interface SummedDays {
  scope: Scope;
  key: string;
  requests: number;
  minutes: number;
  minute_sum: string | number;
  minute_sum_sq: string | number;
  minute_max: number;
  hours: number[] | string | null;
}

/** node-postgres parses int[]; PGlite may hand the array literal as text. */
function parseInts(value: number[] | string | null): number[] {
  const items =
    typeof value === 'string'
      ? value
          .replace(/^\{|\}$/g, '')
          .split(',')
          .filter(Boolean)
          .map(Number)
      : (value ?? []).map(Number);
  return Array.from({ length: 24 }, (_, i) => items[i] ?? 0);
}

/** When the job last moved its watermark; null before its first round. */
export async function baselinesUpdatedAt(db: Db): Promise<Date | null> {
  const [row] = await db
    .select({ at: schema.anomalyState.updatedAt })
    .from(schema.anomalyState)
    .where(eq(schema.anomalyState.name, STATE));
  return row?.at ?? null;
}
