export type DatabaseErrorCode =
  | 'ERR_DB_UNREACHABLE'
  | 'ERR_DB_NEWER_THAN_CODE'
  | 'ERR_DB_SCHEMA_MISMATCH'
  | 'ERR_DB_MIGRATION_FAILED'
  /** The connection cannot take the role it was told to work as (missing, or not a member). */
  | 'ERR_DB_ROLE'
  | 'ERR_DATA_DIR_LOCKED'
  /** The embedded database's directory is read-only, not ours, or on a full disk. */
  | 'ERR_DATA_DIR_UNWRITABLE'
  /** The database cannot store what it was asked to: disk full, out of memory, an I/O error. */
  | 'ERR_DB_STORAGE'
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

/** Socket errors: the database server cannot be reached, or the connection to it broke. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ECONNABORTED',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENETDOWN',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

/**
 * What node-postgres says when a connection dies or cannot be made (it raises these as plain
 * Errors without a code). Matched by prefix: they are the driver's own fixed texts.
 */
const DRIVER_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'Query read timeout',
];

/**
 * SQLSTATEs of a server that is there but not serving: connection exceptions (class 08),
 * shutting down or starting up (57P01–57P03), out of connection slots (53300).
 */
function isUnavailableState(state: string): boolean {
  return state.startsWith('08') || ['57P01', '57P02', '57P03', '53300'].includes(state);
}

/**
 * SQLSTATEs of a server that cannot store more: disk full (53100), out of memory (53200), an
 * I/O error (58030). The statement failed whole; it may succeed once an operator made room.
 */
const STORAGE_STATES = new Set(['53100', '53200', '58030']);

/** True when the error says the database is unreachable now, not that the call was wrong. */
export function isConnectionFailure(error: unknown): boolean {
  if (error instanceof AggregateError) return error.errors.some(isConnectionFailure);
  if (!(error instanceof Error)) return false;
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string' && (SOCKET_CODES.has(code) || (code.length === 5 && isUnavailableState(code))))
    return true;
  return DRIVER_MESSAGES.some((text) => error.message.startsWith(text));
}

/**
 * The DatabaseError behind an error, if any: drizzle wraps what a driver throws in its own
 * error. A lost or refused connection anywhere in the chain is ERR_DB_UNREACHABLE.
 */
export function databaseErrorOf(error: unknown): DatabaseError | undefined {
  for (let cause = error, depth = 0; cause instanceof Error && depth < 5; depth++) {
    if (cause instanceof DatabaseError) return cause;
    if (isConnectionFailure(cause)) {
      return new DatabaseError('ERR_DB_UNREACHABLE', 'the database connection failed or was refused', {
        cause,
      });
    }
    const state = (cause as { code?: unknown }).code;
    if (typeof state === 'string' && STORAGE_STATES.has(state)) {
      return new DatabaseError('ERR_DB_STORAGE', `the database cannot store data (SQLSTATE ${state})`, {
        cause,
      });
    }
    cause = cause.cause;
  }
  return undefined;
}

/** Longest text a failure summary carries in any one field. */
export const SUMMARY_TEXT_LIMIT = 200;

/** What a log may say about a failure: its kind and where it happened, never the data involved. */
export interface FailureSummary {
  /** The error's class (`DrizzleQueryError`, `TypeError`, …). */
  type: string;
  /** The message, shortened, with quoted values blanked; for a failed query the driver's own. */
  message: string;
  /** A node error code or the PostgreSQL SQLSTATE. */
  code?: string;
  /** For PostgreSQL errors, what the server names (never `detail` or `where`, which quote rows). */
  constraint?: string;
  table?: string;
  column?: string;
  /** The first frames of the stack, without the message line. */
  stack?: string[];
}

function bounded(text: string): string {
  return text.length > SUMMARY_TEXT_LIMIT ? `${text.slice(0, SUMMARY_TEXT_LIMIT)}…` : text;
}

/**
 * A bounded description of an error for the log. A failed query's error (drizzle's) carries
 * the statement and every parameter, which are the request's own text (commands,
 * justifications, recordings): it is described by its cause, the driver's error, with
 * PostgreSQL's SQLSTATE and constraint; quoted text in any message (`"value"`) is blanked,
 * since the server's messages quote the offending input.
 */
export function summarizeFailure(error: unknown): FailureSummary {
  if (!(error instanceof Error))
    return { type: typeof error, message: 'a thrown value that is not an Error' };
  let shown: Error = error;
  for (let depth = 0; depth < 5 && isFailedQuery(shown) && shown.cause instanceof Error; depth++)
    shown = shown.cause;
  const fields = shown as Error & Record<string, unknown>;
  const text = (key: string) =>
    typeof fields[key] === 'string' ? bounded(fields[key] as string) : undefined;
  const name = (e: Error) =>
    e.constructor?.name && e.constructor.name !== 'Error' ? e.constructor.name : e.name;
  const summary: FailureSummary = {
    type: shown === error ? name(error) : `${name(error)} < ${name(shown)}`,
    message: isFailedQuery(shown) ? 'failed query' : bounded(blankQuoted(shown.message)),
  };
  const code = text('code');
  if (code) summary.code = code;
  for (const key of ['constraint', 'table', 'column'] as const) {
    const value = text(key);
    if (value) summary[key] = value;
  }
  const frames = (error.stack ?? '')
    .split('\n')
    .filter((line) => /^\s+at /.test(line))
    .slice(0, 8)
    .map((line) => bounded(line.trim()));
  if (frames.length > 0) summary.stack = frames;
  return summary;
}

/** drizzle's DrizzleQueryError: `Failed query: <sql>\nparams: <values>`, with the driver's error as cause. */
function isFailedQuery(error: Error): boolean {
  return 'query' in error && 'params' in error;
}

function blankQuoted(message: string): string {
  return message.replace(/"[^"]*"|'[^']*'/g, (quoted) => `${quoted[0]}…${quoted[0]}`);
}
