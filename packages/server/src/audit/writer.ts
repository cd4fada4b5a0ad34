import { randomBytes } from 'node:crypto';
import { type Db, insertRows, schema, type TableRows } from '@gatehouse/db';
import type { PgTable } from 'drizzle-orm/pg-core';
import {
  type AuditEventInput,
  type ChainedEvent,
  type ChainHead,
  chainEvent,
  GENESIS_HASH,
} from './chain.ts';

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
export class AuditWriter {
  readonly #db: Db;
  readonly #free: ChainHead[] = [];
  readonly #waiting: ((lane: ChainHead) => void)[] = [];
  readonly #queue: Queued[] = [];
  #batchesInFlight = 0;

  constructor(db: Db, options: { lanes?: number; writerId?: string } = {}) {
    this.#db = db;
    const writerId = options.writerId ?? `w${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;
    for (let i = 0; i < (options.lanes ?? 8); i++) {
      this.#free.push({ chain: `${writerId}.${i}`, seq: 0, hash: GENESIS_HASH });
    }
  }

  /** Runs `work` in a transaction; the events it records commit with it, or not at all. */
  async transaction<T>(work: (tx: Db, record: RecordAudit) => Promise<T>): Promise<T> {
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
    } finally {
      // Only a committed transaction moves the head; a failed one leaves the lane as it was.
      this.#release(head);
    }
  }

  /** Commits an insert-only change with its events, group-committed with concurrent ones. */
  commit(change: InsertOnlyChange): Promise<void> {
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
    } finally {
      this.#release(head);
    }
    if (failure === undefined) {
      for (const queued of batch) queued.resolve();
    } else if (batch.length === 1) {
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
    const lane = this.#free.pop();
    if (lane) return Promise.resolve(lane);
    return new Promise((resolve) => this.#waiting.push(resolve));
  }

  #release(lane: ChainHead): void {
    const next = this.#waiting.shift();
    if (next) {
      next(lane);
      return;
    }
    this.#free.push(lane);
    this.#pump();
  }
}
