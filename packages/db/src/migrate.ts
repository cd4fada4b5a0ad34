import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { sql } from 'drizzle-orm';
import type { Db } from './connect.ts';
import { DatabaseError } from './errors.ts';

export interface Migration {
  idx: number;
  tag: string;
  hash: string;
  statements: string[];
}

const MIGRATIONS_DIR = new URL('../migrations/', import.meta.url);
/** Arbitrary constant shared by every Gatehouse process: replicas starting together migrate one at a time. */
const MIGRATION_LOCK_KEY = 0x6a7e_4d16;

/** The migrations shipped with this code, in order, as drizzle-kit wrote them. */
export function loadMigrations(dir: URL = MIGRATIONS_DIR): Migration[] {
  const journal = JSON.parse(readFileSync(new URL('meta/_journal.json', dir), 'utf8')) as {
    entries: { idx: number; tag: string }[];
  };
  return journal.entries.map(({ idx, tag }) => {
    const text = readFileSync(new URL(`${tag}.sql`, dir), 'utf8');
    return {
      idx,
      tag,
      hash: createHash('sha256').update(text).digest('hex'),
      statements: text
        .split('--> statement-breakpoint')
        .map((s) => s.trim())
        .filter(Boolean),
    };
  });
}

/**
 * Brings the schema up to date in one transaction, under an advisory lock so replicas that
 * start together do not race. Running it again is a no-op. A database that has migrations
 * this code does not know was upgraded by a newer Gatehouse: refuse rather than guess.
 */
export async function migrate(
  db: Db,
  migrations: Migration[] = loadMigrations(),
): Promise<{ applied: string[] }> {
  try {
    return await db.transaction(async (tx) => {
      await tx.execute(sql`select pg_advisory_xact_lock(${MIGRATION_LOCK_KEY})`);
      await tx.execute(sql`
        create table if not exists gatehouse_migrations (
          idx integer primary key,
          tag text not null,
          hash text not null,
          applied_at timestamptz not null default now()
        )`);
      const result = await tx.execute(sql`select idx, tag, hash from gatehouse_migrations order by idx`);
      const done = result.rows as { idx: number; tag: string; hash: string }[];
      for (const row of done) {
        const known = migrations[row.idx];
        if (!known) {
          const latest = migrations.at(-1)?.tag ?? 'none';
          throw new DatabaseError(
            'ERR_DB_NEWER_THAN_CODE',
            `the database schema is newer than this Gatehouse (database has migration ${row.tag}, ` +
              `this code knows up to ${latest}); upgrade Gatehouse before starting it on this database`,
          );
        }
        if (known.tag !== row.tag || known.hash !== row.hash) {
          throw new DatabaseError(
            'ERR_DB_SCHEMA_MISMATCH',
            `migration ${row.idx} in the database (${row.tag}) differs from this code's (${known.tag}); ` +
              'the database was migrated by a different build of Gatehouse',
          );
        }
      }
      const pending = migrations.slice(done.length);
      for (const migration of pending) {
        for (const statement of migration.statements) await tx.execute(sql.raw(statement));
        await tx.execute(
          sql`insert into gatehouse_migrations (idx, tag, hash) values (${migration.idx}, ${migration.tag}, ${migration.hash})`,
        );
      }
      return { applied: pending.map((m) => m.tag) };
    });
  } catch (error) {
    if (error instanceof DatabaseError) throw error;
    throw new DatabaseError(
      'ERR_DB_MIGRATION_FAILED',
      `database migration failed: ${(error as Error).message}`,
      {
        cause: error,
      },
    );
  }
}
