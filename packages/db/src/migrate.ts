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
      // Only when missing: the application role (which may not create tables) checks the
      // record of an up-to-date database without touching the schema.
      const present = await tx.execute(
        sql`select to_regclass('gatehouse_migrations') is not null as present`,
      );
      if (!(present.rows[0] as { present: boolean } | undefined)?.present)
        await tx.execute(sql`
        create table if not exists gatehouse_migrations (
          idx integer primary key,
          tag text not null,
          hash text not null,
          applied_at timestamptz not null default now()
        )`);
      const result = await tx.execute(sql`select idx, tag, hash from gatehouse_migrations order by idx`);
      const done = result.rows as { idx: number; tag: string; hash: string }[];
      // By idx, not by position: a journal may have a gap while migrations written in parallel
      // land (0007 before 0006), and the one that lands later must still be applied.
      for (const row of done) {
        const known = migrations.find((m) => m.idx === row.idx);
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
      const applied = new Set(done.map((row) => row.idx));
      const pending = migrations.filter((m) => !applied.has(m.idx));
      for (const migration of pending) {
        for (const statement of migration.statements) await tx.execute(sql.raw(statement));
        await tx.execute(
          sql`insert into gatehouse_migrations (idx, tag, hash) values (${migration.idx}, ${migration.tag}, ${migration.hash})`,
        );
      }
      // The owner and application roles (0006) cover every table, including those just added.
      if (pending.length > 0) await applyRoles(tx as unknown as Db);
      return { applied: pending.map((m) => m.tag) };
    });
  } catch (error) {
    if (error instanceof DatabaseError) throw error;
    const refused = (error as { cause?: { code?: string } }).cause?.code === '42501';
    throw new DatabaseError(
      'ERR_DB_MIGRATION_FAILED',
      `database migration failed: ${(error as Error).message}` +
        (refused
          ? '; this database user may not change the schema: migrate as the owner (GATEHOUSE_MIGRATION_DATABASE_URL, see docs/operations.md)'
          : ''),
      {
        cause: error,
      },
    );
  }
}

/** Grants of the owner and application roles (migration 0006); nothing before 0006 or on PGlite. */
async function applyRoles(tx: Db): Promise<void> {
  const found = await tx.execute(
    sql`select to_regprocedure('gatehouse_apply_roles()') is not null as present`,
  );
  if ((found.rows[0] as { present: boolean } | undefined)?.present)
    await tx.execute(sql`select gatehouse_apply_roles()`);
}
