import { existsSync } from 'node:fs';
import { type Db, schema } from '@gatehouse/db';
import { and, asc, desc, eq, gt, gte, inArray, lte, or, type SQL, sql } from 'drizzle-orm';
import type { JWK } from 'jose';
import type { ChainedEvent } from './chain.ts';
import { checkpointHash, checkpointsAfter, decodeCheckpoint } from './checkpoints.ts';
import type { VerifiedPosition, VerifyReport, WitnessSummary } from './types.ts';
import { LogVerifier } from './verify.ts';
import { WitnessReader, type WitnessState } from './witness.ts';
import { checkExpectedHead, compareWithWitness, type DatabaseView } from './witness-check.ts';

type EventRow = typeof schema.auditEvents.$inferSelect;
// Pages small enough that reading one does not hold the embedded database, which runs on this
// thread, for long: a full walk in the background must not stall the decisions being served.
const PAGE = 1_000;

export type Progress = (done: number, total: number) => void;

function asChained(row: EventRow): ChainedEvent & { id: number } {
  return { ...row, actorType: row.actorType as ChainedEvent['actorType'] };
}

/** Every event in (chain, seq, id) order, a page at a time, so the log never has to fit in memory. */
export async function* readEvents(db: Db, where?: SQL): AsyncGenerator<EventRow> {
  let cursor: { chain: string; seq: number; id: number } | undefined;
  for (;;) {
    const after = cursor
      ? sql`(${schema.auditEvents.chain}, ${schema.auditEvents.seq}, ${schema.auditEvents.id}) > (${cursor.chain}, ${cursor.seq}, ${cursor.id})`
      : undefined;
    const page = await db
      .select()
      .from(schema.auditEvents)
      .where(and(where, after))
      .orderBy(asc(schema.auditEvents.chain), asc(schema.auditEvents.seq), asc(schema.auditEvents.id))
      .limit(PAGE);
    yield* page;
    if (page.length < PAGE) return;
    // Let waiting requests run between pages.
    await new Promise((resolve) => setImmediate(resolve));
    const last = page.at(-1)!;
    cursor = { chain: last.chain, seq: last.seq, id: last.id };
  }
}

export interface VerifyOptions {
  /**
   * Witness files to compare the database with. A required one that cannot be read fails
   * the verification (fail closed); one that is not there and not required is skipped.
   */
  witnesses?: { path: string; required: boolean; reader?: WitnessReader }[];
  /** A head recorded earlier (`--expect-head`): the database must still hold that checkpoint. */
  expectHead?: { checkpoint: number; hash: string };
  /**
   * Continue from an earlier verification instead of walking everything: only events after
   * each lane's verified head and checkpoints after the verified one are read; the verified
   * heads themselves must still be there, with as many events below them as before.
   */
  from?: VerifiedPosition;
}

export type DatabaseReport = VerifyReport & {
  /** Where this verification ended, for the next incremental one. */
  position: VerifiedPosition;
};

/**
 * Walks every chain and every checkpoint of the database against the trusted audit keys,
 * then compares the database with the witnesses and the expected head. Witnesses are read
 * first: the database, read after, is at least as new as anything they recorded.
 */
