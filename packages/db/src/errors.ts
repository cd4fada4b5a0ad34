export type DatabaseErrorCode =
  | 'ERR_DB_UNREACHABLE'
  | 'ERR_DB_NEWER_THAN_CODE'
  | 'ERR_DB_SCHEMA_MISMATCH'
  | 'ERR_DB_MIGRATION_FAILED'
  | 'ERR_DATA_DIR_LOCKED'
  | 'ERR_DB_NOT_FOUND';

export class DatabaseError extends Error {
  override readonly name = 'DatabaseError';
  /**
   * For ERR_DATA_DIR_LOCKED, the process holding the data directory when it is known: a
   * command that finds the directory held can then turn to that running server instead.
   */
  readonly holderPid?: number;
  constructor(
    readonly code: DatabaseErrorCode,
    message: string,
    options?: { cause?: unknown; holderPid?: number },
  ) {
    super(message, options);
    this.holderPid = options?.holderPid;
  }
}
