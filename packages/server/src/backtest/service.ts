import { createHash } from 'node:crypto';
import { type BacktestLine, isTier, MAX_BACKTEST_POLICY_BYTES, type Tier } from '@gatehouse/contract';
import type { Db } from '@gatehouse/db';
import {
  type AssessInput,
  createRiskEngine,
  type GatehouseRiskEngine,
  PolicyError,
  type SqlDialect,
} from '@gatehouse/risk';
import { sql } from 'drizzle-orm';
import { actorOf, type Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';
import { governedEngine } from '../whitelist/governance.ts';
import { addRescored, emptyTally, type Rescored, summarize, type Tally } from './compare.ts';

/**
 * Rows per page. Small enough that one page's query and scoring never hold the embedded
 * database (it runs on this thread) for long, large enough that paging costs little.
 */
export const BACKTEST_PAGE = 1_000;
/** Scoring yields to waiting requests at least this often, inside a page as well as between pages. */
const SLICE_MS = 20;
/** Assessments remembered per run: agents repeat their commands, but memory must stay flat. */
const MEMO_ENTRIES = 20_000;

const HOUR_MS = 3_600_000;

export interface PreparedBacktest {
  engine: GatehouseRiskEngine;
  policyHash: string;
  policyVersion: string;
  since: Date;
  until: Date;
  /** Evaluation time of whitelist expiry: one instant for the whole run, so the memo is sound. */
  now: Date;
}

/** `30d`/`12h` back from `now`, or an instant before `now`. */
export function resolveSince(since: string, now: number): Date {
  const duration = /^([1-9][0-9]{0,3})([hd])$/.exec(since);
  if (duration) {
    const hours = Number(duration[1]) * (duration[2] === 'd' ? 24 : 1);
    return new Date(now - hours * HOUR_MS);
  }
  const at = Date.parse(since);
  if (!Number.isFinite(at))
    throw new GatehouseError(
      'BACKTEST_SINCE_INVALID',
      '`since` must be a duration (30d, 12h) or an ISO 8601 instant',
    );
  if (at >= now) throw new GatehouseError('BACKTEST_SINCE_INVALID', '`since` must be in the past');
  return new Date(at);
}

/**
 * Everything that can refuse a backtest, done before the answer starts streaming so a refusal
 * is a plain 4xx: the size, the policy's validity (with the validator's line and column) and
 * the window. The candidate engine is built the way the server builds its own
 * (`whitelist/loader.ts`): with the live whitelist entries and the review governance that
 * ends lapsed ones, so the candidate is judged as it would run if it were put in force now.
 */
export async function prepareBacktest(
  db: Db,
  body: { policy: string; since: string },
  clock = Date.now(),
): Promise<PreparedBacktest> {
  const bytes = Buffer.byteLength(body.policy, 'utf8');
  if (bytes > MAX_BACKTEST_POLICY_BYTES)
    throw new GatehouseError(
      'POLICY_TOO_LARGE',
      `the policy is ${bytes} bytes; a policy file may have at most ${MAX_BACKTEST_POLICY_BYTES}`,
    );
  const since = resolveSince(body.since, clock);
  let base: GatehouseRiskEngine;
  try {
    base = await createRiskEngine(body.policy);
  } catch (error) {
    if (error instanceof PolicyError) throw new GatehouseError('POLICY_INVALID', error.message);
    throw error;
  }
  const now = new Date(clock);
  const { engine } = await governedEngine(base, db, now);
  return {
    engine,
    policyHash: createHash('sha256').update(body.policy).digest('hex'),
    policyVersion: engine.policy.version,
    since,
    until: now,
    now,
  };
}

interface HistoryRow {
  id: string;
  agent_id: string;
  agent_type: string;
  kind: string;
  dialect: string | null;
  command: string;
  context: Record<string, unknown> | null;
  tier: string;
  score: number;
  created_at: Date | string;
  /** created_at as PostgreSQL prints it: exact to the microsecond, unlike a JS Date. */
  cursor_at: string;
}

interface Cursor {
  agentId: string;
  at: string;
  id: string;
}

/**
 * Only commands are re-scored: other kinds of request (access grants) are not the policy's to score.
 *
 * One page of the window, by keyset on (agent_id, created_at, id). The order follows the
 * (agent_id, created_at) index, so each page is an index range scan however long the history
 * is; a keyset on created_at alone has no index to use and would sort the whole window once
 * per page. agent_id never changes, so no row moves across the cursor while the run pages.
 */
async function readPage(db: Db, since: Date, until: Date, after: Cursor | undefined): Promise<HistoryRow[]> {
  const from = after
    ? sql`and r.agent_id >= ${after.agentId} and (r.agent_id, r.created_at, r.id) > (${after.agentId}, ${after.at}::timestamptz, ${after.id})`
    : sql``;
  // The agent's type is looked up for the page's rows only, after the limit.
  const result = await db.execute(sql`
    select p.*, a.type as agent_type
      from (select r.id, r.agent_id, r.kind, r.dialect, r.command, r.context, r.tier, r.score,
                   r.created_at, r.created_at::text as cursor_at
              from requests r
             where r.created_at >= ${since.toISOString()}::timestamptz and r.created_at < ${until.toISOString()}::timestamptz
                   and r.kind in ('shell', 'sql') ${from}
             order by r.agent_id, r.created_at, r.id
             limit ${BACKTEST_PAGE}) p
      join agents a on a.id = p.agent_id
     order by p.agent_id, p.created_at, p.id`);
  return result.rows as unknown as HistoryRow[];
}

/**
 * Refreshes the planner's statistics of `requests` when they are far behind the table. The
 * embedded database has no autovacuum: without this, a history written since the last
 * ANALYZE looks empty to the planner, which then sorts the whole window for every page
 * instead of walking the index. A role that may not analyze only gets slower pages.
 */
async function freshStatistics(db: Db, windowRows: number): Promise<void> {
  const result = await db.execute(
    sql`select reltuples::float8 as n from pg_class where oid = 'requests'::regclass`,
  );
  const estimate = Number((result.rows[0] as { n: number } | undefined)?.n ?? -1);
  if (estimate >= windowRows / 2) return;
  await db.execute(sql`analyze requests`).catch(() => {});
}

async function countWindow(db: Db, since: Date, until: Date): Promise<number> {
  const result = await db.execute(sql`
    select count(*)::int as n from requests
     where created_at >= ${since.toISOString()}::timestamptz and created_at < ${until.toISOString()}::timestamptz
           and kind in ('shell', 'sql')`);
  return Number((result.rows[0] as { n: number }).n);
}

const breathe = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What the candidate says about one row; memoised on everything the engine reads. */
function scorer(prepared: PreparedBacktest) {
  const memo = new Map<string, { tier: Tier; score: number; rules: string[]; error: boolean }>();
  return (row: HistoryRow) => {
    const context = { ...(row.context ?? {}), agentType: row.agent_type, agentId: row.agent_id };
    const key = JSON.stringify([row.kind, row.dialect, row.command, context]);
    let hit = memo.get(key);
    if (hit) return hit;
    const input: AssessInput = {
      kind: row.kind as AssessInput['kind'],
      command: row.command,
      ...(row.kind === 'sql' && row.dialect ? { dialect: row.dialect as SqlDialect } : {}),
      context: { ...context, now: prepared.now },
    };
    try {
      const a = prepared.engine.assess(input);
      hit = { tier: a.tier, score: a.score, rules: a.reasons.map((r) => r.rule), error: false };
    } catch {
      // Submission turns an engine failure into review (fail closed); the backtest does the same.
      hit = { tier: 'review', score: 50, rules: ['engine.error'], error: true };
    }
    if (memo.size >= MEMO_ENTRIES) memo.clear();
    memo.set(key, hit);
    return hit;
  };
}

/** What a run has counted so far: read after it ends, whether it finished or broke off. */
export interface RunState {
  tally: Tally;
  errors: number;
  complete: boolean;
}

export function newRun(): RunState {
  return { tally: emptyTally(), errors: 0, complete: false };
}

/**
 * Re-scores every request of the window under the candidate and yields progress after each
 * page, then the comparison. Holds two pages and the counts, never the history: the next page
 * is read while this one is scored.
 */
export async function* rescoreHistory(
  db: Db,
  prepared: PreparedBacktest,
  state: RunState = newRun(),
): AsyncGenerator<BacktestLine> {
  const started = performance.now();
  const score = scorer(prepared);
  const total = await countWindow(db, prepared.since, prepared.until);
  await freshStatistics(db, total);
  yield { type: 'progress', done: 0, total };
  let next: Promise<HistoryRow[]> | undefined = readPage(db, prepared.since, prepared.until, undefined);
  let slice = performance.now();
  while (next) {
    const page: HistoryRow[] = await next;
    const last = page.at(-1);
    next =
      page.length === BACKTEST_PAGE && last
        ? readPage(db, prepared.since, prepared.until, {
            agentId: last.agent_id,
            at: last.cursor_at,
            id: last.id,
          })
        : undefined;
    for (const row of page) {
      const candidate = score(row);
      if (candidate.error) state.errors++;
      addRescored(state.tally, rescored(row, candidate));
      if (performance.now() - slice > SLICE_MS) {
        await breathe();
        slice = performance.now();
      }
    }
    // A request submitted during the run but dated inside the window (clock skew between
    // replicas) can make the count grow; progress never claims more than the whole.
    yield { type: 'progress', done: state.tally.total, total: Math.max(total, state.tally.total) };
    await breathe();
    slice = performance.now();
  }
  state.complete = true;
  yield {
    type: 'result',
    policyVersion: prepared.policyVersion,
    policyHash: prepared.policyHash,
    since: prepared.since.toISOString(),
    until: prepared.until.toISOString(),
    errors: state.errors,
    ...summarize(state.tally),
    elapsedMs: Math.round(performance.now() - started),
  };
}

/**
 * A backtest for a caller: the re-scoring, and `policy.backtested` recorded when the run ends,
 * finished or broken off (the client went away), with the policy's hash and the counts, never
 * the policy or a command.
 */
export async function* runBacktest(
  rt: Runtime,
  by: Principal,
  prepared: PreparedBacktest,
): AsyncGenerator<BacktestLine> {
  const state = newRun();
  try {
    yield* rescoreHistory(rt.database.db, prepared, state);
  } finally {
    const summary = summarize(state.tally);
    await rt.audit.append({
      type: 'policy.backtested',
      actor: actorOf(by),
      data: {
        policyHash: prepared.policyHash,
        policyVersion: prepared.policyVersion,
        since: prepared.since.toISOString(),
        until: prepared.until.toISOString(),
        complete: state.complete,
        total: summary.total,
        moved: summary.moved,
        errors: state.errors,
        current: summary.current,
        candidate: summary.candidate,
        matrix: summary.matrix,
      },
    });
  }
}

function rescored(row: HistoryRow, candidate: { tier: Tier; score: number; rules: string[] }): Rescored {
  const environment = row.context?.environment;
  return {
    id: row.id,
    createdAt: new Date(row.created_at).toISOString(),
    agentId: row.agent_id,
    kind: row.kind,
    command: row.command,
    environment: typeof environment === 'string' ? environment : null,
    // A stored tier is one of the four; anything else would be a corrupted row, judged as review.
    from: isTier(row.tier) ? row.tier : 'review',
    fromScore: row.score,
    to: candidate.tier,
    toScore: candidate.score,
    rules: candidate.rules,
  };
}
