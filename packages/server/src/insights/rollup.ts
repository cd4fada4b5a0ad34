import { REQUEST_STATUSES } from '@gatehouse/contract';
import type { Db } from '@gatehouse/db';
import { type SQL, sql } from 'drizzle-orm';
import { LATENCY_BOUNDS_SECONDS } from './rates.ts';

/**
 * Keeping the rollups: the hours whose counts may have changed since the last run are
 * recomputed whole from the requests created in them, so a run is idempotent and any replica
 * may do it (one at a time, under an advisory lock; the others skip that round).
 *
 * Which hours may have changed: the hours of requests created since the last run (minus a
 * margin for clock skew between replicas and for group commits still in flight), and the
 * hours that held a pending request at the last run (a pending request changes its cell only
 * when it is closed, however late). Nothing on the decision path writes here: the auto path
 * pays nothing for the console.
 */

const STATE = 'rollups';
/** Requests may commit this long after their created_at (group commit, replica clock skew). */
export const SKEW_MARGIN_MS = 5 * 60_000;
/** Arbitrary constant shared by every replica (like the migration lock's). */
const ROLLUP_LOCK_KEY = 0x6a7e_4d17;
/** A first run (or a rebuild) recomputes history this many hours per transaction. */
const BACKFILL_CHUNK_HOURS = 24 * 7;
const HOUR_MS = 3_600_000;
const DAY_MS = 86_400_000;

const DECIDED = ['approved', 'rejected', 'expired', 'cancelled'] as const;
const statusList = sql.raw(`array[${REQUEST_STATUSES.map((s) => `'${s}'`).join(',')}]::text[]`);
const decidedList = sql.raw(DECIDED.map((s) => `'${s}'`).join(','));

/** `array[count(*) filter (where lat <= 1), …, count(*) filter (where lat > 86400)]`. */
const histogramSql = sql.raw(
  `array[${[...LATENCY_BOUNDS_SECONDS, Number.POSITIVE_INFINITY]
    .map((upper, i) => {
      const lower = i === 0 ? null : LATENCY_BOUNDS_SECONDS[i - 1];
      const conditions = [
        ...(lower === null ? ['lat is not null'] : [`lat > ${lower}`]),
        ...(Number.isFinite(upper) ? [`lat <= ${upper}`] : []),
      ];
      return `count(*) filter (where ${conditions.join(' and ')})::int`;
    })
    .join(', ')}]`,
);

/**
 * The requests created in [from, to) (whole hours), as the rollups see them: their cell and,
 * if closed by people, latency. Grant requests are asks for access, not commands: they count
 * neither as approvals nor in the auto-approval rate. `status = any(every status)` lets PostgreSQL range-scan the
 * (status, created_at) index once per status instead of reading the table.
 */
const sourceRows = (from: Date, to: Date) => sql`
  select date_trunc('hour', r.created_at) as hour,
         coalesce(a.type, 'unknown') as agent_type,
         coalesce(nullif(r.context->>'environment', ''), 'none') as environment,
         r.agent_id, r.kind, r.tier, r.status, r.commands, r.reasons, r.whitelisted_by,
         case when r.status in (${decidedList}) and r.decided_at is not null
              then extract(epoch from (r.decided_at - r.created_at)) end as lat
    from requests r
    left join agents a on a.id = r.agent_id
   where r.status = any(${statusList})
     and r.kind <> 'grant'
     and r.created_at >= ${from.toISOString()}::timestamptz and r.created_at < ${to.toISOString()}::timestamptz`;

/**
 * The command family of one parsed command: the SQL statement kind, or the program and, when
 * its first argument reads like a subcommand (`git status`, `kubectl get`), that too.
 */
const FAMILY = sql.raw(`case when c->>'kind' = 'sql' then 'sql ' || upper(c->>'name')
  else c->>'name' || coalesce(' ' || substring(c->'args'->>0 from '^[a-z][a-z0-9-]{1,23}$'), '') end`);

/** A timestamptz[] parameter, as one array literal (the same for node-postgres and PGlite). */
function timestamps(dates: readonly Date[]): SQL {
  return sql`${`{${dates.map((d) => d.toISOString()).join(',')}}`}::timestamptz[]`;
}

/**
 * Recomputes the rollups and facets of the given hours (hour starts) from the requests, then
 * the day rollups of the UTC days those hours fall in, from the hour rollups.
 */
export async function recomputeHours(tx: Db, hours: readonly Date[]): Promise<void> {
  for (const [from, to] of runsOf(hours)) await recomputeRange(tx, from, to);
  const days = [...new Set(hours.map((h) => Math.floor(h.getTime() / DAY_MS) * DAY_MS))];
  for (const [from, to] of runsOf(
    days.map((d) => new Date(d)),
    DAY_MS,
  ))
    await recomputeDays(tx, from, to);
}

