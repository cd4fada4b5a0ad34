import type { DeliveryAttempt } from '@gatehouse/contract';
import { schema } from '@gatehouse/db';
import { and, eq, inArray, isNull, lt, lte, or } from 'drizzle-orm';
import type { Runtime } from '../platform/runtime.ts';
import { postWebhook } from './http.ts';
import { openSecret } from './secret-box.ts';
import { webhookHeaders } from './signing.ts';

/** The log keeps this many attempts per delivery (the counters keep the total). */
const HISTORY_LIMIT = 20;
/** The longest wait between two attempts. */
const MAX_BACKOFF_MS = 6 * 3600 * 1000;
/** Deliveries one process has on the wire at once; more wait for a slot. */
const MAX_IN_FLIGHT = 32;
/** When every slot is taken, the job comes back after this. */
const BUSY_RETRY_MS = 1_000;
/**
 * A claim outlives the attempt's timeout by this much: past it, the worker that held it is
 * taken to be gone (stopped or crashed mid-attempt) and another takes the delivery up.
 */
export const LOCK_MARGIN_MS = 5_000;

/**
 * Exponential backoff with jitter: the n-th retry waits about base·4ⁿ⁻¹ (at most 6 h), drawn
 * from the upper half of that interval so that receivers coming back from an outage are not
 * hit by every sender at the same instant.
 */
export function retryDelayMs(
  failedAttempts: number,
  baseMs: number,
  random: () => number = Math.random,
): number {
  const ceiling = Math.min(baseMs * 4 ** Math.max(0, failedAttempts - 1), MAX_BACKOFF_MS);
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

const inFlight = new WeakMap<object, Set<Promise<void>>>();

function slots(rt: Runtime): Set<Promise<void>> {
  let set = inFlight.get(rt);
  if (!set) {
    set = new Set();
    inFlight.set(rt, set);
  }
  return set;
}

export function deliverJobId(deliveryId: string, attempts: number): string {
  return `webhook-deliver-${deliveryId}-${attempts}`;
}

/**
 * The `webhook.deliver` job. It claims the delivery (only one worker anywhere sends a given
 * attempt) and then lets the attempt run on its own, so the job queue's slots, which expiry and
 * routing also need, are never held by a slow receiver: a receiver that takes its whole
 * timeout slows only its own deliveries. A claim whose worker died is taken up again once its
 * lock runs out (the sweep finds it), so a restart loses no delivery.
 */
export async function runDeliveryJob(rt: Runtime, deliveryId: string): Promise<void> {
  const running = slots(rt);
  if (running.size >= MAX_IN_FLIGHT) {
    await rt.jobs.enqueue('webhook.deliver', { deliveryId }, { delayMs: BUSY_RETRY_MS });
    return;
  }
  const claimed = await claim(rt, deliveryId);
  if (!claimed) return;
  const attempt = attemptOnce(rt, claimed).catch((error) =>
    rt.log.warn(
      { deliveryId, err: (error as Error).message },
      'webhook delivery attempt could not be recorded',
    ),
  );
  running.add(attempt);
  void attempt.finally(() => running.delete(attempt));
}

type Claimed = typeof schema.webhookDeliveries.$inferSelect;

async function claim(rt: Runtime, deliveryId: string): Promise<Claimed | undefined> {
  const now = new Date();
  const d = schema.webhookDeliveries;
  const [row] = await rt.database.db
    .update(d)
    .set({
      status: 'sending',
      lockedUntil: new Date(now.getTime() + rt.config.webhooks.timeoutMs + LOCK_MARGIN_MS),
    })
    .where(
      and(
        eq(d.id, deliveryId),
        or(inArray(d.status, ['pending', 'retrying']), and(eq(d.status, 'sending'), lt(d.lockedUntil, now))),
        or(isNull(d.nextAttemptAt), lte(d.nextAttemptAt, now)),
      ),
    )
    .returning();
  return row;
}

async function attemptOnce(rt: Runtime, delivery: Claimed): Promise<void> {
  const db = rt.database.db;
  const [endpoint] = await db
    .select()
    .from(schema.webhookEndpoints)
    .where(eq(schema.webhookEndpoints.id, delivery.endpointId));
  const [event] = await db
    .select()
    .from(schema.webhookEvents)
    .where(eq(schema.webhookEvents.id, delivery.eventId));
  const attemptNo = delivery.attempts + 1;
  const at = new Date();

  if (!endpoint || !event || endpoint.deletedAt || !endpoint.enabled) {
    // Not an attempt: nothing was sent. The row says why it stopped; a replay can revive it.
    await db
      .update(schema.webhookDeliveries)
      .set({
        status: 'failed',
        lockedUntil: null,
        nextAttemptAt: null,
        lastError: !endpoint || endpoint.deletedAt ? 'the endpoint was deleted' : 'the endpoint is disabled',
      })
      .where(eq(schema.webhookDeliveries.id, delivery.id));
    return;
  }

  const secrets = [openSecret(rt, endpoint.id, 'current', endpoint.secretEnc)];
  if (
    endpoint.previousSecretEnc &&
    endpoint.previousSecretExpiresAt &&
    endpoint.previousSecretExpiresAt > at
  ) {
    secrets.push(openSecret(rt, endpoint.id, 'previous', endpoint.previousSecretEnc));
  }
  const timestamp = Math.floor(at.getTime() / 1000);
  const result = await postWebhook(
    endpoint.url,
    event.body,
    webhookHeaders(secrets, event.id, timestamp, event.body),
    {
      timeoutMs: rt.config.webhooks.timeoutMs,
      allowPrivate: endpoint.allowPrivateNetwork,
    },
  );

  const ok = result.statusCode !== undefined && result.statusCode >= 200 && result.statusCode < 300;
  const error = ok
    ? null
    : (result.error ??
      (result.location !== undefined
        ? `HTTP ${result.statusCode}: redirect to ${result.location.slice(0, 200)} not followed`
        : `HTTP ${result.statusCode}`));
  const entry: DeliveryAttempt = {
    attempt: attemptNo,
    at: at.toISOString(),
    statusCode: result.statusCode ?? null,
    latencyMs: result.latencyMs,
    error,
  };
  const exhausted = attemptNo >= delivery.attemptLimit;
  const status = ok ? 'delivered' : result.refused || exhausted ? 'failed' : 'retrying';
  const nextAttemptAt =
    status === 'retrying'
      ? new Date(Date.now() + retryDelayMs(attemptNo, rt.config.webhooks.retryBaseMs))
      : null;
  await db
    .update(schema.webhookDeliveries)
    .set({
      status,
      attempts: attemptNo,
      lockedUntil: null,
      nextAttemptAt,
      lastStatusCode: entry.statusCode,
      lastLatencyMs: entry.latencyMs,
      lastError: error,
      history: [...delivery.history, entry].slice(-HISTORY_LIMIT),
      ...(ok ? { deliveredAt: new Date() } : {}),
    })
    .where(and(eq(schema.webhookDeliveries.id, delivery.id), eq(schema.webhookDeliveries.status, 'sending')));
  if (nextAttemptAt) {
    await rt.jobs.enqueue(
      'webhook.deliver',
      { deliveryId: delivery.id },
      {
        delayMs: Math.max(0, nextAttemptAt.getTime() - Date.now()),
        jobId: deliverJobId(delivery.id, attemptNo),
      },
    );
  }
}
