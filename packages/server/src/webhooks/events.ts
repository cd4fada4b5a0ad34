import { isWebhookEventType, type WEBHOOK_TEST_EVENT, type WebhookEventType } from '@gatehouse/contract';
import { type Db, schema } from '@gatehouse/db';
import { and, arrayContains, eq, inArray, isNull } from 'drizzle-orm';
import { newId } from '../ids.ts';
import type { LiveEvent } from '../platform/events.ts';
import type { Runtime } from '../platform/runtime.ts';
import { deliverJobId } from './delivery.ts';
import { requestEventData } from './request-data.ts';

export interface EmitOptions {
  /**
   * What makes two emissions the same occurrence (`request.pending:req_…`): replicas and
   * retried jobs that emit it again create no second event and no second delivery.
   */
  key: string;
  /** The event's `data`: nothing secret (no tokens, no verdicts, masked text only). */
  data: unknown;
  /** Only to these endpoints, whatever they subscribe to (the admin page's test event). */
  endpointIds?: readonly string[];
}

export interface Emitted {
  eventId: string;
  deliveryIds: string[];
}

/**
 * Emits a webhook event: one message (`{type, timestamp, data}`, serialized once, so every
 * attempt signs the same bytes) and one delivery per enabled endpoint that subscribes to the
 * type, each handed to the job queue. The caller's work is done when this returns; the
 * receivers are called later, by the jobs, and their speed never reaches the caller.
 *
 * Another part of Gatehouse emits an event of the catalogue (`WEBHOOK_EVENTS` in the contract)
 * with one call: `await emitEvent(rt, 'audit.verify_failed', { key, data })`.
 */
export async function emitEvent(
  rt: Runtime,
  type: WebhookEventType | typeof WEBHOOK_TEST_EVENT,
  options: EmitOptions,
): Promise<Emitted> {
  const db = rt.database.db;
  const e = schema.webhookEndpoints;
  const endpoints = await db
    .select({ id: e.id })
    .from(e)
    .where(
      options.endpointIds
        ? // Named endpoints get it even when disabled: the delivery log then says so.
          and(isNull(e.deletedAt), inArray(e.id, [...options.endpointIds]))
        : and(eq(e.enabled, true), isNull(e.deletedAt), arrayContains(e.events, [type])),
    );
  if (endpoints.length === 0) return { eventId: '', deliveryIds: [] };
  // The event and its deliveries commit together: an event is never stored without them.
  const { eventId, created } = await db.transaction(async (tx) => {
    const eventId = await storeEvent(tx as unknown as Db, type, options);
    const created = await tx
      .insert(schema.webhookDeliveries)
      .values(
        endpoints.map(({ id }) => ({
          id: newId('whd'),
          endpointId: id,
          eventId,
          status: 'pending' as const,
          attemptLimit: rt.config.webhooks.maxAttempts,
          nextAttemptAt: new Date(),
        })),
      )
      .onConflictDoNothing()
      .returning({ id: schema.webhookDeliveries.id });
    return { eventId, created };
  });
  for (const { id } of created) {
    await rt.jobs
      .enqueue('webhook.deliver', { deliveryId: id }, { jobId: deliverJobId(id, 0) })
      // The delivery is stored: the sweep sends it if the queue cannot take it now.
      .catch(() => {});
  }
  return { eventId, deliveryIds: created.map((d) => d.id) };
}

async function storeEvent(db: Db, type: string, options: EmitOptions): Promise<string> {
  const id = newId('msg');
  const body = JSON.stringify({ type, timestamp: new Date().toISOString(), data: options.data });
  const [inserted] = await db
    .insert(schema.webhookEvents)
    .values({ id, type, dedupeKey: options.key, body })
    .onConflictDoNothing()
    .returning({ id: schema.webhookEvents.id });
  if (inserted) return inserted.id;
  const [existing] = await db
    .select({ id: schema.webhookEvents.id })
    .from(schema.webhookEvents)
    .where(eq(schema.webhookEvents.dedupeKey, options.key));
  if (!existing) throw new Error(`webhook event ${options.key} neither inserted nor found`);
  return existing.id;
}

/** The webhook event a request's status stands for, if any. */
export function requestEventType(status: string): WebhookEventType | undefined {
  if (status === 'pending') return 'request.pending';
  if (status === 'approved' || status === 'rejected') return 'request.decided';
  if (status === 'expired') return 'request.expired';
  if (status === 'cancelled') return 'request.cancelled';
  return undefined;
}

export function requestEventKey(type: string, requestId: string): string {
  return `${type}:${requestId}`;
}

/** The `webhook.emit` job: the event about a request, with its data as the database has it now. */
export async function emitRequestEvent(rt: Runtime, type: string, requestId: string): Promise<void> {
  if (!isWebhookEventType(type)) return;
  const data = await requestEventData(rt, requestId);
  if (!data) return;
  await emitEvent(rt, type, { key: requestEventKey(type, requestId), data });
}

/**
 * The lifecycle's announcements, turned into webhook jobs. It runs in the processes that run
 * jobs, after the transaction that changed the request has committed (announce publishes only
 * then), and it only enqueues: no receiver is called from here, let alone from the decision.
 * A lost announcement is found again by the sweep (`reconcileRequestEvents`).
 */
export function onLifecycleEvent(rt: Runtime, event: LiveEvent): void {
  if (event.type !== 'request.created' && event.type !== 'request.updated') return;
  const { id, status } = event.data as { id?: unknown; status?: unknown };
  if (typeof id !== 'string' || typeof status !== 'string') return;
  // A request that is pending again after an update (a first approval, an escalation) is no new event.
  if (status === 'pending' && event.type !== 'request.created') return;
  const type = requestEventType(status);
  if (!type) return;
  void rt.jobs
    .enqueue('webhook.emit', { type, requestId: id }, { jobId: `webhook-emit-${type}-${id}` })
    .catch(() => {});
}
