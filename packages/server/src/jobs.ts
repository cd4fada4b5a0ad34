import { startBaselineJob } from './anomaly/job.ts';
import { escalateRequest, sweepEscalations } from './approvals/escalation.ts';
import { routeToApprovers } from './approvals/routing.ts';
import { createCheckpoint } from './audit/checkpoints.ts';
import { startAuditJobs } from './audit/jobs.ts';
import { startInsights } from './insights/job.ts';
import { expireRequest, rescheduleAll, sweepOverdue } from './lifecycle/expiry.ts';
import type { JobHandlers } from './platform/jobs.ts';
import type { Runtime } from './platform/runtime.ts';
import { purgeRecordings } from './recordings/service.ts';
import { slackJobHandlers, startSlackSweeps, subscribeSlack } from './slack/sweep.ts';
import { startWebhookSweeps, subscribeWebhooks, webhookJobHandlers } from './webhooks/sweep.ts';
import { startWhitelistHits } from './whitelist/hits.ts';

export const SWEEP_INTERVAL_MS = 15_000;
export const RETENTION_INTERVAL_MS = 3_600_000;

export function jobHandlers(rt: Runtime): JobHandlers {
  return {
    'request.expire': async ({ requestId }) => {
      await expireRequest(rt, requestId);
    },
    'request.notify': async ({ requestId }) => {
      await routeToApprovers(rt, requestId);
    },
    'request.escalate': async ({ requestId }) => {
      await escalateRequest(rt, requestId);
    },
    ...webhookJobHandlers(rt),
    ...slackJobHandlers(rt),
  };
}

/** Expires what is overdue and escalates what is due; either job may have been lost. */
export async function sweep(rt: Runtime): Promise<void> {
  await sweepOverdue(rt);
  await sweepEscalations(rt);
}

/**
 * Runs the job handlers in this process. On start it expires whatever passed its deadline
 * while no worker ran, escalates what passed 2/3 of its lifetime, and re-creates the jobs of
 * every pending request; a periodic sweep then covers any job that was lost.
 *
 * `periodic: false` runs only the handlers: the other workers of one `gatehouse start
 * --workers N` run the jobs they enqueue themselves, and leave the sweeps, checkpoints and
 * retention to worker 0.
 */
export async function startJobProcessing(
  rt: Runtime,
  options: { periodic: boolean } = { periodic: true },
): Promise<() => void> {
  await rt.jobs.process(jobHandlers(rt));
  // Webhooks and Slack hear of request changes in every job process; the sweeps run in one.
  const subscriptions = [subscribeWebhooks(rt), subscribeSlack(rt)];
  const unsubscribe = () => {
    for (const stop of subscriptions) stop();
  };
  if (!options.periodic) return unsubscribe;
  await sweep(rt);
  await rescheduleAll(rt);
  await purgeRecordings(rt, rt.config.recordingRetentionDays);
  const stopSweeps = [await startWebhookSweeps(rt), startSlackSweeps(rt)];
  const sweeper = setInterval(() => void sweep(rt).catch(() => {}), SWEEP_INTERVAL_MS);
  const checkpoint = setInterval(
    () => void createCheckpoint(rt.database.db, rt.keys, { witness: rt.audit.witness }).catch(() => {}),
    rt.config.checkpointSeconds * 1000,
  );
  const retention = setInterval(
    () => void purgeRecordings(rt, rt.config.recordingRetentionDays).catch(() => {}),
    RETENTION_INTERVAL_MS,
  );
  for (const timer of [sweeper, checkpoint, retention]) timer.unref();
  const stopInsights = startInsights(rt);
  const stopBaselines = startBaselineJob(rt);
  const stopWhitelistHits = startWhitelistHits(rt);
  const stopAudit = startAuditJobs(rt);
  return () => {
    stopAudit();
    for (const timer of [sweeper, checkpoint, retention]) clearInterval(timer);
    stopInsights();
    stopBaselines();
    stopWhitelistHits();
    for (const stop of stopSweeps) stop();
    unsubscribe();
  };
}
