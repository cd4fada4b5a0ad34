import { createHash } from 'node:crypto';
import {
  type CreateWebhookBody,
  DEFAULT_SECRET_OVERLAP_SECONDS,
  type DeliveryQuery,
  type DeliveryQueued,
  type DeliveryView,
  type SecretRotated,
  type UpdateWebhookBody,
  WEBHOOK_TEST_EVENT,
  type WebhookCreated,
  type WebhookEventType,
  type WebhookView,
} from '@gatehouse/contract';
import { schema } from '@gatehouse/db';
import { and, count, desc, eq, inArray, isNull } from 'drizzle-orm';
import { actorOf, type Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Runtime } from '../platform/runtime.ts';
import { deliverJobId } from './delivery.ts';
import { emitEvent } from './events.ts';
import { openSecret, sealSecret } from './secret-box.ts';
import { newSigningSecret } from './signing.ts';
import { urlProblem } from './ssrf.ts';

type EndpointRow = typeof schema.webhookEndpoints.$inferSelect;
type DeliveryRow = typeof schema.webhookDeliveries.$inferSelect;

const OPEN = ['pending', 'sending', 'retrying'] as const;

/**
 * How the audit log names a webhook URL: its origin and a hash of the whole URL. Receivers
 * often put a credential in the path or query (chat webhooks do), and the audit log is read by
 * more people than the admins who may see the URL itself.
 */
function urlEvidence(url: string): { origin: string; urlSha256: string } {
  return { origin: new URL(url).origin, urlSha256: createHash('sha256').update(url).digest('hex') };
}

function view(row: EndpointRow, counts: WebhookView['deliveries']): WebhookView {
  const overlap = row.previousSecretExpiresAt && row.previousSecretExpiresAt > new Date();
  return {
    id: row.id,
    url: row.url,
    description: row.description,
    events: row.events as WebhookEventType[],
    allowPrivateNetwork: row.allowPrivateNetwork,
    enabled: row.enabled,
    createdAt: row.createdAt.toISOString(),
    createdBy: row.createdBy,
    secretRotatedAt: row.secretRotatedAt?.toISOString() ?? null,
    previousSecretExpiresAt: overlap ? row.previousSecretExpiresAt!.toISOString() : null,
    deliveries: counts,
  };
}

async function countsOf(rt: Runtime, ids: string[]): Promise<Map<string, WebhookView['deliveries']>> {
  const out = new Map<string, WebhookView['deliveries']>();
  for (const id of ids) out.set(id, { delivered: 0, failed: 0, open: 0 });
  if (ids.length === 0) return out;
  const d = schema.webhookDeliveries;
  const rows = await rt.database.db
    .select({ endpointId: d.endpointId, status: d.status, n: count() })
    .from(d)
    .where(inArray(d.endpointId, ids))
    .groupBy(d.endpointId, d.status);
  for (const row of rows) {
    const c = out.get(row.endpointId)!;
    if (row.status === 'delivered') c.delivered += row.n;
    else if (row.status === 'failed') c.failed += row.n;
    else c.open += row.n;
  }
  return out;
}

async function findEndpoint(rt: Runtime, id: string): Promise<EndpointRow> {
  const [row] = await rt.database.db
    .select()
    .from(schema.webhookEndpoints)
    .where(and(eq(schema.webhookEndpoints.id, id), isNull(schema.webhookEndpoints.deletedAt)));
  if (!row) throw new GatehouseError('WEBHOOK_NOT_FOUND', `no webhook endpoint ${id}`);
  return row;
}

export async function listEndpoints(rt: Runtime): Promise<WebhookView[]> {
  const rows = await rt.database.db
    .select()
    .from(schema.webhookEndpoints)
    .where(isNull(schema.webhookEndpoints.deletedAt))
    .orderBy(schema.webhookEndpoints.createdAt);
  const counts = await countsOf(
    rt,
    rows.map((r) => r.id),
  );
  return rows.map((row) => view(row, counts.get(row.id)!));
}

export async function getEndpoint(rt: Runtime, id: string): Promise<WebhookView> {
  const row = await findEndpoint(rt, id);
  return view(row, (await countsOf(rt, [id])).get(id)!);
}

/**
 * Registers an endpoint. Its signing secret is generated here, returned this once, and kept
 * only sealed under the master key. A URL that is local on its face is refused unless the
 * admin allowed private networks; the delivery-time check covers what names resolve to.
 */
