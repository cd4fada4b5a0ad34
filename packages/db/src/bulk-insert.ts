import { getTableColumns, getTableName, type SQL, sql } from 'drizzle-orm';
import type { PgTable } from 'drizzle-orm/pg-core';

export interface TableRows {
  table: PgTable;
  /** Rows keyed by the schema's property names (as drizzle's `$inferInsert`). */
  rows: readonly object[];
}

/**
 * One statement that inserts rows into several tables: each table's rows travel as a single
 * JSON parameter expanded by `jsonb_populate_recordset`, and the tables are chained with
 * data-modifying CTEs. A single statement is atomic without BEGIN/COMMIT, and building it
 * costs one JSON.stringify per table instead of per-value query building — this is the
 * group-commit path, where that difference is most of the cost.
 */
export function insertRows(groups: readonly TableRows[]): SQL {
  const parts = groups.filter((g) => g.rows.length > 0).map(insertSelect);
  if (parts.length === 0) throw new Error('insertRows needs at least one row');
  const last = parts.pop()!;
  if (parts.length === 0) return last;
  const ctes = sql.join(
    parts.map((part, i) => sql`${sql.identifier(`insert_${i}`)} as (${part})`),
    sql`, `,
  );
  return sql`with ${ctes} ${last}`;
}

function insertSelect({ table, rows: objects }: TableRows): SQL {
  const rows = objects as readonly Record<string, unknown>[];
  const columns = getTableColumns(table);
  const keys = Object.keys(rows[0]!).filter((key) => key in columns);
  const names = sql.join(
    keys.map((key) => sql.identifier(columns[key]!.name)),
    sql`, `,
  );
  const json = JSON.stringify(
    rows.map((row) => Object.fromEntries(keys.map((key) => [columns[key]!.name, row[key] ?? null]))),
  );
  const name = sql.identifier(getTableName(table));
  return sql`insert into ${name} (${names}) select ${names} from jsonb_populate_recordset(null::${name}, ${json}::jsonb)`;
}
