export { insertRows, type TableRows } from './bulk-insert.ts';
export {
  type DatabaseHandle,
  type Db,
  type OpenDatabaseOptions,
  openDatabase,
  redact,
  type Schema,
} from './connect.ts';
export type { GateOptions, Holder, StallReport } from './embedded-gate.ts';
export {
  DatabaseError,
  type DatabaseErrorCode,
  databaseErrorOf,
  type FailureSummary,
  isConnectionFailure,
  summarizeFailure,
} from './errors.ts';
export { loadMigrations, type Migration, migrate } from './migrate.ts';
export { APP_ROLE, OWNER_ROLE, type RoleInEffect, roleInEffect } from './roles.ts';
export type { RequestRow } from './schema.ts';
export * as schema from './schema.ts';
