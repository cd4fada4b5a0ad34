export type DatabaseErrorCode =
  | 'ERR_DB_UNREACHABLE'
  | 'ERR_DB_NEWER_THAN_CODE'
  | 'ERR_DB_SCHEMA_MISMATCH'
  | 'ERR_DB_MIGRATION_FAILED'
  | 'ERR_DATA_DIR_LOCKED'
  | 'ERR_DB_NOT_FOUND'
  /** The embedded database's one connection was not free in time, or its queue is full. */
  | 'ERR_DB_BUSY'
  | 'ERR_DB_CLOSED'
  /** A call on the outer handle from inside a transaction: a bug, refused before it can wedge. */
  | 'ERR_DB_REENTRANT';

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

/** The DatabaseError behind an error, if any: drizzle wraps what a driver throws in its own error. */
export function databaseErrorOf(error: unknown): DatabaseError | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause instanceof DatabaseError) return cause;
    cause = cause.cause;
  }
  return undefined;
}
