import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import type { NodePgQueryResultHKT } from 'drizzle-orm/node-postgres';
import { drizzle as drizzleNodePg } from 'drizzle-orm/node-postgres';
import type { PgDatabase } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import pg from 'pg';
import { lockDataDir } from './data-dir-lock.ts';
import { EmbeddedGate, type GateOptions, type Holder } from './embedded-gate.ts';
import { DatabaseError, isConnectionFailure } from './errors.ts';
import { TransactionScope } from './reentrancy.ts';
import * as schema from './schema.ts';

export type Schema = typeof schema;
/** Both drivers answer raw queries with `{ rows }`; the node-postgres result type describes both. */
export type Db = PgDatabase<NodePgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Db;
  driver: 'pglite' | 'postgres';
  /** Throws when the database does not answer; used by readiness checks. */
  ping(): Promise<void>;
  /** The embedded database only: what holds its one connection right now, if anything. */
  holder(): Holder | undefined;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  /** PostgreSQL connection URL; when absent, the embedded PGlite database in `dataDir` is used. */
  url?: string;
  dataDir: string;
  poolSize?: number;
  /**
   * Open the embedded database only if it exists. Readers (audit verify, say) must not create
   * an empty one and then report on it as if it were the deployment's record.
   */
  existing?: boolean;
  /** The embedded database's connection queue: limits, and where a stuck call is reported. */
  gate?: Partial<GateOptions>;
  /**
   * PostgreSQL only: the longest one query may wait for its answer (default QUERY_TIMEOUT_MS).
   * A database that stops answering without closing the connection (a network partition)
   * then fails the call instead of holding it, and its connection, forever.
   */
  queryTimeoutMs?: number;
  /**
   * PostgreSQL only: every connection works as this role (`SET ROLE` at connection start, so
   * no query ever runs before it). A connection that cannot take it is refused, never opened
   * as the login user. The login must be the role or a member of it.
   */
  role?: string;
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url)
    return openPostgres(options.url, options.poolSize ?? 20, options.role, options.queryTimeoutMs);
  if (options.existing && !existsSync(join(options.dataDir, 'pgdata'))) {
    throw new DatabaseError(
      'ERR_DB_NOT_FOUND',
      `no Gatehouse database in ${options.dataDir}: set GATEHOUSE_DATA_DIR to the server's data directory, DATABASE_URL for PostgreSQL, or --url to ask a running server`,
    );
  }
  return openPglite(options.dataDir, options.gate);
}

/** What a role name may be here: it travels in the connection's startup options, unquoted. */
const ROLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * How long a query may go unanswered before it fails as ERR_DB_UNREACHABLE. Far above any
 * query Gatehouse makes (they are indexed, and bulk reads are paged), far below TCP's own
 * give-up time of many minutes.
 */
export const QUERY_TIMEOUT_MS = 30_000;

async function openPostgres(
  url: string,
  poolSize: number,
  role?: string,
  queryTimeoutMs = QUERY_TIMEOUT_MS,
): Promise<DatabaseHandle> {
  if (role !== undefined && !ROLE_NAME.test(role))
    throw new DatabaseError('ERR_DB_ROLE', `"${role}" is not a role name Gatehouse accepts (a-z, 0-9, _)`);
  const pool = new pg.Pool({
    connectionString: url,
    max: poolSize,
    connectionTimeoutMillis: 5_000,
    query_timeout: queryTimeoutMs,
    keepAlive: true,
    ...(role ? { options: `-c role=${role}` } : {}),
  });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
    const state = (error as { code?: string }).code;
    if (role && (state === '42704' || state === '42501')) {
      throw new DatabaseError(
        'ERR_DB_ROLE',
        `the database user of ${redact(url)} cannot work as role ${role}: ${messageOf(error)}`,
        { cause: error },
      );
    }
    throw new DatabaseError(
      'ERR_DB_UNREACHABLE',
      `cannot reach PostgreSQL at ${redact(url)}: ${messageOf(error)}`,
      {
        cause: error,
      },
    );
  }
  const scope = new TransactionScope();
  const db = guardTransactions(
    drizzleNodePg({ client: new GuardedPool(pool, scope) as unknown as pg.Pool, schema }) as unknown as Db,
    scope,
    (work) => work(),
  );
  return {
    db,
    driver: 'postgres',
    ping: async () => {
      await pool.query('select 1');
    },
    holder: () => undefined,
    close: () => pool.end(),
  };
}

/**
 * The pool drizzle sees: queries are checked against the transaction scope. Drizzle tells a
 * pool from a single client by its class name, so the name must say Pool.
 */
class GuardedPool {
  constructor(
    readonly pool: pg.Pool,
    readonly scope: TransactionScope,
  ) {}

