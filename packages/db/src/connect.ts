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
import { DatabaseError } from './errors.ts';
import * as schema from './schema.ts';

export type Schema = typeof schema;
/** Both drivers answer raw queries with `{ rows }`; the node-postgres result type describes both. */
export type Db = PgDatabase<NodePgQueryResultHKT, Schema>;

export interface DatabaseHandle {
  db: Db;
  driver: 'pglite' | 'postgres';
  /** Throws when the database does not answer; used by readiness checks. */
  ping(): Promise<void>;
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
}

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.url) return openPostgres(options.url, options.poolSize ?? 20);
  if (options.existing && !existsSync(join(options.dataDir, 'pgdata'))) {
    throw new DatabaseError(
      'ERR_DB_NOT_FOUND',
      `no Gatehouse database in ${options.dataDir}: set GATEHOUSE_DATA_DIR to the server's data directory, DATABASE_URL for PostgreSQL, or --url to ask a running server`,
    );
  }
  return openPglite(options.dataDir);
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
  const db = drizzleNodePg(pool, { schema }) as unknown as Db;
  return {
    db,
    driver: 'postgres',
    ping: async () => {
      await pool.query('select 1');
    },
    close: () => pool.end(),
  };
}

async function openPglite(dataDir: string): Promise<DatabaseHandle> {
  const release = lockDataDir(dataDir);
  try {
    const client = await PGlite.create(join(dataDir, 'pgdata'));
    const db = drizzlePglite(client, { schema }) as unknown as Db;
    return {
      db,
      driver: 'pglite',
      ping: async () => {
        await db.execute(sql`select 1`);
      },
      close: async () => {
        await client.close();
        release();
      },
    };
  } catch (error) {
    release();
    throw error;
  }
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
