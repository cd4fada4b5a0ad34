export { insertRows, type TableRows } from './bulk-insert.ts';
export {
  type DatabaseHandle,
  type Db,
  type OpenDatabaseOptions,
  openDatabase,
  redact,
  type Schema,
} from './connect.ts';
export { DatabaseError, type DatabaseErrorCode } from './errors.ts';
export { loadMigrations, type Migration, migrate } from './migrate.ts';
export * as schema from './schema.ts';
export { REQUEST_STATUSES, type RequestStatus } from './schema.ts';
