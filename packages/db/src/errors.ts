export type DatabaseErrorCode =
  | 'ERR_DB_UNREACHABLE'
  | 'ERR_DB_NEWER_THAN_CODE'
  | 'ERR_DB_SCHEMA_MISMATCH'
  | 'ERR_DB_MIGRATION_FAILED'
  | 'ERR_DATA_DIR_LOCKED';

export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  constructor(
    readonly code: DatabaseErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
