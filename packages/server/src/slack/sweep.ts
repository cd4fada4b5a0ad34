import { sql } from 'drizzle-orm';
import type { JobHandlers } from '../platform/jobs.ts';
import type { Runtime } from '../platform/runtime.ts';
import { onLifecycleEvent, reconcileSlack, syncSlack } from './service.ts';

/** How often a job process looks for pending requests never posted and messages left stale. */
export const SLACK_SWEEP_MS = 10_000;

export function slackJobHandlers(rt: Runtime): Pick<JobHandlers, 'slack.sync'> {
  return { 'slack.sync': ({ requestId }) => syncSlack(rt, requestId) };
}

/** The lifecycle subscriber, in every job process; a no-op while Slack is not configured. */
export function subscribeSlack(rt: Runtime): () => void {
  if (!rt.config.slack) return () => {};
  return rt.bus.subscribe((event) => onLifecycleEvent(rt, event));
}

/** Which message belongs to which request is kept this long after the request ended. */
export const SLACK_MESSAGE_RETENTION_DAYS = 30;

export async function purgeSlackMessages(rt: Runtime, days = SLACK_MESSAGE_RETENTION_DAYS): Promise<void> {
  const cutoff = new Date(Date.now() - days * 86_400_000).toISOString();
  await rt.database.db.execute(sql`
    delete from slack_messages m using requests r
    where r.id = m.request_id and r.status <> 'pending' and m.updated_at < ${cutoff}::timestamptz`);
}

/** The sweep for what a lost job left behind, in the process that runs the periodic work. */
export function startSlackSweeps(rt: Runtime): () => void {
  if (!rt.config.slack) return () => {};
  const timer = setInterval(() => void reconcileSlack(rt).catch(() => {}), SLACK_SWEEP_MS);
  const purge = setInterval(() => void purgeSlackMessages(rt).catch(() => {}), 3_600_000);
  for (const t of [timer, purge]) t.unref();
  void reconcileSlack(rt).catch(() => {});
  return () => {
    clearInterval(timer);
    clearInterval(purge);
  };
}
