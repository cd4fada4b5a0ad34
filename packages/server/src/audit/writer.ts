import { randomBytes } from 'node:crypto';
import { type Db, insertRows, schema, type TableRows } from '@gatehouse/db';
import { and, desc, eq, inArray, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';
import {
  type AuditEventInput,
  type ChainedEvent,
  type ChainHead,
  chainEvent,
  GENESIS_HASH,
} from './chain.ts';
import type { AuditMonitor } from './monitor.ts';
import type { Witnesses } from './witness.ts';

/** Links events onto a lane's head, in order, all stamped with the same time. */
function chain(head: ChainHead, events: readonly AuditEventInput[]): ChainedEvent[] {
  const now = new Date();
  const rows: ChainedEvent[] = [];
  let cursor = head;
  for (const event of events) {
    const chained = chainEvent(cursor, event, now);
    rows.push(chained);
    cursor = chained;
  }
  return rows;
}

export type RecordAudit = (event: AuditEventInput) => void;

/** A change that only inserts rows: it can share a transaction with other such changes. */
export interface InsertOnlyChange {
  inserts: ReadonlyArray<readonly [table: PgTable, row: Record<string, unknown>]>;
  events: readonly AuditEventInput[];
}

interface Queued {
  change: InsertOnlyChange;
  resolve: () => void;
  reject: (error: unknown) => void;
}

/** Upper bound of changes in one group commit; keeps statements and lock times small. */
const MAX_BATCH = 256;
/**
 * Two batches in flight keep the database busy (one commits while the next is built);
 * more would only make each batch smaller and the per-statement overhead larger.
 */
const MAX_BATCHES_IN_FLIGHT = 2;

/**
 * Appends audit events in the same transaction as the change they describe, so the API
 * never answers for a change whose evidence was not committed with it.
 *
 * A single chain would need a cluster-wide lock held through every commit. Instead each
 * process writes several chains ("lanes"), each used by one transaction at a time: a lane's
 * head only moves after its transaction commits, so a rollback never leaves a hole in a
 * chain, and lanes let transactions commit in parallel. Checkpoints tie the chains together.
 *
 * Insert-only changes (a new request and its events, say) are group-committed: while one
 * batch is in flight, new changes queue, and the next free lane takes them all in one
 * transaction with one multi-row insert per table. Nothing waits for a batch to fill, so a
 * lone change commits at once; under load the cost of a commit is shared.
 */
export interface AuditWriterOptions {
  /** Lanes this process writes at once (default 8). */
  lanes?: number;
  /** This process's name in the lane table; random by default. */
  writerId?: string;
  /** How long a lane stays this process's without a renewal (default 30 s). */
  leaseSeconds?: number;
  /** Where checkpoints and verification reports are also recorded (default: nowhere). */
  witness?: Witnesses;
  /** This process's continuous verification state (reports, alarms, counters). */
  monitor?: AuditMonitor;
  /** Told when a lane is given up (its lease was lost, or another writer appended to it). */
  onLaneLost?: (chain: string, reason: string) => void;
}

/** What PostgreSQL says when a row with the same (chain, seq) exists: another writer took the lane. */
const CHAIN_SEQ_INDEX = 'audit_chain_seq_idx';

/**
 * Appends audit events in the same transaction as the change they describe, so the API
 * never answers for a change whose evidence was not committed with it.
 *
 * A single chain would need a cluster-wide lock held through every commit. Instead each
 * process writes several chains ("lanes"), each used by one transaction at a time: a lane's
 * head only moves after its transaction commits, so a rollback never leaves a hole in a
 * chain, and lanes let transactions commit in parallel. Checkpoints tie the chains together.
 *
 * Lanes are leased in `audit_lanes` and renewed while the process lives: a restart takes up
 * lanes whose lease ran out (a stopped process releases its own; a killed one's expire), at
 * their heads, so the number of chains follows the number of writers, not of restarts. Two
 * writers never fork a chain: the unique (chain, seq) index refuses the second append at a
 * seq, and a writer that meets that refusal, or finds its lease gone, gives the lane up and
 * takes another.
 *
 * Insert-only changes (a new request and its events, say) are group-committed: while one
 * batch is in flight, new changes queue, and the next free lane takes them all in one
 * transaction with one multi-row insert per table. Nothing waits for a batch to fill, so a
 * lone change commits at once; under load the cost of a commit is shared.
 */
export class AuditWriter {
  readonly #db: Db;
  readonly #free: ChainHead[] = [];
  readonly #waiting: ((lane: ChainHead) => void)[] = [];
  readonly #queue: Queued[] = [];
  readonly #writerId: string;
  readonly #laneCount: number;
  readonly #leaseSeconds: number;
  readonly #onLaneLost?: (chain: string, reason: string) => void;
  /** Every lane this writer holds, free or in use. */
  readonly #held = new Set<string>();
  /** Lanes given up while a transaction used them: dropped when released. */
  readonly #lost = new Set<string>();
  #batchesInFlight = 0;
  /** New lanes this writer created: the next one's number. */
  #created = 0;
  #started?: Promise<void>;
  #heartbeat?: NodeJS.Timeout;
  #closed = false;
  /** Where checkpoints and verification reports also go. */
  readonly witness: Witnesses | undefined;
  readonly monitor: AuditMonitor | undefined;

  constructor(db: Db, options: AuditWriterOptions = {}) {
    this.#db = db;
    this.#writerId = options.writerId ?? `w${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
    this.#laneCount = options.lanes ?? 8;
    this.#leaseSeconds = options.leaseSeconds ?? 30;
    this.#onLaneLost = options.onLaneLost;
    this.witness = options.witness;
    this.monitor = options.monitor;
  }

  get writerId(): string {
    return this.#writerId;
  }

  /** The chains this writer holds now. */
  get lanes(): string[] {
    return [...this.#held].sort();
  }

  /**
   * Claims this process's lanes: free ones first (their lease ran out), new ones for the
   * rest; then renews the leases while the process runs. Called once at start; the first
   * write calls it otherwise.
   */
  start(): Promise<void> {
    this.#started ??= (async () => {
      await this.#claim(this.#laneCount);
      const every = Math.max(500, (this.#leaseSeconds * 1000) / 3);
      this.#heartbeat = setInterval(() => void this.#renew().catch(() => {}), every);
      this.#heartbeat.unref();
    })();
    return this.#started;
  }

  /**
   * Stops renewing and releases the lanes, so the next process takes them up at once. A lane
   * still in use after a short wait is left to its lease.
   */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#heartbeat);
    if (!this.#started) return;
    await this.#started.catch(() => {});
    // Wait a little for lanes in use; a lane released while busy would be safe anyway (the
    // unique index), but a clean hand-over needs no refusal.
    const until = Date.now() + 2_000;
    while (this.#free.length < this.#held.size && Date.now() < until) await sleep(20);
    const free = this.#free.map((lane) => lane.chain);
    if (free.length === 0) return;
    await this.#db
      .update(schema.auditLanes)
      .set({ owner: null, leaseUntil: sql`now()` })
      .where(and(eq(schema.auditLanes.owner, this.#writerId), inArray(schema.auditLanes.chain, free)))
      .catch(() => {});
  }

  async #claim(count: number): Promise<void> {
    if (count <= 0 || this.#closed) return;
    const lease = sql`now() + make_interval(secs => ${this.#leaseSeconds})`;
    const claimed = await this.#db.transaction(async (tx) => {
      const free = await tx.execute(sql`
        select chain from audit_lanes
        where lease_until < now()
        order by chain
        limit ${count}
        for update skip locked`);
      const chains = (free.rows as { chain: string }[]).map((r) => r.chain);
      if (chains.length > 0) {
        await tx
          .update(schema.auditLanes)
          .set({ owner: this.#writerId, leaseUntil: lease, claimedAt: sql`now()` })
          .where(inArray(schema.auditLanes.chain, chains));
      }
      const fresh: string[] = [];
      while (fresh.length + chains.length < count) fresh.push(`${this.#writerId}.${this.#created++}`);
      if (fresh.length > 0) {
        await tx.insert(schema.auditLanes).values(
          fresh.map((chain) => ({
            chain,
            owner: this.#writerId,
            leaseUntil: lease,
            claimedAt: sql`now()`,
          })),
        );
      }
      return [...chains, ...fresh];
    });
    // The heads, read after the claim committed: a previous holder can no longer move them
    // (its lease ran out; and if it still tried, the unique index would refuse it).
    for (const chain of claimed) {
      const [head] = await this.#db
        .select({ seq: schema.auditEvents.seq, hash: schema.auditEvents.hash })
        .from(schema.auditEvents)
        .where(eq(schema.auditEvents.chain, chain))
        .orderBy(desc(schema.auditEvents.seq))
        .limit(1);
      this.#held.add(chain);
      this.#release(head ? { chain, seq: head.seq, hash: head.hash } : { chain, seq: 0, hash: GENESIS_HASH });
    }
  }

  /** Extends the leases of the lanes held; lanes whose lease is no longer ours are given up. */
  async #renew(): Promise<void> {
    if (this.#closed || this.#held.size === 0) return;
    const held = [...this.#held];
    const renewed = await this.#db
      .update(schema.auditLanes)
      .set({ leaseUntil: sql`now() + make_interval(secs => ${this.#leaseSeconds})` })
      .where(and(eq(schema.auditLanes.owner, this.#writerId), inArray(schema.auditLanes.chain, held)))
      .returning({ chain: schema.auditLanes.chain });
    const ours = new Set(renewed.map((r) => r.chain));
    const lost = held.filter((chain) => !ours.has(chain));
    for (const chain of lost) this.#giveUp(chain, 'its lease was taken over by another writer');
    if (lost.length > 0) await this.#claim(lost.length);
  }

  /** Drops a lane from this writer: at once if free, at release if a transaction uses it. */
  #giveUp(chain: string, reason: string): void {
    if (!this.#held.delete(chain)) return;
    const index = this.#free.findIndex((lane) => lane.chain === chain);
    if (index >= 0) this.#free.splice(index, 1);
    else this.#lost.add(chain);
    this.#onLaneLost?.(chain, reason);
  }

  /** After a refusal by the (chain, seq) index: the lane is someone else's now; take another. */
  #laneTaken(lane: ChainHead): void {
    if (!this.#held.has(lane.chain)) return;
    this.#giveUp(lane.chain, `another writer appended to it (seq ${lane.seq + 1} exists)`);
    void this.#claim(1).catch(() => {});
  }

  /** Runs `work` in a transaction; the events it records commit with it, or not at all. */
  async transaction<T>(work: (tx: Db, record: RecordAudit) => Promise<T>): Promise<T> {
    try {
      return await this.#transactionOnce(work);
    } catch (error) {
      // The lane was taken by another writer: nothing was committed, so the work runs again
      // on a lane of ours.
      if (!isLaneTaken(error)) throw error;
      return this.#transactionOnce(work);
    }
  }

  async #transactionOnce<T>(work: (tx: Db, record: RecordAudit) => Promise<T>): Promise<T> {
    const lane = await this.#acquire();
    let head = lane;
    try {
      let tail = lane;
      const result = await this.#db.transaction(async (tx) => {
        const recorded: AuditEventInput[] = [];
        const value = await work(tx as unknown as Db, (event) => recorded.push(event));
        tail = await this.#insertEvents(tx as unknown as Db, lane, recorded);
        return value;
      });
      head = tail;
      return result;
    } catch (error) {
      if (isLaneTaken(error)) this.#laneTaken(lane);
      throw error;
    } finally {
      // Only a committed transaction moves the head; a failed one leaves the lane as it was.
      this.#release(head);
    }
  }

  /** Commits an insert-only change with its events, group-committed with concurrent ones. */
  commit(change: InsertOnlyChange): Promise<void> {
    void this.start().catch(() => {});
    return new Promise((resolve, reject) => {
      this.#queue.push({ change, resolve, reject });
      this.#pump();
    });
  }

  async append(event: AuditEventInput): Promise<void> {
    await this.commit({ inserts: [], events: [event] });
  }

  #pump(): void {
    while (this.#queue.length > 0 && this.#free.length > 0 && this.#batchesInFlight < MAX_BATCHES_IN_FLIGHT) {
      this.#batchesInFlight++;
      void this.#runBatch(this.#free.pop()!, this.#queue.splice(0, MAX_BATCH)).finally(() => {
        this.#batchesInFlight--;
        this.#pump();
      });
    }
  }

  async #runBatch(lane: ChainHead, batch: Queued[]): Promise<void> {
    let head = lane;
    let failure: unknown;
    try {
      const byTable = new Map<PgTable, Record<string, unknown>[]>();
      for (const { change } of batch) {
        for (const [table, row] of change.inserts) {
          const rows = byTable.get(table);
          if (rows) rows.push(row);
          else byTable.set(table, [row]);
        }
      }
      const events = chain(
        lane,
        batch.flatMap(({ change }) => change.events),
      );
      const groups: TableRows[] = [...byTable].map(([table, rows]) => ({ table, rows }));
      groups.push({ table: schema.auditEvents, rows: events });
      // One statement: atomic on its own, one round trip for the whole batch.
      await this.#db.execute(insertRows(groups));
      head = events.at(-1) ?? lane;
    } catch (error) {
      failure = error;
      if (isLaneTaken(error)) this.#laneTaken(lane);
    } finally {
      this.#release(head);
    }
    if (failure === undefined) {
      for (const queued of batch) queued.resolve();
    } else if (batch.length === 1 && !isLaneTaken(failure)) {
      batch[0]!.reject(failure);
    } else {
      // One bad change must not fail its neighbours: retry each on its own, so the error
      // reaches only the change that caused it.
      for (const queued of batch) this.#commitAlone(queued);
    }
  }

  #commitAlone({ change, resolve, reject }: Queued): void {
    this.transaction(async (tx, record) => {
      for (const [table, row] of change.inserts) await tx.insert(table).values(row);
      for (const event of change.events) record(event);
    }).then(resolve, reject);
  }

  async #insertEvents(tx: Db, lane: ChainHead, events: readonly AuditEventInput[]): Promise<ChainHead> {
    const rows = chain(lane, events);
    if (rows.length > 0) await tx.insert(schema.auditEvents).values(rows);
    return rows.at(-1) ?? lane;
  }

  #acquire(): Promise<ChainHead> {
    void this.start().catch(() => {});
    const lane = this.#free.pop();
    if (lane) return Promise.resolve(lane);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(lane: ChainHead): void {
    if (this.#lost.delete(lane.chain) || !this.#held.has(lane.chain)) return;
    const next = this.#waiting.shift();
    if (next) {
      next(lane);
      return;
    }
    this.#free.push(lane);
    this.#pump();
  }
}

/** A refusal by the unique (chain, seq) index, wherever drizzle put the driver's error. */
function isLaneTaken(error: unknown): boolean {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    const e = cause as Error & { code?: string; constraint?: string };
    if (e.code === '23505' && (e.constraint === CHAIN_SEQ_INDEX || e.message.includes(CHAIN_SEQ_INDEX)))
      return true;
    cause = cause.cause;
  }
  return false;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
