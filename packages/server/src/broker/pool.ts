import { createHash } from 'node:crypto';
import type { Credentials } from '../connections/credentials.ts';
import type { ConnectionRow } from '../connections/row.ts';
import type { Runtime } from '../platform/runtime.ts';
import { openSession, type TargetSession } from './targets.ts';

/**
 * An idle session is closed after this long: a connection deleted or re-keyed on another
 * replica is noticed there only at its next run, and idle logins should not linger on the target.
 */
const IDLE_MS = 30_000;

interface Idle {
  session: TargetSession;
  timer: NodeJS.Timeout;
}

interface Pool {
  /** What the sessions logged in to and with: a different one means they are stale. */
  version: string;
  idle: Idle[];
}

export interface Lease {
  session: TargetSession;
  /** Taken from the pool rather than opened for this run. */
  reused: boolean;
  version: string;
}

/**
 * Idle target sessions kept per connection, so a run does not pay for a login. Only sessions
 * that ended cleanly come back, and each is reset before it is kept (see `TargetSession.reset`);
 * one whose run failed, timed out or was cancelled is closed. The size bounds the idle sessions,
 * not the concurrent runs: a run that finds none idle opens its own, as without a pool.
 */
export class SessionPools {
  readonly #pools = new Map<string, Pool>();
  #closed = false;

  constructor(
    private readonly size: number,
    private readonly onError: (error: unknown) => void = () => {},
  ) {}

  /** Fingerprint of where and as whom a connection logs in; the sealed login changes with it. */
  static version(row: ConnectionRow): string {
    return createHash('sha256')
      .update(JSON.stringify([row.engine, row.host, row.port, row.database, row.credentialsEnc]))
      .digest('hex');
  }

  async acquire(
    row: ConnectionRow,
    login: Credentials,
    connectTimeoutMs: number,
    multi: boolean,
    options: { fresh?: boolean } = {},
  ): Promise<Lease> {
    const version = SessionPools.version(row);
    const pool = this.#pools.get(row.id);
    if (pool && pool.version !== version) void this.close(row.id);
    if (!this.#closed && this.size > 0 && !this.#pools.has(row.id))
      this.#pools.set(row.id, { version, idle: [] });
    // MySQL sessions allowing several statements are never pooled, so none is handed to a run approved for one.
    if (!options.fresh && !(multi && row.engine !== 'postgresql')) {
      const idle = this.#pools.get(row.id)?.idle;
      while (idle && idle.length > 0) {
        const entry = idle.pop()!;
        clearTimeout(entry.timer);
        if (entry.session.reusable) return { session: entry.session, reused: true, version };
        void entry.session.close();
      }
    }
    const session = await openSession({ row, login }, connectTimeoutMs, multi);
    return { session, reused: false, version };
  }

  /**
   * Gives a session back after its run. `clean` is the caller's word that the run committed or
   * rolled back normally; anything else, and any doubt, closes the session instead.
   */
  async release(connectionId: string, lease: Lease, clean: boolean): Promise<void> {
    const { session } = lease;
    const pool = this.#pool(connectionId, lease.version);
    if (!clean || !session.reusable || !pool || pool.idle.length >= this.size) {
      await session.close();
      return;
    }
    try {
      await session.reset();
    } catch (error) {
      this.onError(error);
      await session.close();
      return;
    }
    // The pool may have been closed or re-keyed while the reset ran.
    const now = this.#pool(connectionId, lease.version);
    if (!now || now.idle.length >= this.size || !session.reusable) {
      await session.close();
      return;
    }
    const entry: Idle = {
      session,
      timer: setTimeout(() => {
        const at = now.idle.indexOf(entry);
        if (at >= 0) now.idle.splice(at, 1);
        void session.close();
      }, IDLE_MS),
    };
    entry.timer.unref();
    now.idle.push(entry);
  }

  /**
   * The pool a session of this version goes back to. Created only by `acquire`: a session of a
   * connection closed since (re-keyed, deleted, server stopping) finds none and is closed.
   */
  #pool(connectionId: string, version: string): Pool | undefined {
    if (this.#closed || this.size <= 0) return undefined;
    const pool = this.#pools.get(connectionId);
    return pool?.version === version ? pool : undefined;
  }

  /** Closes a connection's idle sessions; those in use are closed when their run ends. */
  async close(connectionId: string): Promise<void> {
    const pool = this.#pools.get(connectionId);
    if (!pool) return;
    this.#pools.delete(connectionId);
    await Promise.all(
      pool.idle.splice(0).map(({ session, timer }) => {
        clearTimeout(timer);
        return session.close();
      }),
    );
  }

  /** Idle sessions of a connection, for tests and metrics. */
  idleCount(connectionId: string): number {
    return this.#pools.get(connectionId)?.idle.length ?? 0;
  }

  async closeAll(): Promise<void> {
    this.#closed = true;
    await Promise.all([...this.#pools.keys()].map((id) => this.close(id)));
  }
}

const pools = new WeakMap<Runtime, SessionPools>();

export function sessionPools(rt: Runtime): SessionPools {
  let p = pools.get(rt);
  if (!p) {
    p = new SessionPools(rt.config.broker.poolSize, (error) =>
      rt.log.warn({ err: error }, 'a brokered session could not be reset; it was closed'),
    );
    pools.set(rt, p);
  }
  return p;
}

/** Drops a connection's idle sessions on this replica: its login or address changed, or it was deleted. */
export function closeConnectionSessions(rt: Runtime, connectionId: string): void {
  void pools.get(rt)?.close(connectionId);
}

/** On server stop: every idle session is closed and none is kept after. */
export async function closeSessionPools(rt: Runtime): Promise<void> {
  const p = pools.get(rt);
  pools.delete(rt);
  await p?.closeAll();
}