export async function verifyDatabase(
  db: Db,
  keys: readonly JWK[],
  progress?: Progress,
  options: VerifyOptions = {},
): Promise<DatabaseReport> {
  const started = new Date().toISOString();
  const witnesses: WitnessState[] = [];
  const summaries: WitnessSummary[] = [];
  for (const w of options.witnesses ?? []) {
    const state = await (w.reader ?? new WitnessReader(w.path)).read(keys);
    const absent = state.status === 'unavailable' && !w.required && !existsSync(w.path);
    if (absent) {
      summaries.push({ name: state.name, status: 'absent', entries: 0 });
      continue;
    }
    witnesses.push(state);
    summaries.push(summarize(state));
  }

  const from = options.from;
  const checkpoints = await checkpointsAfter(db, from?.checkpoint?.seq ?? 0);
  const wanted = headPositions(checkpoints.map((c) => c.jws));
  const found = new Map<string, string>();
  const verifier = new LogVerifier();
  let done = 0;
  if (!from) {
    const [count] = (await db.execute(sql`select count(*)::bigint as n from audit_events`)).rows as {
      n: string;
    }[];
    const total = Number(count?.n ?? 0);
    for await (const row of readEvents(db)) {
      verifier.addEvent(asChained(row));
      const key = `${row.chain}\u0000${row.seq}`;
      if (wanted.has(key)) found.set(key, row.hash);
      if (++done % 10_000 === 0) progress?.(done, total);
    }
    progress?.(done, total);
  } else {
    await checkAnchors(db, from, verifier);
    const anchors = new Map(from.lanes.map((h) => [h.chain, h]));
    for (const chain of await listChains(db)) {
      const anchor = anchors.get(chain);
      for await (const row of readEvents(
        db,
        and(eq(schema.auditEvents.chain, chain), gt(schema.auditEvents.seq, anchor?.seq ?? 0)),
      )) {
        verifier.addEvent(asChained(row));
        const key = `${row.chain}\u0000${row.seq}`;
        if (wanted.has(key)) found.set(key, row.hash);
        if (++done % 10_000 === 0) progress?.(done, 0);
      }
    }
    progress?.(done, 0);
  }
  const view = databaseView(db, checkpoints);
  const lookup = async (chain: string, seq: number) =>
    found.get(`${chain}\u0000${seq}`) ?? (from ? view.eventHash(chain, seq) : undefined);
  const report = await verifier.finish(checkpoints, keys, lookup, {
    previous: from?.checkpoint ?? undefined,
  });

  const resolved = await view.resolve();
  for (const state of witnesses)
    for (const problem of await compareWithWitness(state, resolved)) verifier.report(problem);
  if (options.expectHead)
    for (const problem of await checkExpectedHead(options.expectHead, resolved)) verifier.report(problem);

  const head =
    report.head ??
    (from?.checkpoint ? { checkpoint: from.checkpoint.seq, hash: from.checkpoint.hash } : undefined);
  const problems = verifier.problems;
  return {
    ...report,
    ok: problems.length === 0,
    problems: [...problems],
    ...(head ? { head } : {}),
    witnesses: summaries,
    ...(from ? { from: { at: from.at, checkpoint: from.checkpoint?.seq ?? null } } : {}),
    position: {
      at: started,
      checkpoint: head ? { seq: head.checkpoint, hash: head.hash } : null,
      lanes: verifier.heads(),
    },
  };
}

function summarize(state: WitnessState): WitnessSummary {
  const newest = Math.max(0, ...state.checkpoints.keys());
  return {
    name: state.name,
    status: state.status,
    entries: state.entries,
    ...(state.lastAt ? { lastAt: state.lastAt } : {}),
    ...(newest > 0 ? { checkpoint: newest } : {}),
  };
}

/**
 * The heads an earlier verification vouched for must still be there, with the same hash and
 * every event below them: a deletion or wipe of what was verified is caught without reading it.
 */
async function checkAnchors(db: Db, from: VerifiedPosition, verifier: LogVerifier): Promise<void> {
  if (from.checkpoint) {
    const [row] = await db
      .select({ jws: schema.auditCheckpoints.jws })
      .from(schema.auditCheckpoints)
      .where(eq(schema.auditCheckpoints.seq, from.checkpoint.seq));
    if (!row) {
      verifier.report({
        kind: 'rolled-back',
        checkpoint: from.checkpoint.seq,
        since: from.at,
        detail: `checkpoint ${from.checkpoint.seq}, verified at ${from.at}, is not in the database: everything since may be gone`,
      });
    } else if (checkpointHash(row.jws) !== from.checkpoint.hash) {
      verifier.report({
        kind: 'bad-checkpoint',
        checkpoint: from.checkpoint.seq,
        since: from.at,
        detail: `checkpoint ${from.checkpoint.seq} differs from the one verified at ${from.at}`,
      });
    }
  }
  for (const anchor of from.lanes) {
    const result = await db.execute(sql`
      select count(*)::bigint as n,
        (select hash from audit_events where chain = ${anchor.chain} and seq = ${anchor.seq} limit 1) as hash
      from audit_events where chain = ${anchor.chain} and seq <= ${anchor.seq}`);
    const row = result.rows[0] as { n: string; hash: string | null };
    const n = Number(row.n);
    const at = { chain: anchor.chain, seq: anchor.seq, since: from.at };
    if (n === 0) {
      verifier.report({
        kind: 'lane-missing',
        ...at,
        detail: `lane ${anchor.chain} has no events up to seq ${anchor.seq}, verified at ${from.at}: all ${anchor.seq} missing since then`,
      });
    } else if (row.hash === null) {
      verifier.report({
        kind: 'truncated',
        ...at,
        detail: `lane ${anchor.chain} no longer reaches seq ${anchor.seq}, verified at ${from.at}`,
      });
    } else if (row.hash !== anchor.hash) {
      verifier.report({
        kind: 'modified',
        ...at,
        detail: `the event at seq ${anchor.seq} differs from the one verified at ${from.at}`,
      });
    } else if (n !== anchor.seq) {
      verifier.report({
        kind: 'deleted',
        ...at,
        detail: `${anchor.seq - n} of the ${anchor.seq} events up to seq ${anchor.seq}, verified at ${from.at}, are missing`,
      });
    }
    verifier.anchor(anchor);
  }
}

