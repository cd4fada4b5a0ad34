import type { RequestContext, RequestKind, RequestStatus, Tier } from '@gatehouse/contract';
import type { VerdictClaims } from '@gatehouse/verdict';
import type { GatehouseErrorCode } from './errors.ts';

export type { FinalStatus, RequestContext, RequestKind, RequestStatus, Tier } from '@gatehouse/contract';

export interface AuthorizeInput {
  kind: RequestKind;
  command: string;
  /** SQL dialect; the server defaults to `postgresql`. Ignored for shell. */
  dialect?: string;
  context?: RequestContext;
  /** Cancels the wait; a cancelled authorization is a refusal. */
  signal?: AbortSignal;
  /** Overrides the client's overall timeout for this call. */
  timeoutMs?: number;
  /**
   * Called once when the request goes to people (status `pending`), before the wait starts,
   * so a caller can say who must approve. Anything it throws is ignored.
   */
  onPending?: (pending: PendingRequest) => void;
  /**
   * Wait for this earlier request instead of submitting a new one (e.g. a hook that gave up
   * waiting and is called again for the same command). The verdict is still checked against
   * `kind`/`command`/`context` as passed here, so a request for anything else is refused.
   */
  resumeRequestId?: string;
  /**
   * SQL only: a registered connection the gateway runs the statement on (`client.sql()`).
   * The verdict then covers the statement on this connection, and is used by the gateway.
   */
  connection?: string;
}

/** What is known about a request that waits for approvers. */
export interface PendingRequest {
  readonly requestId: string;
  readonly tier?: Tier;
  readonly score?: number;
  readonly reasons: readonly Reason[];
  /** How many distinct people must approve. */
  readonly requiredApprovals?: number;
  /** When the request expires unless decided. */
  readonly deadline?: Date;
}

/** One explanation from the risk engine, as the server sent it. */
export interface Reason {
  rule: string;
  category?: string;
  weight?: number;
  detail?: string;
  [key: string]: unknown;
}

export interface AuthorizationError {
  code: GatehouseErrorCode;
  message: string;
}

/**
 * The outcome of `authorize()`. `allowed` is true only when a verdict for exactly this
 * command was verified, says `allow`, had not expired and was consumed on the server.
 * Whenever something went wrong, `status` is `'error'` (never a hopeful server status)
 * and `error` says what.
 */
export interface AuthorizationDecision {
  readonly allowed: boolean;
  readonly status: RequestStatus | 'error';
  readonly requestId?: string;
  readonly verdict?: string;
  readonly claims?: VerdictClaims;
  readonly reasons: readonly Reason[];
  readonly tier?: Tier;
  readonly score?: number;
  readonly error?: AuthorizationError;
}

export interface Logger {
  debug?(message: string, fields?: Record<string, unknown>): void;
  info?(message: string, fields?: Record<string, unknown>): void;
  warn?(message: string, fields?: Record<string, unknown>): void;
  error?(message: string, fields?: Record<string, unknown>): void;
}
