import { type Db, schema } from '@gatehouse/db';
import { and, asc, eq, gte, inArray, lte, or, type SQL, sql } from 'drizzle-orm';
import type { JWK } from 'jose';
import type { ChainedEvent } from './chain.ts';
import { checkpointsAfter, decodeCheckpoint } from './checkpoints.ts';
import { LogVerifier, type VerifyReport } from './verify.ts';

type EventRow = typeof schema.auditEvents.$inferSelect;
const PAGE = 5_000;

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
    const last = page.at(-1)!;
    cursor = { chain: last.chain, seq: last.seq, id: last.id };
  }
}

/** Walks every chain and every checkpoint of the database against the trusted audit keys. */
export async function verifyDatabase(
  db: Db,
  keys: readonly JWK[],
  progress?: Progress,
): Promise<VerifyReport> {
  const checkpoints = await checkpointsAfter(db);
  const wanted = headPositions(checkpoints.map((c) => c.jws));
  const found = new Map<string, string>();
  const [count] = (await db.execute(sql`select count(*)::bigint as n from audit_events`)).rows as {
    n: string;
  }[];
  const total = Number(count?.n ?? 0);
  const verifier = new LogVerifier();
  let done = 0;
  for await (const row of readEvents(db)) {
    verifier.addEvent(asChained(row));
    const key = `${row.chain}\u0000${row.seq}`;
    if (wanted.has(key)) found.set(key, row.hash);
    if (++done % 10_000 === 0) progress?.(done, total);
  }
  progress?.(done, total);
  return verifier.finish(checkpoints, keys, async (chain, seq) => found.get(`${chain}\u0000${seq}`));
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
    // The agent's own acts, and everything that happened to its requests and sessions.
    const owned = await db.execute(
      sql`select id from requests where agent_id = ${agentId} union all select id from agent_sessions where agent_id = ${agentId}`,
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