/** Every chain in the log, one index probe each (a loose index scan), not a pass over every row. */
export async function listChains(db: Db): Promise<string[]> {
  const result = await db.execute(sql`
    with recursive chains(chain) as (
      (select chain from audit_events order by chain limit 1)
      union all
      select (select e.chain from audit_events e where e.chain > c.chain order by e.chain limit 1)
      from chains c where c.chain is not null
    )
    select chain from chains where chain is not null`);
  return (result.rows as { chain: string }[]).map((r) => r.chain);
}

/** Lookups the witness comparison makes, against the database (checkpoints already read are reused). */
function databaseView(db: Db, loaded: readonly { seq: number; jws: string }[]) {
  const hashes = new Map(loaded.map((c) => [c.seq, checkpointHash(c.jws)]));
  return {
    eventHash: async (chain: string, seq: number) => {
      const [row] = await db
        .select({ hash: schema.auditEvents.hash })
        .from(schema.auditEvents)
        .where(and(eq(schema.auditEvents.chain, chain), eq(schema.auditEvents.seq, seq)))
        .limit(1);
      return row?.hash;
    },
    async resolve(): Promise<DatabaseView> {
      const [last] = (await db.execute(sql`select coalesce(max(seq), 0)::bigint as n from audit_checkpoints`))
        .rows as { n: string }[];
      return {
        lastCheckpoint: Number(last?.n ?? 0),
        checkpointHash: async (seq) => {
          if (hashes.has(seq)) return hashes.get(seq);
          const [row] = await db
            .select({ jws: schema.auditCheckpoints.jws })
            .from(schema.auditCheckpoints)
            .where(eq(schema.auditCheckpoints.seq, seq));
          return row ? checkpointHash(row.jws) : undefined;
        },
        laneHead: async (chain) => {
          const [row] = await db
            .select({ seq: schema.auditEvents.seq })
            .from(schema.auditEvents)
            .where(eq(schema.auditEvents.chain, chain))
            .orderBy(desc(schema.auditEvents.seq))
            .limit(1);
          return row?.seq;
        },
        eventHash: this.eventHash,
      };
    },
  };
}

function headPositions(jwss: readonly string[]): Set<string> {
  const positions = new Set<string>();
  for (const jws of jwss) {
    try {
      for (const head of decodeCheckpoint(jws).heads) positions.add(`${head.chain}\u0000${head.seq}`);
    } catch {
      // An undecodable checkpoint is reported by the verifier.
    }
  }
  return positions;
}

export interface ExportFilter {
  since?: Date;
  until?: Date;
  agentId?: string;
}

export type ExportLine =
  | {
      type: 'header';
      format: 'gatehouse.audit.export';
      version: 1;
      createdAt: string;
      filter: Record<string, string>;
      keys: JWK[];
    }
  | { type: 'checkpoint'; seq: number; jws: string }
  | { type: 'event'; selected: boolean; event: ChainedEvent & { id: number } };

/**
 * Writes the events that match the filter, plus what an offline verifier needs to trust
 * them: for each chain touched, the events from the first selected one up to the head of the
 * first checkpoint that covers the last selected one, every checkpoint, and the public keys.
 */
export async function exportLog(
  db: Db,
  keys: readonly JWK[],
  filter: ExportFilter,
  write: (line: ExportLine) => void | Promise<void>,
  progress?: Progress,
): Promise<{ selected: number; context: number }> {
  const counts = { selected: 0, context: 0 };
  for await (const line of exportLines(db, keys, filter, progress)) {
    if (line.type === 'event') counts[line.selected ? 'selected' : 'context']++;
    await write(line);
  }
  return counts;
}

/**
 * The lines of `exportLog`, pulled one at a time: a consumer that stops pulling (a slow
 * HTTP client) holds the export back instead of letting it pile up in memory.
 */