/**
 * The day rollups of the UTC days in [from, to) (whole days), added up from the hour rollups:
 * counts summed, latency histograms summed bucket by bucket.
 */
async function recomputeDays(tx: Db, from: Date, to: Date): Promise<void> {
  const f = sql`${from.toISOString()}::timestamptz`;
  const t = sql`${to.toISOString()}::timestamptz`;
  const day = sql.raw(`date_trunc('day', hour, 'UTC')`);
  await tx.execute(sql`delete from insight_rollups_daily where day >= ${f} and day < ${t}`);
  await tx.execute(sql`delete from insight_facets_daily where day >= ${f} and day < ${t}`);
  await tx.execute(sql`
    insert into insight_rollups_daily (day, agent_type, environment, agent_id, kind, tier, status, count, latency_hist)
    select c.day, c.agent_type, c.environment, c.agent_id, c.kind, c.tier, c.status, c.count, coalesce(h.hist, '{}')
      from (select ${day} as day, agent_type, environment, agent_id, kind, tier, status, sum(count)::int as count
              from insight_rollups where hour >= ${f} and hour < ${t}
             group by 1, 2, 3, 4, 5, 6, 7) c
      left join (select day, agent_type, environment, agent_id, kind, tier, status, array_agg(v order by i)::int[] as hist
                   from (select ${day} as day, agent_type, environment, agent_id, kind, tier, status, u.i, sum(u.v)::int as v
                           from insight_rollups, unnest(latency_hist) with ordinality as u(v, i)
                          where hour >= ${f} and hour < ${t} and cardinality(latency_hist) > 0
                          group by 1, 2, 3, 4, 5, 6, 7, 8) e
                  group by 1, 2, 3, 4, 5, 6, 7) h
        using (day, agent_type, environment, agent_id, kind, tier, status)`);
  await tx.execute(sql`
    insert into insight_facets_daily (day, facet, key, agent_type, environment, count)
    select ${day}, facet, key, agent_type, environment, sum(count)::int
      from insight_facets where hour >= ${f} and hour < ${t}
     group by 1, 2, 3, 4, 5`);
}

/** Hour (or `unit`) starts as runs of consecutive hours (units), [from, to) each. */
export function runsOf(hours: readonly Date[], unit = HOUR_MS): [Date, Date][] {
  const sorted = [...new Set(hours.map((h) => Math.floor(h.getTime() / unit) * unit))].sort((a, b) => a - b);
  const runs: [number, number][] = [];
  for (const h of sorted) {
    const last = runs.at(-1);
    if (last && last[1] === h) last[1] = h + unit;
    else runs.push([h, h + unit]);
  }
  return runs.map(([a, b]) => [new Date(a), new Date(b)]);
}

async function recomputeRange(tx: Db, from: Date, to: Date): Promise<void> {
  const range = sql`hour >= ${from.toISOString()}::timestamptz and hour < ${to.toISOString()}::timestamptz`;
  await tx.execute(sql`delete from insight_rollups where ${range}`);
  await tx.execute(sql`delete from insight_facets where ${range}`);
  await tx.execute(sql`
    insert into insight_rollups (hour, agent_type, environment, agent_id, kind, tier, status, count, latency_hist)
    select hour, agent_type, environment, agent_id, kind, tier, status, count(*)::int,
           case when status in (${decidedList}) then ${histogramSql} else '{}'::int[] end
      from (${sourceRows(from, to)}) src
     group by hour, agent_type, environment, agent_id, kind, tier, status`);
  await tx.execute(sql`
    with src as (${sourceRows(from, to)}),
    facets as (
      select hour, agent_type, environment, 'family' as facet, family as key
        from src, lateral (select distinct ${FAMILY} as family from jsonb_array_elements(src.commands) c) f
       where src.status = 'auto_approved' and family is not null
      union all
      select hour, agent_type, environment, 'reason', rule
        from src, lateral (select distinct e->>'rule' as rule from jsonb_array_elements(src.reasons) e) f
       where rule is not null
      union all
      select hour, agent_type, environment, 'whitelist', entry
        from src, lateral (select distinct unnest(string_to_array(src.whitelisted_by, ',')) as entry) f
       where src.whitelisted_by is not null
    )
    insert into insight_facets (hour, facet, key, agent_type, environment, count)
    select hour, facet, key, agent_type, environment, count(*)::int
      from facets group by hour, facet, key, agent_type, environment`);
}

export interface RefreshResult {
  /** False when another replica held the lock: this round was its. */
  ran: boolean;
  hours: number;
  at: Date;
}

/**
 * One round of the rollup job. The first round (no state yet) builds the rollups of the
 * whole history, a week of hours per transaction, so a large history neither holds one huge
 * transaction nor blocks the decisions written meanwhile.
 */
