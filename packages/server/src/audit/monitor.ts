import type { Problem, VerifiedPosition } from './types.ts';
import type { WitnessReader } from './witness.ts';

export const REPORT_TYP = 'gatehouse-audit-verification+jwt';

/** What a signed verification report says (the payload of its JWS). */
export interface ReportPayload {
  v: 1;
  at: string;
  ok: boolean;
  /** Walked everything, rather than what changed since `from`. */
  full: boolean;
  /** The report this one continued from (incremental verification). */
  from: { at: string; checkpoint: number | null } | null;
  /** When the log was last walked in full (this report, or one it continued from). */
  fullAt: string;
  /** Where it ended: the covered range is from `from` (or the genesis) up to here. */
  position: VerifiedPosition;
  events: number;
  covered: number;
  checkpoints: number;
  problems: Problem[];
  problemCount: number;
  /** The writer (process) that ran it. */
  by: string;
}

export interface AuditAlarm {
  at: string;
  /** 'verification': the log does not verify; 'witness': a witness cannot be written. */
  cause: 'verification' | 'witness';
  problems: Problem[];
  problemCount: number;
  detail: string;
}

/**
 * This process's view of the continuous verification: the last report it produced, where
 * the next one continues from, the counters the metrics show, and who hears of an alarm.
 */
export class AuditMonitor {
  last?: ReportPayload;
  /** The position of the last report that verified: the next run continues from it. */
  position?: VerifiedPosition & { fullAt: string };
  readonly counters = { verifications: 0, failures: 0, witnessFailures: 0, alarms: 0 };
  /** Reads the witness file from where the previous run stopped (a full run starts it anew). */
  witnessReader?: WitnessReader;
  readonly #listeners = new Set<(alarm: AuditAlarm) => void | Promise<void>>();
  #witnessFailing = false;

  /** Registers a listener for alarms (notifications); returns the unsubscribe function. */
  onAlarm(listener: (alarm: AuditAlarm) => void | Promise<void>): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  async raise(alarm: AuditAlarm): Promise<void> {
    this.counters.alarms++;
    for (const listener of this.#listeners) {
      try {
        await listener(alarm);
      } catch {
        // One listener's failure must not keep the alarm from the others.
      }
    }
  }

  /** A witness write failed: counted; an alarm is raised once per outage, not per entry. */
  witnessFailed(failure: { name: string; error: string }): void {
    this.counters.witnessFailures++;
    if (this.#witnessFailing) return;
    this.#witnessFailing = true;
    void this.raise({
      at: new Date().toISOString(),
      cause: 'witness',
      problems: [],
      problemCount: 0,
      detail: `audit witness ${failure.name} cannot be written: ${failure.error}`,
    });
  }

  witnessRecovered(): void {
    this.#witnessFailing = false;
  }
}