export async function* exportLines(
  db: Db,
  keys: readonly JWK[],
  filter: ExportFilter,
  progress?: Progress,
): AsyncGenerator<ExportLine> {
  const checkpoints = await checkpointsAfter(db);
  yield {
    type: 'header',
    format: 'gatehouse.audit.export',
    version: 1,
    createdAt: new Date().toISOString(),
    filter: Object.fromEntries(
      Object.entries(filter)
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => [k, v instanceof Date ? v.toISOString() : String(v)]),
    ),
    keys: [...keys],
  };
  for (const c of checkpoints) yield { type: 'checkpoint', seq: c.seq, jws: c.jws };

  // First pass: which chains, and which seq range of each, the filter selects.
  const { where, test } = await selector(db, filter);
  const ranges = new Map<string, { from: number; to: number }>();
  for await (const row of readEvents(db, where)) {
    const range = ranges.get(row.chain);
    if (!range) ranges.set(row.chain, { from: row.seq, to: row.seq });
    else range.to = row.seq;
  }
  // Extend each range to the first checkpoint head that vouches for its end.
  const heads = checkpoints.flatMap((c) => decodeCheckpoint(c.jws).heads);
  for (const [chain, range] of ranges) {
    const cover = heads
      .filter((h) => h.chain === chain && h.seq >= range.to)
      .sort((a, b) => a.seq - b.seq)[0];
    if (cover) range.to = cover.seq;
  }
  let done = 0;
  for (const [chain, range] of ranges) {
    for await (const row of readEvents(
      db,
      and(
        eq(schema.auditEvents.chain, chain),
        gte(schema.auditEvents.seq, range.from),
        lte(schema.auditEvents.seq, range.to),
      ),
    )) {
      yield { type: 'event', selected: test(row), event: asChained(row) };
      if (++done % 10_000 === 0) progress?.(done, 0);
    }
  }
}

/** The filter as SQL (to find the ranges) and as a predicate (to flag rows inside them). */
async function selector(
  db: Db,
  filter: ExportFilter,
): Promise<{ where?: SQL; test: (row: EventRow) => boolean }> {
  const conditions: SQL[] = [];
  const tests: ((row: EventRow) => boolean)[] = [];
  const { since, until, agentId } = filter;
  if (since) {
    conditions.push(gte(schema.auditEvents.createdAt, since));
    tests.push((row) => row.createdAt >= since);
  }
  if (until) {
    conditions.push(lte(schema.auditEvents.createdAt, until));
    tests.push((row) => row.createdAt <= until);
  }
  if (agentId) {
    // The agent's own acts, and everything that happened to its requests, sessions and grants.
    const owned = await db.execute(
      sql`select id from requests where agent_id = ${agentId} union all select id from agent_sessions where agent_id = ${agentId} union all select id from grants where agent_id = ${agentId}`,
    );
    const subjects = new Set([agentId, ...(owned.rows as { id: string }[]).map((r) => r.id)]);
    conditions.push(
      or(eq(schema.auditEvents.actorId, agentId), inArray(schema.auditEvents.subjectId, [...subjects]))!,
    );
    tests.push((row) => row.actorId === agentId || (row.subjectId !== null && subjects.has(row.subjectId)));
  }
  return {
    where: conditions.length > 0 ? and(...conditions) : undefined,
    test: (row) => tests.every((t) => t(row)),
  };
}

/** Verifies an export (see `exportLog`) offline: links of every exported segment, checkpoint signatures, coverage. */
export async function verifyExport(
  lines: AsyncIterable<ExportLine>,
  trusted?: readonly JWK[],
): Promise<VerifyReport & { keys: JWK[] }> {
  const verifier = new LogVerifier({ slice: true });
  const checkpoints: { seq: number; jws: string }[] = [];
  const hashes = new Map<string, string>();
  let keys: JWK[] = [...(trusted ?? [])];
  for await (const line of lines) {
    if (line.type === 'header') {
      if (!trusted) keys = line.keys;
    } else if (line.type === 'checkpoint') checkpoints.push({ seq: line.seq, jws: line.jws });
    else {
      const event = { ...line.event, createdAt: new Date(line.event.createdAt) };
      verifier.addEvent(event);
      hashes.set(`${event.chain}\u0000${event.seq}`, event.hash);
    }
  }
  const report = await verifier.finish(checkpoints, keys, async (chain, seq) =>
    hashes.get(`${chain}\u0000${seq}`),
  );
  return { ...report, keys };
}
