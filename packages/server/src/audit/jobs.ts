import type { Runtime } from '../platform/runtime.ts';
import { emitEvent } from '../webhooks/events.ts';
import { monitorOf, runVerification } from './continuous.ts';

/** The first verification of a process comes at most this long after its start. */
const FIRST_VERIFICATION_MS = 60_000;

/**
 * The continuous verification, in the process that runs the periodic jobs (next to the
 * checkpoints): every GATEHOUSE_AUDIT_VERIFY_SECONDS, the first within a minute of the start; its
 * alarms also go out as `audit.verify_failed` webhooks. Returns the function that stops it.
 */
export function startAuditJobs(rt: Runtime): () => void {
  let running = false;
  const verify = () => {
    if (running) return;
    running = true;
    void runVerification(rt)
      .catch((error) => rt.log.error({ err: error }, 'audit verification could not run'))
      .finally(() => {
        running = false;
      });
  };
  const first = setTimeout(verify, Math.min(FIRST_VERIFICATION_MS, rt.config.audit.verifySeconds * 1000));
  const verifier = setInterval(verify, rt.config.audit.verifySeconds * 1000);
  for (const timer of [first, verifier]) timer.unref();
  const unsubscribe = monitorOf(rt).onAlarm(async (alarm) => {
    await emitEvent(rt, 'audit.verify_failed', {
      key: `audit.verify_failed:${alarm.cause}:${alarm.at}`,
      data: {
        cause: alarm.cause,
        detail: alarm.detail,
        problems: alarm.problems.slice(0, 5).map(({ kind, chain, seq, checkpoint, since, detail }) => ({
          kind,
          chain,
          seq,
          checkpoint,
          since,
          detail,
        })),
        problemCount: alarm.problemCount,
      },
    });
  });
  return () => {
    clearInterval(verifier);
    clearTimeout(first);
    unsubscribe();
  };
}
