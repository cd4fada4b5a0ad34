import { schema } from '@gatehouse/db';
import { and, arrayContains, eq, isNull, min, sql } from 'drizzle-orm';
import type { JobHandlers } from '../platform/jobs.ts';
import type { Runtime } from '../platform/runtime.ts';
import { deliverJobId, runDeliveryJob } from './delivery.ts';
import { emitRequestEvent, onLifecycleEvent, requestEventKey } from './events.ts';

/** How often a job process looks for deliveries and events that lost their job. */
export const WEBHOOK_SWEEP_MS = 10_000;
/** Announcements older than this are not looked for again (nor are requests before the endpoint). */
const RECONCILE_WINDOW_MS = 24 * 3600 * 1000;
/** The fast path (the lifecycle's announcement) gets this long before the sweep steps in. */
const GRACE_MS = 5_000;
const BATCH = 500;

export function webhookJobHandlers(rt: Runtime): Pick<JobHandlers, 'webhook.emit' | 'webhook.deliver'> {
  return {
    'webhook.emit': ({ type, requestId }) => emitRequestEvent(rt, type, requestId),
    'webhook.deliver': ({ deliveryId }) => runDeliveryJob(rt, deliveryId),
  };
}

/**
 * Hands every open delivery back to the job queue: on start (`all`: also those whose next
 * attempt is still ahead, whose timers lived only in the memory of a process that is gone)
 * and periodically (only those overdue: their job was lost). The job ids deduplicate against
 * jobs that are still queued; the claim makes a duplicate harmless anyway.
 */
export async function resumeDeliveries(rt: Runtime, options: { all: boolean }): Promise<number> {
  const d = schema.webhookDeliveries;
  const now = Date.now();
  const rows = await rt.database.db
    .select({
      id: d.id,
      attempts: d.attempts,
      status: d.status,
      nextAttemptAt: d.nextAttemptAt,
      lockedUntil: d.lockedUntil,
    })
    .from(d)
    .where(
      options.all
        ? sql`${d.status} in ('pending', 'retrying', 'sending')`
        : sql`(${d.status} in ('pending', 'retrying') and ${d.nextAttemptAt} <= ${new Date(now - GRACE_MS).toISOString()}::timestamptz)
              or (${d.status} = 'sending' and ${d.lockedUntil} < ${new Date(now).toISOString()}::timestamptz)`,
    )
    .limit(BATCH);
  for (const row of rows) {
    // A claim is taken up once its lock has run out (a little after: the claim compares strictly).
    const due =
      row.status === 'sending'
        ? (row.lockedUntil?.getTime() ?? now) + 50
        : (row.nextAttemptAt?.getTime() ?? now);
    await rt.jobs
      .enqueue(
        'webhook.deliver',
        { deliveryId: row.id },
        { delayMs: Math.max(0, due - now), jobId: deliverJobId(row.id, row.attempts) },
      )
      .catch(() => {});
  }
  return rows.length;
}

/** Per request event: which requests it is about, as SQL over `requests r`, and when it happened. */
const REQUEST_EVENTS = {
  'request.pending': { where: sql`r.status = 'pending'`, at: sql`r.created_at` },
  'request.decided': { where: sql`r.status in ('approved', 'rejected')`, at: sql`r.decided_at` },
  'request.expired': { where: sql`r.status = 'expired'`, at: sql`r.decided_at` },
  'request.cancelled': { where: sql`r.status = 'cancelled'`, at: sql`r.decided_at` },
} as const;

/**
 * Finds request events whose announcement never became a webhook event (the process stopped
 * between the commit and the announcement, or the queue was down) and emits them. Only for
 * types some enabled endpoint subscribes to, and only for requests that changed since the
 * earliest of them was enabled and within the last day.
 */
export async function reconcileRequestEvents(rt: Runtime): Promise<number> {
  const db = rt.database.db;
  const e = schema.webhookEndpoints;
  let found = 0;
  for (const [type, { where, at }] of Object.entries(REQUEST_EVENTS)) {
    const [subscribed] = await db
      .select({ since: min(e.enabledAt) })
      .from(e)
      .where(and(eq(e.enabled, true), isNull(e.deletedAt), arrayContains(e.events, [type])));
    if (!subscribed?.since) continue;
    // A Date, or the driver's text of one: either way a Date now.
    const enabledSince = new Date(subscribed.since as unknown as string);
    const since = new Date(Math.max(enabledSince.getTime(), Date.now() - RECONCILE_WINDOW_MS));
    const prefix = requestEventKey(type, '');
    const missing = await db.execute(sql`
      select r.id from requests r
      where ${where}
        and ${at} >= ${since.toISOString()}::timestamptz
        and ${at} <= ${new Date(Date.now() - GRACE_MS).toISOString()}::timestamptz
        and not exists (select 1 from webhook_events w where w.dedupe_key = ${prefix} || r.id)
      limit ${BATCH}`);
    for (const row of missing.rows as { id: string }[]) {
      found++;
      await rt.jobs
        .enqueue('webhook.emit', { type, requestId: row.id }, { jobId: `webhook-emit-${type}-${row.id}` })
        .catch(() => {});
    }
  }
  return found;
}

/** Delivery logs are kept this long (the admin changes stay in the audit log for good). */
export const WEBHOOK_LOG_RETENTION_DAYS = 30;
const PURGE_MS = 3_600_000;

/** Drops finished deliveries older than the retention, and events none of whose deliveries is left. */
export async function purgeWebhookLog(rt: Runtime, days = WEBHOOK_LOG_RETENTION_DAYS): Promise<number> {
  const cutoff = new Date(Date.now() - days * 86_400_000).toISOString();
  const db = rt.database.db;
  const gone = await db.execute(sql`
    delete from webhook_deliveries
    where status in ('delivered', 'failed') and created_at < ${cutoff}::timestamptz
    returning id`);
  await db.execute(sql`
    delete from webhook_events e
    where e.created_at < ${cutoff}::timestamptz
      and not exists (select 1 from webhook_deliveries d where d.event_id = e.id)`);
  return gone.rows.length;
}

/**
 * The lifecycle subscriber, in every process that runs jobs: it turns announcements into
 * `webhook.emit` jobs (their ids deduplicate what several processes enqueue). Returns the
 * unsubscribe function.
 */
export function subscribeWebhooks(rt: Runtime): () => void {
  return rt.bus.subscribe((event) => onLifecycleEvent(rt, event));
}

/**
 * The deliveries a previous process left open, then a periodic sweep for anything whose job
 * was lost; in the one process that runs the periodic work. Returns the stop function.
 */
export async function startWebhookSweeps(rt: Runtime): Promise<() => void> {
  await resumeDeliveries(rt, { all: true }).catch((error) =>
    rt.log.warn({ err: (error as Error).message }, 'could not resume open webhook deliveries'),
  );
  const timer = setInterval(() => {
    void (async () => {
      await resumeDeliveries(rt, { all: false });
      await reconcileRequestEvents(rt);
    })().catch(() => {});
  }, WEBHOOK_SWEEP_MS);
  const purge = setInterval(() => void purgeWebhookLog(rt).catch(() => {}), PURGE_MS);
  for (const t of [timer, purge]) t.unref();
  void purgeWebhookLog(rt).catch(() => {});
  return () => {
    clearInterval(timer);
    clearInterval(purge);
  };
}
