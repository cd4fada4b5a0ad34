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
import { DatabaseError } from './errors.ts';
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
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 20);
  if (options.existing && !existsSync(join(options.dataDir, 'pgdata'))) {
    throw new DatabaseError(
      'ERR_DB_NOT_FOUND',
      `no Gatehouse database in ${options.dataDir}: set GATEHOUSE_DATA_DIR to the server's data directory, DATABASE_URL for PostgreSQL, or --url to ask a running server`,
    );
  }
  return openPglite(options.dataDir, options.gate);
}

async function openPostgres(url: string, poolSize: number): Promise<DatabaseHandle> {
  const pool = new pg.Pool({ connectionString: url, max: poolSize, connectionTimeoutMillis: 5_000 });
  // An idle client that loses its server must not crash the process; the next query reports it.
  pool.on('error', () => {});
  try {
    await pool.query('select 1');
  } catch (error) {
    await pool.end().catch(() => {});
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

  connect() {
    return this.pool.connect();
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