  query(...args: Parameters<pg.Pool['query']>) {
    this.scope.assertOutside('a query');
    return (this.pool.query as (...a: unknown[]) => unknown)(...args);
  }

  /** A client for a transaction (drizzle's only other use of the pool): see GuardedClient. */
  async connect() {
    return new GuardedClient(await this.pool.connect());
  }
}

/**
 * A pooled client whose connection, once it fails, goes back to the pool at once as broken.
 * drizzle releases a transaction's client only if `begin` succeeded, and then without the
 * error: a `begin` that meets a dead connection would keep its pool slot forever, and a
 * database outage would end with a pool that has no connections left to give.
 */
class GuardedClient {
  #released = false;
  /**
   * pg-pool listens for errors on idle clients only; a checked-out client whose connection
   * breaks between queries emits an `error` nobody handles, which would end the process.
   */
  readonly #onError = (error: Error) => this.release(error);

  constructor(readonly client: pg.PoolClient) {
    client.on('error', this.#onError);
  }

  query(...args: unknown[]) {
    const result = (this.client.query as (...a: unknown[]) => unknown)(...args);
    if (!(result instanceof Promise)) return result;
    return result.catch((error: unknown) => {
      if (isConnectionFailure(error)) this.release(error as Error);
      throw error;
    });
  }

  /** Idempotent: the first release (with the connection's error, if it failed) is the one. */
  release(error?: Error | boolean) {
    if (this.#released) return;
    this.#released = true;
    this.client.off('error', this.#onError);
    this.client.release(error);
  }
}

async function openPglite(dataDir: string, gateOptions?: Partial<GateOptions>): Promise<DatabaseHandle> {
  const release = lockDataDir(dataDir);
  try {
    const client = await PGlite.create(join(dataDir, 'pgdata'));
    const gate = new EmbeddedGate(gateOptions);
    const scope = new TransactionScope();
    // Queries take the gate; a transaction takes it once, at `db.transaction`, and its own
    // queries run on PGlite's transaction object, inside the hold.
    const gated = {
      query: (query: string, params?: unknown[], options?: object) => {
        scope.assertOutside('a query');
        return gate.run('query', sqlLabel(query), () => client.query(query, params, options));
      },
      transaction: <T>(work: (tx: unknown) => Promise<T>) => client.transaction(work as never) as Promise<T>,
    };
    const db = guardTransactions(
      drizzlePglite({ client: gated as unknown as PGlite, schema }) as unknown as Db,
      scope,
      (work) => gate.run('transaction', callerOf(new Error().stack), work),
    );
    return {
      db,
      driver: 'pglite',
      ping: async () => {
        const stall = gate.stall();
        if (stall) {
          throw new DatabaseError(
            'ERR_DB_BUSY',
            `the embedded database has been held by one ${stall.holder.kind} (${stall.holder.label}) for ${stall.heldMs} ms`,
          );
        }
        // Busy and moving is ready: a probe must not queue behind the work it vouches for.
        if (gate.holder) return;
        await db.execute(sql`select 1`);
      },
      holder: () => gate.holder,
      close: async () => {
        gate.close();
        await client.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
}

/** Every transaction runs in the scope, and none may start inside another's. */
function guardTransactions(
  db: Db,
  scope: TransactionScope,
  hold: <T>(work: () => Promise<T>) => Promise<T>,
): Db {
  const begin = db.transaction.bind(db);
  db.transaction = ((work, config) => {
    scope.assertOutside('a new transaction');
    return hold(() => begin((tx) => scope.within(() => work(tx)), config));
  }) as Db['transaction'];
  return db;
}

/** A query named by its first words: enough to recognise it, with no parameter values. */
function sqlLabel(query: string): string {
  return query.replace(/\s+/g, ' ').trim().slice(0, 80);
}

/** The first frames of our own code outside this package: where the transaction was opened. */
function callerOf(stack: string | undefined): string {
  const ours = (stack ?? '')
    .split('\n')
    .slice(1)
    .filter((frame) => !frame.includes('/node_modules/') && !frame.includes('/packages/db/src/'))
    .slice(0, 2)
    .map((frame) => frame.trim().replace(/^at /, ''));
  return ours.length > 0 ? ours.join(' < ') : 'unknown caller';
}

/** Connection URLs carry passwords; error messages and logs must not. */
export function redact(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    return parsed.toString();
  } catch {
    return '<unparseable database URL>';
  }
}

function messageOf(error: unknown): string {
  if (error instanceof AggregateError) return error.errors.map(messageOf).join('; ');
  return error instanceof Error ? error.message || error.name : String(error);
}
