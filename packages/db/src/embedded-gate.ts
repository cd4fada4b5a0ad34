import { DatabaseError } from './errors.ts';

/** What holds the embedded connection, for the log line that names a stuck call. */
export interface Holder {
  kind: 'query' | 'transaction';
  /** The first words of the SQL, or the code that opened the transaction; never parameters. */
  label: string;
  since: number;
}

export interface StallReport {
  holder: Holder;
  heldMs: number;
  waiting: number;
}

export interface GateOptions {
  /** Longest a call waits for the connection before it fails with ERR_DB_BUSY. */
  waitTimeoutMs: number;
  /** Calls allowed to wait at once; one more fails at once with ERR_DB_BUSY. */
  maxWaiting: number;
  /** A holder past this is reported once through `onStall`. */
  stallAfterMs: number;
  onStall?: (report: StallReport) => void;
}

export const DEFAULT_GATE_OPTIONS: GateOptions = {
  waitTimeoutMs: 10_000,
  maxWaiting: 10_000,
  stallAfterMs: 2_000,
};

interface Waiter {
  holder: Holder;
  grant: () => void;
  timer: NodeJS.Timeout;
}

/**
 * PGlite is one connection: one query or one transaction at a time. Its own mutex makes
 * every other call wait, with no limit and no word, so a call that waits on itself (a query
 * issued from inside a transaction, outside it) wedges the process for good. The gate takes
 * that queue over: first come, first served, bounded in length and in waiting time, and it
 * knows who holds the connection, so a wedge becomes a clear error and a log line that
 * names its cause instead of silence.
 */
export class EmbeddedGate {
  readonly #options: GateOptions;
  readonly #waiting: Waiter[] = [];
  #holder?: Holder;
  #watchdog?: NodeJS.Timeout;
  #closed = false;

  constructor(options: Partial<GateOptions> = {}) {
    this.#options = { ...DEFAULT_GATE_OPTIONS, ...options };
  }

  get holder(): Holder | undefined {
    return this.#holder;
  }

  get waiting(): number {
    return this.#waiting.length;
  }

  /** Runs `work` while holding the connection. */
  async run<T>(kind: Holder['kind'], label: string, work: () => Promise<T>): Promise<T> {
    await this.#acquire({ kind, label, since: 0 });
    try {
      return await work();
    } finally {
      this.#release();
    }
  }

  /**
   * Whether calls are moving, without queueing: a readiness probe asks this rather than wait
   * behind the very work it vouches for. Idle or held for less than the stall limit is
   * healthy; a holder past it is a wedge, and a closed gate serves nothing.
   */
  stall(): StallReport | undefined {
    if (this.#closed) throw closedError();
    const holder = this.#holder;
    if (!holder) return undefined;
    const heldMs = Date.now() - holder.since;
    return heldMs > this.#options.stallAfterMs
      ? { holder, heldMs, waiting: this.#waiting.length }
      : undefined;
  }

  /** Refuses every waiting and future call; the one running finishes on its own. */
  close(): void {
    this.#closed = true;
    for (const waiter of this.#waiting.splice(0)) {
      clearTimeout(waiter.timer);
      waiter.grant = () => {};
    }
  }

  #acquire(holder: Holder): Promise<void> {
    if (this.#closed) return Promise.reject(closedError());
    if (!this.#holder) {
      this.#hold(holder);
      return Promise.resolve();
    }
    if (this.#waiting.length >= this.#options.maxWaiting) return Promise.reject(this.#busy('queue is full'));
    return new Promise((resolve, reject) => {
      const waiter: Waiter = {
        holder,
        grant: () => {
          clearTimeout(waiter.timer);
          this.#hold(holder);
          resolve();
        },
        timer: setTimeout(() => {
          this.#waiting.splice(this.#waiting.indexOf(waiter), 1);
          reject(this.#busy(`waited ${this.#options.waitTimeoutMs} ms`));
        }, this.#options.waitTimeoutMs),
      };
      this.#waiting.push(waiter);
    });
  }

  #hold(holder: Holder): void {
    holder.since = Date.now();
    this.#holder = holder;
    clearTimeout(this.#watchdog);
    this.#watchdog = setTimeout(() => {
      this.#options.onStall?.({
        holder,
        heldMs: Date.now() - holder.since,
        waiting: this.#waiting.length,
      });
    }, this.#options.stallAfterMs);
    this.#watchdog.unref();
  }

  #release(): void {
    clearTimeout(this.#watchdog);
    this.#holder = undefined;
    this.#waiting.shift()?.grant();
  }

  #busy(why: string): DatabaseError {
    const holder = this.#holder;
    const held = holder
      ? `held by a ${holder.kind} (${holder.label}) for ${Date.now() - holder.since} ms`
      : 'not held';
    return new DatabaseError(
      'ERR_DB_BUSY',
      `the embedded database did not answer: ${why}; the connection is ${held}, ${this.#waiting.length} calls waiting`,
    );
  }
}

function closedError(): DatabaseError {
  return new DatabaseError('ERR_DB_CLOSED', 'the database is closing');
}
