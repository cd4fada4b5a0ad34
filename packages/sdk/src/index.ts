export { type BackoffOptions, backoffDelay } from '@gatehouse/contract';
export type { VerdictClaims } from '@gatehouse/verdict';
export {
  authorizeToolCall,
  GatehouseToolRefusedError,
  type GuardOptions,
  refusalMessage,
  type ToolRequest,
} from './adapters/guard.ts';
export {
  type ExecutionReport,
  GatehouseClient,
  type GatehouseClientOptions,
  type RunOptions,
  type RunResult,
  type SqlOptions,
} from './client.ts';
export { GatehouseError, type GatehouseErrorCode } from './errors.ts';
export type { GrantDecision, GrantRequestInput } from './grants.ts';
export { isAllowStatus, isFinalStatus } from './protocol.ts';
export {
  DEFAULT_MAX_RECORD_BYTES,
  type OutputChunk,
  OutputRecorder,
  type RecordedOutput,
} from './recorder.ts';
export { SqlRefusedError, type SqlResult } from './sql.ts';
export type {
  AuthorizationDecision,
  AuthorizationError,
  AuthorizeInput,
  FinalStatus,
  Logger,
  PendingRequest,
  Reason,
  RequestContext,
  RequestKind,
  RequestStatus,
  Tier,
} from './types.ts';
