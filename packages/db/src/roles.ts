import { sql } from 'drizzle-orm';
import type { Db } from './connect.ts';

/** The role that owns the schema (migration 0006): migrations run as it or as a superuser. */
export const OWNER_ROLE = 'gatehouse_owner';
/** The role the server works as: it may insert audit rows, never change or remove them. */
export const APP_ROLE = 'gatehouse_app';

export interface RoleInEffect {
  /** The role queries are checked against (`current_user`). */
  role: string;
  /** The login (`session_user`); differs from `role` after SET ROLE. */
  login: string;
  superuser: boolean;
  /** Whether this role could rewrite the audit log: UPDATE, DELETE or TRUNCATE on it. */
  canRewriteAudit: boolean;
}

/** What the connection works as, and whether that role could rewrite the evidence. */
export async function roleInEffect(db: Db): Promise<RoleInEffect> {
  const result = await db.execute(sql`
    select current_user as role, session_user as login,
      coalesce((select rolsuper from pg_roles where rolname = current_user), false) as superuser,
      has_table_privilege('audit_events', 'UPDATE, DELETE, TRUNCATE')
        or pg_has_role((select tableowner from pg_tables where tablename = 'audit_events' and schemaname = current_schema()), 'MEMBER')
        as "canRewriteAudit"`);
  const row = result.rows[0] as unknown as RoleInEffect;
  return { ...row, canRewriteAudit: row.superuser || row.canRewriteAudit };
}