export async function refreshRollups(db: Db, now = new Date()): Promise<RefreshResult> {
  const state = await readState(db);
  if (!state) await backfill(db, now);
  return db.transaction(async (tx) => {
    const locked = await tx.execute(sql`select pg_try_advisory_xact_lock(${ROLLUP_LOCK_KEY}) as ok`);
    if (!(locked.rows[0] as { ok: boolean }).ok) return { ran: false, hours: 0, at: now };
    const current = await readState(tx as unknown as Db);
    const since = new Date((current?.at ?? now).getTime() - SKEW_MARGIN_MS);
    const created = await tx.execute(sql`
      select distinct date_trunc('hour', created_at) as hour from requests
       where status = any(${statusList}) and created_at >= ${since.toISOString()}::timestamptz`);
    const dirty = new Map<number, Date>();
    for (const row of created.rows as { hour: string | Date }[]) add(dirty, row.hour);
    for (const hour of current?.pendingHours ?? []) add(dirty, hour);
    const hours = [...dirty.values()];
    await recomputeHours(tx as unknown as Db, hours);
    const pending = await tx.execute(
      sql`select distinct date_trunc('hour', created_at) as hour from requests where status = 'pending'`,
    );
    const pendingHours = (pending.rows as { hour: string | Date }[]).map((r) => new Date(r.hour));
    await writeState(tx as unknown as Db, now, pendingHours);
    return { ran: true, hours: hours.length, at: now };
  });
}

function add(into: Map<number, Date>, hour: string | Date): void {
  const date = new Date(hour);
  into.set(date.getTime(), date);
}

/**
 * Rebuilds the rollups of the whole history from the requests: after restoring a backup, or
 * importing requests from elsewhere, which the incremental rounds (looking only at what is
 * new since the last one) would not see.
 */
export async function rebuildRollups(db: Db, now = new Date()): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${ROLLUP_LOCK_KEY})`);
    await tx.execute(sql`delete from insight_state where name = ${STATE}`);
    await tx.execute(sql`delete from insight_rollups`);
    await tx.execute(sql`delete from insight_facets`);
    await tx.execute(sql`delete from insight_rollups_daily`);
    await tx.execute(sql`delete from insight_facets_daily`);
  });
  await refreshRollups(db, now);
}

async function backfill(db: Db, now: Date): Promise<void> {
  const first = await db.execute(sql`select min(created_at) as first from requests`);
  const start = (first.rows[0] as { first: string | Date | null }).first;
  if (start !== null) {
    const from = Math.floor(new Date(start).getTime() / HOUR_MS) * HOUR_MS;
    for (let t = from; t <= now.getTime(); t += BACKFILL_CHUNK_HOURS * HOUR_MS) {
      const hours: Date[] = [];
      for (let h = t; h < t + BACKFILL_CHUNK_HOURS * HOUR_MS && h <= now.getTime(); h += HOUR_MS)
        hours.push(new Date(h));
      await db.transaction(async (tx) => {
        await tx.execute(sql`select pg_advisory_xact_lock(${ROLLUP_LOCK_KEY})`);
        await recomputeHours(tx as unknown as Db, hours);
      });
    }
  }
  // The incremental round that follows picks up whatever was created during the backfill.
  await db.execute(sql`
    insert into insight_state (name, at, pending_hours) values (${STATE}, ${now.toISOString()}::timestamptz, '{}')
    on conflict (name) do nothing`);
}

async function readState(db: Db): Promise<{ at: Date; pendingHours: Date[] } | undefined> {
  const result = await db.execute(
    sql`select at, pending_hours from insight_state where name = ${STATE} for update`,
  );
  const row = result.rows[0] as { at: string | Date; pending_hours: (string | Date)[] | string } | undefined;
  if (!row) return undefined;
  return { at: new Date(row.at), pendingHours: parseTimestamps(row.pending_hours) };
}

/** node-postgres parses timestamptz[]; PGlite may hand the array literal as text. */
function parseTimestamps(value: (string | Date)[] | string): Date[] {
  const items =
    typeof value === 'string'
      ? value
          .replace(/^\{|\}$/g, '')
          .split(',')
          .filter(Boolean)
      : value;
  return items.map((v) => new Date(typeof v === 'string' ? v.replace(/^"|"$/g, '') : v));
}

async function writeState(db: Db, at: Date, pendingHours: readonly Date[]): Promise<void> {
  await db.execute(sql`
    insert into insight_state (name, at, pending_hours, updated_at)
    values (${STATE}, ${at.toISOString()}::timestamptz, ${timestamps(pendingHours)}, now())
    on conflict (name) do update set at = excluded.at, pending_hours = excluded.pending_hours, updated_at = now()`);
}

/** When the rollups were last brought up to date; null before the first run. */
export async function rollupsUpdatedAt(db: Db): Promise<Date | null> {
  const result = await db.execute(sql`select at from insight_state where name = ${STATE}`);
  const row = result.rows[0] as { at: string | Date } | undefined;
  return row ? new Date(row.at) : null;
}