export async function createEndpoint(
  rt: Runtime,
  by: Principal,
  body: CreateWebhookBody,
): Promise<WebhookCreated> {
  const allowPrivate = body.allowPrivateNetwork === true;
  const problem = urlProblem(body.url, allowPrivate);
  if (problem) throw new GatehouseError('WEBHOOK_URL_REFUSED', `the webhook URL ${problem}`);
  const id = newId('whk');
  const secret = newSigningSecret();
  const url = new URL(body.url).href;
  const row = await rt.audit.transaction(async (tx, record) => {
    const [inserted] = await tx
      .insert(schema.webhookEndpoints)
      .values({
        id,
        url,
        description: body.description?.trim() ?? '',
        events: [...new Set(body.events)],
        allowPrivateNetwork: allowPrivate,
        secretEnc: sealSecret(rt, id, 'current', secret),
        createdBy: by.type === 'user' ? by.email : by.id,
      })
      .returning();
    record({
      type: 'webhook.created',
      actor: actorOf(by),
      subject: { type: 'webhook', id },
      data: { ...urlEvidence(url), events: inserted!.events, allowPrivateNetwork: allowPrivate },
    });
    return inserted!;
  });
  return { ...view(row, { delivered: 0, failed: 0, open: 0 }), secret };
}

export async function updateEndpoint(
  rt: Runtime,
  by: Principal,
  id: string,
  body: UpdateWebhookBody,
): Promise<WebhookView> {
  const current = await findEndpoint(rt, id);
  await rt.audit.transaction(async (tx, record) => {
    await tx
      .update(schema.webhookEndpoints)
      .set({
        ...(body.description !== undefined ? { description: body.description.trim() } : {}),
        ...(body.events ? { events: [...new Set(body.events)] } : {}),
        ...(body.enabled !== undefined ? { enabled: body.enabled } : {}),
        // Switched on again: what happened while it was off is not sent to it.
        ...(body.enabled === true && !current.enabled ? { enabledAt: new Date() } : {}),
      })
      .where(eq(schema.webhookEndpoints.id, id));
    record({
      type: 'webhook.updated',
      actor: actorOf(by),
      subject: { type: 'webhook', id },
      data: { ...body },
    });
  });
  return getEndpoint(rt, id);
}

/** Stops an endpoint for good. The row and its delivery log stay; open deliveries end as failed. */
export async function deleteEndpoint(rt: Runtime, by: Principal, id: string): Promise<void> {
  await findEndpoint(rt, id);
  await rt.audit.transaction(async (tx, record) => {
    await tx
      .update(schema.webhookEndpoints)
      .set({ deletedAt: new Date(), enabled: false })
      .where(eq(schema.webhookEndpoints.id, id));
    await tx
      .update(schema.webhookDeliveries)
      .set({ status: 'failed', nextAttemptAt: null, lastError: 'the endpoint was deleted' })
      .where(
        and(
          eq(schema.webhookDeliveries.endpointId, id),
          inArray(schema.webhookDeliveries.status, ['pending', 'retrying']),
        ),
      );
    record({ type: 'webhook.deleted', actor: actorOf(by), subject: { type: 'webhook', id }, data: {} });
  });
}

/**
 * A new signing secret, returned once. For `overlapSeconds` the old one keeps signing too
 * (each delivery then carries both signatures), so receivers can switch without a gap.
 */
export async function rotateSecret(
  rt: Runtime,
  by: Principal,
  id: string,
  overlapSeconds = DEFAULT_SECRET_OVERLAP_SECONDS,
): Promise<SecretRotated> {
  const row = await findEndpoint(rt, id);
  const secret = newSigningSecret();
  const now = new Date();
  const previous = overlapSeconds > 0 ? openSecret(rt, id, 'current', row.secretEnc) : null;
  const previousSecretExpiresAt = previous ? new Date(now.getTime() + overlapSeconds * 1000) : null;
  await rt.audit.transaction(async (tx, record) => {
    await tx
      .update(schema.webhookEndpoints)
      .set({
        secretEnc: sealSecret(rt, id, 'current', secret),
        previousSecretEnc: previous ? sealSecret(rt, id, 'previous', previous) : null,
        previousSecretExpiresAt,
        secretRotatedAt: now,
      })
      .where(eq(schema.webhookEndpoints.id, id));
    record({
      type: 'webhook.secret_rotated',
      actor: actorOf(by),
      subject: { type: 'webhook', id },
      data: { overlapSeconds, previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null },
    });
  });
  return { id, secret, previousSecretExpiresAt: previousSecretExpiresAt?.toISOString() ?? null };
}

