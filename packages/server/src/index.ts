// What openAuditAccess throws when the embedded database is held by a running server.
export { DatabaseError, type DatabaseErrorCode } from '@gatehouse/db';
// Anomaly detection: bench/anomaly.ts times the hot-path check and the job's fold.
export {
  anomalySettings,
  BaselineFold,
  compileBaseline,
  featuresOf,
  findAnomalies,
  type StoredScope,
  withAnomalies,
} from './anomaly/model.ts';
export { MinuteCounter } from './anomaly/rate.ts';
export { foldNewRequests, rebuildBaselines } from './anomaly/store.ts';
export { type AuditAccess, openAuditAccess } from './audit/access.ts';
export {
  type AuditEventInput,
  type ChainedEvent,
  eventColumns,
  findChainProblem,
  GENESIS_HASH,
} from './audit/chain.ts';
export { type CheckpointPayload, createCheckpoint } from './audit/checkpoints.ts';
export {
  auditMetrics,
  auditStatus,
  lastVerifiedReport,
  runVerification,
  verifyAudit,
} from './audit/continuous.ts';
export {
  type DatabaseReport,
  type ExportFilter,
  type ExportLine,
  exportLog,
  listChains,
  type VerifyOptions,
  verifyDatabase,
  verifyExport,
} from './audit/log.ts';
export { type AuditAlarm, AuditMonitor, type ReportPayload } from './audit/monitor.ts';
export { configuredWitnesses } from './audit/service.ts';
export type { VerifiedPosition } from './audit/types.ts';
export { LogVerifier, type Problem, type VerifyReport } from './audit/verify.ts';
export {
  FileWitness,
  readWitness,
  WebhookSink,
  type WitnessEntry,
  Witnesses,
  type WitnessState,
} from './audit/witness.ts';
export { parseExpectedHead } from './audit/witness-check.ts';
// The group-commit writer: bench/ measures the chain's cost on it and builds its baselines around it.
export { AuditWriter, type InsertOnlyChange } from './audit/writer.ts';
export { authenticate } from './auth/authenticate.ts';
export type { Principal, Role } from './auth/principal.ts';
// Policy backtests: bench/backtest.ts times the re-scoring over a large history.
export { prepareBacktest, rescoreHistory } from './backtest/service.ts';
export { ClusterStartError, type RunningCluster, startCluster } from './cluster/primary.ts';
export { joinCluster, workerIndex } from './cluster/worker.ts';
export { type Config, type ConfigEntry, ConfigError, describeConfig, loadConfig } from './config.ts';
export { withConfigTable } from './config-docs.ts';
export { GatehouseError } from './errors.ts';
// Just-in-time grants: the broker closes sessions opened under a grant when it ends.
export { grantRegistry, onGrantEnded } from './grants/registry.ts';
export { compilePattern, coveringGrant, grantOf, type LiveGrant, LiveGrants } from './grants/scope.ts';
export { buildHttpApp, type HttpOptions } from './http/app.ts';
export { exportIncident, type IncidentFilter } from './incidents/export.ts';
// The security console's rollups and reads: bench/insights.ts times them over a large history.
export { autoApprovalSeries, mixBuckets, summary as insightsSummary } from './insights/queries.ts';
export { rebuildRollups, refreshRollups } from './insights/rollup.ts';
export { driftCounts } from './insights/service.ts';
export { jobHandlers, startJobProcessing } from './jobs.ts';
export { evaluateQuorum, ineligibility, requiredApprovals } from './lifecycle/quorum.ts';
export { createRuntime, type Runtime } from './runtime.ts';
export {
  closeOnSignals,
  type RunningGatehouse,
  requireDistributed,
  type ServeOptions,
  SHUTDOWN_DEADLINE_MS,
  serve,
} from './serve.ts';
// Whitelist governance: tests and bench/whitelist-review.ts run the hits round and read the entries.
export { governance as whitelistGovernance } from './whitelist/governance.ts';
export { refreshWhitelistHits } from './whitelist/hits.ts';
export { WHITELIST_RELOAD_MS } from './whitelist/loader.ts';
