import { VerdictError, type VerdictErrorCode } from '@gatehouse/verdict';

export type GatehouseErrorCode =
  /** The overall deadline passed before a usable verdict arrived. */
  | 'ERR_TIMEOUT'
  /** The caller's AbortSignal fired. */
  | 'ERR_ABORTED'
  /** The server could not be reached, or the connection broke. */
  | 'ERR_NETWORK'
  /** The server answered with a 5xx. */
  | 'ERR_SERVER'
  /** The server refused the credentials (401), also after one renewal. */
  | 'ERR_UNAUTHORIZED'
  /** The server refused the agent (403), e.g. a revoked agent. */
  | 'ERR_FORBIDDEN'
  /** The server refused the request (another 4xx). */
  | 'ERR_REQUEST'
  /** The server's answer does not follow the API contract. */
  | 'ERR_PROTOCOL'
  /** The verdict was already used, here or on the server. */
  | 'ERR_VERDICT_REPLAYED'
  /** The server's status and the signed decision disagree. */
  | 'ERR_VERDICT_STATUS_MISMATCH'
  /** The request was not allowed (denied, rejected, expired, cancelled): nothing ran. */
  | 'ERR_NOT_ALLOWED'
  /** The caller passed something the SDK cannot submit or run. */
  | 'ERR_INVALID_ARGUMENT'
  /** The client was closed. */
  | 'ERR_CLOSED'
  /** Anything unexpected; still a refusal. */
  | 'ERR_INTERNAL'
  | VerdictErrorCode;

/** Every failure the SDK reports. Each one means: the command does not run. */
export class GatehouseError extends Error {
  override readonly name = 'GatehouseError';
  readonly code: GatehouseErrorCode;
  /** HTTP status, when the failure came from an HTTP answer. */
  readonly status: number | undefined;
  /** The server's own error code (`{"error": {"code"}}`), when it sent one. */
  readonly serverCode: string | undefined;

  constructor(
    code: GatehouseErrorCode,
    message: string,
    options: { status?: number; serverCode?: string; cause?: unknown } = {},
  ) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
    this.serverCode = options.serverCode;
  }
}

/** Normalises anything thrown into a GatehouseError, so every refusal carries a code. */
export function toGatehouseError(error: unknown): GatehouseError {
  if (error instanceof GatehouseError) return error;
  if (error instanceof VerdictError) return new GatehouseError(error.code, error.message, { cause: error });
  const message = safeMessage(error);
  return new GatehouseError('ERR_INTERNAL', `unexpected failure: ${message}`, { cause: error });
}

function safeMessage(error: unknown): string {
  try {
    return error instanceof Error ? error.message : String(error);
  } catch {
    return 'unprintable error';
  }
}
