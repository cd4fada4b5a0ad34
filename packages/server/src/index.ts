// What openAuditAccess throws when the embedded database is held by a running server.
export { DatabaseError, type DatabaseErrorCode } from '@gatehouse/db';
export { type AuditAccess, openAuditAccess } from './audit/access.ts';
export {
  type AuditEventInput,
  type ChainedEvent,
  eventColumns,
  findChainProblem,
  GENESIS_HASH,
} from './audit/chain.ts';
export { type CheckpointPayload, createCheckpoint } from './audit/checkpoints.ts';
export { type ExportFilter, type ExportLine, exportLog, verifyDatabase, verifyExport } from './audit/log.ts';
export { LogVerifier, type Problem, type VerifyReport } from './audit/verify.ts';
// The group-commit writer: bench/ measures the chain's cost on it and builds its baselines around it.
export { AuditWriter, type InsertOnlyChange } from './audit/writer.ts';
export { authenticate } from './auth/authenticate.ts';
export type { Principal, Role } from './auth/principal.ts';
export { type Config, type ConfigEntry, ConfigError, describeConfig, loadConfig } from './config.ts';
export { withConfigTable } from './config-docs.ts';
export { GatehouseError } from './errors.ts';
export { buildHttpApp, type HttpOptions } from './http/app.ts';
export { exportIncident, type IncidentFilter } from './incidents/export.ts';
export { jobHandlers, startJobProcessing } from './jobs.ts';
export { evaluateQuorum, ineligibility, requiredApprovals } from './lifecycle/quorum.ts';
export { createRuntime, type Runtime } from './runtime.ts';
export {
  closeOnSignals,
  type RunningGatehouse,
  requireDistributed,
  type ServeOptions,
  serve,
} from './serve.ts';
