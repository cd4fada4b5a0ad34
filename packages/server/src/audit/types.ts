import type { AuditProblemKind } from '@gatehouse/contract';
import type { ChainHead } from './chain.ts';

// The shapes a verification produces, apart from the code that produces them: the monitor,
// the writer and the reports share them without pulling in the verifier.

export interface Problem {
  kind: AuditProblemKind;
  /** Row id of the event, when the problem is at an event. */
  id?: number;
  chain?: string;
  seq?: number;
  /** Checkpoint number, for checkpoint problems. */
  checkpoint?: number;
  /** Since when what is missing was known to exist (ISO 8601): the checkpoint or witness entry that saw it. */
  since?: string;
  /** The witness that said so, for problems found by comparing with one. */
  witness?: string;
  detail: string;
}

/** A witness as a report shows it. */
export interface WitnessSummary {
  name: string;
  status: 'ok' | 'broken' | 'unavailable' | 'absent';
  entries: number;
  lastAt?: string;
  /** The newest checkpoint it recorded. */
  checkpoint?: number;
}

export interface VerifyReport {
  ok: boolean;
  events: number;
  chains: number;
  checkpoints: number;
  /** Events at or below a signed checkpoint head; the rest are linked but not yet vouched for. */
  covered: number;
  problems: Problem[];
  /** The newest checkpoint that verified: what an auditor records to pass as `--expect-head` later. */
  head?: { checkpoint: number; hash: string };
  /** The witnesses the log was compared with. */
  witnesses?: WitnessSummary[];
  /** For an incremental verification: the report it continued from. */
  from?: { at: string; checkpoint: number | null };
}

/** Where an earlier verification ended: the newest checkpoint and every lane head it vouched for. */
export interface VerifiedPosition {
  at: string;
  checkpoint: { seq: number; hash: string } | null;
  lanes: ChainHead[];
}