function deliveryView(row: DeliveryRow, eventType: string): DeliveryView {
  return {
    id: row.id,
    endpointId: row.endpointId,
    eventId: row.eventId,
    eventType,
    status: row.status,
    attempts: row.attempts,
    lastStatusCode: row.lastStatusCode,
    lastLatencyMs: row.lastLatencyMs,
    lastError: row.lastError,
    nextAttemptAt: OPEN.includes(row.status as (typeof OPEN)[number])
      ? (row.nextAttemptAt?.toISOString() ?? null)
      : null,
    deliveredAt: row.deliveredAt?.toISOString() ?? null,
    createdAt: row.createdAt.toISOString(),
    history: row.history,
  };
}

/** The delivery log of an endpoint, newest first. */
export async function listDeliveries(rt: Runtime, id: string, query: DeliveryQuery): Promise<DeliveryView[]> {
  await findEndpoint(rt, id);
  const d = schema.webhookDeliveries;
  const rows = await rt.database.db
    .select({ delivery: d, type: schema.webhookEvents.type })
    .from(d)
    .innerJoin(schema.webhookEvents, eq(schema.webhookEvents.id, d.eventId))
    .where(and(eq(d.endpointId, id), query.status ? eq(d.status, query.status) : undefined))
    .orderBy(desc(d.createdAt), desc(d.id))
    .limit(query.limit ?? 50);
  return rows.map((r) => deliveryView(r.delivery, r.type));
}

/**
 * Sends a delivery again, now: the same message (same `webhook-id`, so a receiver that did get
 * it can tell), with a fresh budget of attempts. One on the wire right now is left to finish.
 */
export async function replayDelivery(
  rt: Runtime,
  by: Principal,
  id: string,
  deliveryId: string,
): Promise<DeliveryQueued> {
  await findEndpoint(rt, id);
  const d = schema.webhookDeliveries;
  const [row] = await rt.database.db
    .select()
    .from(d)
    .where(and(eq(d.id, deliveryId), eq(d.endpointId, id)));
  if (!row) throw new GatehouseError('DELIVERY_NOT_FOUND', `no delivery ${deliveryId} of webhook ${id}`);
  if (row.status !== 'sending') {
    await rt.audit.transaction(async (tx, record) => {
      await tx
        .update(d)
        .set({
          status: 'pending',
          nextAttemptAt: new Date(),
          lockedUntil: null,
          attemptLimit: row.attempts + rt.config.webhooks.maxAttempts,
        })
        .where(eq(d.id, deliveryId));
      record({
        type: 'webhook.replayed',
        actor: actorOf(by),
        subject: { type: 'webhook', id },
        data: { deliveryId, eventId: row.eventId },
      });
    });
    await rt.jobs
      .enqueue(
        'webhook.deliver',
        { deliveryId },
        { jobId: `${deliverJobId(deliveryId, row.attempts)}-replay` },
      )
      .catch(() => {});
  }
  return { deliveryId, eventId: row.eventId };
}

/** The admin page's "send test event": a `webhook.test` message to this endpoint only. */
export async function sendTestEvent(rt: Runtime, by: Principal, id: string): Promise<DeliveryQueued> {
  const endpoint = await findEndpoint(rt, id);
  const key = `${WEBHOOK_TEST_EVENT}:${newId('msg')}`;
  const emitted = await emitEvent(rt, WEBHOOK_TEST_EVENT, {
    key,
    endpointIds: [id],
    data: {
      endpointId: id,
      message: 'A test event from Gatehouse: this endpoint receives signed deliveries.',
      sentBy: by.type === 'user' ? by.email : by.id,
      subscribedTo: endpoint.events,
    },
  });
  const [deliveryId] = emitted.deliveryIds;
  if (!deliveryId)
    throw new GatehouseError('WEBHOOK_NOT_FOUND', `webhook endpoint ${id} takes no deliveries`);
  return { deliveryId, eventId: emitted.eventId };
}
