import { type Db, schema } from '@gatehouse/db';
import { eq, gt, or, sql } from 'drizzle-orm';

/** Revocations reach every replica within this interval (the requirement is one second). */
export const REVOCATION_POLL_MS = 400;

/**
 * In-memory view of revoked agents and sessions, tailing the `revocations` table. Polling
 * the database (not pub/sub) keeps the guarantee without Redis and without lost messages.
 * If the database stops answering, `isFresh` turns false and authentication refuses sessions
 * it cannot confirm (fails closed): stale means refuse.
 */
export class RevocationCache {
  readonly #db: Db;
  readonly #agents = new Set<string>();
  readonly #sessions = new Set<string>();
  #lastSeq = 0;
  #freshAt = 0;
  #timer?: NodeJS.Timeout;
  #polling?: Promise<void>;

  constructor(db: Db) {
    this.#db = db;
  }

  async start(): Promise<void> {
    await this.poll();
    this.#timer = setInterval(() => void this.catchUp().catch(() => {}), REVOCATION_POLL_MS);
    this.#timer.unref();
  }

  async poll(): Promise<void> {
    const started = Date.now();
    const rows = await this.#db
      .select()
      .from(schema.revocations)
      .where(
        this.#lastSeq === 0
          ? // Sessions live at most an hour; older session revocations cannot matter any more.
            or(
              eq(schema.revocations.subjectType, 'agent'),
              gt(schema.revocations.createdAt, sql`now() - interval '2 hours'`),
            )
          : gt(schema.revocations.seq, this.#lastSeq),
      )
      .orderBy(schema.revocations.seq);
    for (const row of rows) this.add(row.subjectType, row.subjectId, row.seq);
    if (this.#lastSeq === 0 && rows.length === 0) {
      const [max] = await this.#db
        .select({ seq: sql<number>`coalesce(max(${schema.revocations.seq}), 0)::int` })
        .from(schema.revocations);
      this.#lastSeq = max?.seq ?? 0;
    }
    this.#freshAt = started;
  }

  /** Polls now, sharing one query among every caller that asks while it runs. */
  catchUp(): Promise<void> {
    this.#polling ??= this.poll().finally(() => {
      this.#polling = undefined;
    });
    return this.#polling;
  }

  /** Applies a revocation made by this process at once, ahead of the next poll. */
  add(type: 'agent' | 'session', id: string, seq?: number): void {
    (type === 'agent' ? this.#agents : this.#sessions).add(id);
    if (seq !== undefined && seq > this.#lastSeq) this.#lastSeq = seq;
  }

  isRevoked(agentId: string, sessionId?: string): boolean {
    return this.#agents.has(agentId) || (sessionId !== undefined && this.#sessions.has(sessionId));
  }

  /** True while the view is recent enough to enforce the one-second guarantee. */
  isFresh(): boolean {
    return Date.now() - this.#freshAt < 1_000;
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}
