import type { DatabaseHandle } from '@gatehouse/db';
import type { GatehouseRiskEngine, RiskEngine } from '@gatehouse/risk';
import type { AuditWriter } from '../audit/writer.ts';
import type { AdminToken } from '../auth/admin-token.ts';
import type { RevocationCache } from '../auth/revocations.ts';
import type { Config } from '../config.ts';
import type { KeyRing } from '../keys/keyring.ts';
import type { VerifiedSessionCache } from '../sessions/tokens.ts';
import type { EventBus } from './events.ts';
import type { JobQueue } from './jobs.ts';
import type { Logger } from './log.ts';

/** Everything a route, service or job handler needs, created once per process. */
export interface Runtime {
  config: Config;
  log: Logger;
  database: DatabaseHandle;
  audit: AuditWriter;
  keys: KeyRing;
  bus: EventBus;
  jobs: JobQueue;
  /** The engine that scores requests now: the policy's, plus the whitelist kept in the database. */
  readonly risk: RiskEngine;
  /** The policy's engine alone; whitelist reloads derive `risk` from it. */
  readonly policyEngine: GatehouseRiskEngine;
  /** Swaps the engine `risk` returns; requests already being scored keep the one they read. */
  setRisk(engine: RiskEngine): void;
  revocations: RevocationCache;
  /** Session tokens whose signature this process already checked. */
  sessions: VerifiedSessionCache;
  admin: AdminToken;
  /** Readiness: database and, when used, Redis. Throws with what is down. */
  checkReady(): Promise<void>;
  close(): Promise<void>;
}
