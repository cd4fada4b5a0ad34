import { randomBytes } from 'node:crypto';
import { lookup } from 'node:dns/promises';
import { hostname } from 'node:os';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { createTestDatabase, query, type TestDatabase } from '../../../test/support/postgres.ts';
import { startReceiver, type WebhookReceiver } from '../../../test/support/webhook-receiver.ts';
import { blockedReason } from '../src/webhooks/ssrf.ts';
import { purgeWebhookLog, reconcileRequestEvents } from '../src/webhooks/sweep.ts';

const REVIEW = 'systemctl restart nginx';
const GITHUB_TOKEN = 'ghp_abcdefghijklmnopqrstuvwxyz0123456789';

async function eventually<T>(fn: () => Promise<T>, check: (value: T) => boolean, ms = 15_000): Promise<T> {
  const until = Date.now() + ms;
  for (;;) {
    const value = await fn();
    if (check(value)) return value;
    if (Date.now() > until) throw new Error(`not reached within ${ms} ms: ${JSON.stringify(value)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Standard Webhooks verification, by the specification's own library. */
function verify(secret: string, request: { body: string; headers: Record<string, string> }): any {
  return new Webhook(secret).verify(request.body, {
    'webhook-id': request.headers['webhook-id']!,
    'webhook-timestamp': request.headers['webhook-timestamp']!,
    'webhook-signature': request.headers['webhook-signature']!,
  });
}

describe('outbound webhooks', () => {
  let gh: TestGatehouse;
  let receiver: WebhookReceiver;
  let approver: { id: string; token: string };
  let session: string;

  beforeAll(async () => {
    receiver = await startReceiver();
    gh = await startGatehouse({
      redis: false,
      env: {
        GATEHOUSE_WEBHOOK_RETRY_BASE_MS: '40',
        GATEHOUSE_WEBHOOK_TIMEOUT_MS: '400',
        GATEHOUSE_WEBHOOK_MAX_ATTEMPTS: '3',
        GATEHOUSE_PUBLIC_URL: 'https://gatehouse.example.com',
      },
    });
    approver = await gh.createUser('approver@example.com', ['approver']);
    session = await gh.session((await gh.createAgent({ name: 'hook-bot', type: 'ci' })).key);
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
    await receiver?.close();
  });

  const admin = (path: string, init: { method?: string; body?: unknown } = {}) =>
    gh.api(path, { token: gh.adminToken, ...init });
  const register = async (path: string, events: string[], extra: Record<string, unknown> = {}) => {
    const created = await admin('/v1/webhooks', {
      body: { url: `${receiver.url}${path}`, events, allowPrivateNetwork: true, ...extra },
    });
    expect(created.status).toBe(201);
    return created.body as { id: string; secret: string };
  };
  const switchOff = (id: string) =>
    admin(`/v1/webhooks/${id}`, { method: 'PATCH', body: { enabled: false } });
  const submit = async (command: string) => {
    const r = await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
    expect(r.status).toBe(201);
    return r.body as { id: string; status: string };
  };
  const log = async (id: string) => (await admin(`/v1/webhooks/${id}/deliveries`)).body.items as any[];
  const at = (path: string, type?: string, requestId?: string) => (r: { path: string; json: any }) =>
    r.path === path && (!type || r.json?.type === type) && (!requestId || r.json?.data?.id === requestId);

  it('refuses private destinations unless an admin allows them, and shows the secret once, sealed at rest', async () => {
    for (const url of [
      `${receiver.url}/x`,
      'http://localhost:9/x',
      'http://[::1]:9/x',
      'http://[::ffff:127.0.0.1]:9/x',
      'http://169.254.169.254/latest/meta-data',
      'http://10.0.0.8/hook',
      'https://user:secret@hooks.example.com/x',
      'ftp://hooks.example.com/x',
    ]) {
      const refused = await admin('/v1/webhooks', { body: { url, events: ['request.pending'] } });
      expect(refused.status, url).toBe(400);
      expect(refused.body.error.code, url).toMatch(/WEBHOOK_URL_REFUSED|VALIDATION_FAILED/);
    }
    const created = await register('/sealed', ['request.pending']);
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/=]{40,}$/);
    const listed = await admin('/v1/webhooks');
    expect(JSON.stringify(listed.body)).not.toContain(created.secret);
    expect(JSON.stringify(await admin(`/v1/webhooks/${created.id}`))).not.toContain(created.secret);
    const [row] = await query<{ secret_enc: string }>(
      gh.database.url,
      'select secret_enc from webhook_endpoints where id = $1',
      [created.id],
    );
    expect(row!.secret_enc).toMatch(/^v1\./);
    expect(row!.secret_enc).not.toContain(created.secret.slice(6, 20));
    // Only admins.
    expect((await gh.api('/v1/webhooks', { token: approver.token })).status).toBe(403);
    expect((await gh.api('/v1/webhooks')).status).toBe(401);
    const audited = await query<{ data: any }>(
      gh.database.url,
      "select data from audit_events where type = 'webhook.created' and subject_id = $1",
      [created.id],
    );
    expect(JSON.stringify(audited)).not.toContain(created.secret);
    // The audit log names the URL by origin and hash: paths and queries often carry a credential.
    expect(audited[0]!.data).toMatchObject({
      origin: receiver.url,
      urlSha256: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(JSON.stringify(audited)).not.toContain('/sealed');
    await switchOff(created.id);
  });

  it('delivers request.pending and request.decided, signed per Standard Webhooks, masked and without the verdict', async () => {
    const hook = await register('/lifecycle', ['request.pending', 'request.decided']);
    const request = await submit(
      `curl -H "Authorization: Bearer ${GITHUB_TOKEN}" https://api.github.com/user && ${REVIEW}`,
    );
    expect(request.status).toBe('pending');

    const pending = await receiver.waitFor(at('/lifecycle', 'request.pending', request.id));
    const payload = verify(hook.secret, pending);
    expect(payload).toMatchObject({
      type: 'request.pending',
      timestamp: expect.any(String),
      data: {
        id: request.id,
        status: 'pending',
        tier: 'review',
        agent: { name: 'hook-bot', type: 'ci' },
        requiredApprovals: 1,
        url: `https://gatehouse.example.com/requests/${request.id}`,
      },
    });
    expect(payload.data.command).toContain('[MASKED:GITHUB_TOKEN]');
    expect(pending.body).not.toContain(GITHUB_TOKEN);
    expect(pending.headers['content-type']).toBe('application/json');
    expect(pending.headers['webhook-id']).toMatch(/^msg_/);

    const decided = await gh.api(`/v1/requests/${request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve' },
    });
    expect(decided.body.status).toBe('approved');
    const final = await receiver.waitFor(at('/lifecycle', 'request.decided', request.id));
    const data = verify(hook.secret, final).data;
    expect(data).toMatchObject({ status: 'approved', decidedAt: expect.any(String) });
    expect(data.decisions).toEqual([
      { userId: approver.id, email: 'approver@example.com', decision: 'approve', at: expect.any(String) },
    ]);
    // The verdict is a credential of sorts: it never leaves in a webhook.
    const [verdict] = await query<{ verdict: string }>(
      gh.database.url,
      'select verdict from requests where id = $1',
      [request.id],
    );
    expect(final.body).not.toContain(verdict!.verdict);
    expect(final.body).not.toContain('"verdict"');
    expect(final.headers['webhook-id']).not.toBe(pending.headers['webhook-id']);

    // A tampered body fails verification.
    expect(() =>
      verify(hook.secret, { ...final, body: final.body.replace('approved', 'rejected') }),
    ).toThrow();
    await switchOff(hook.id);
  });

  it('retries a 500 with backoff until the receiver accepts it, under one message id, and logs each attempt', async () => {
    const hook = await register('/flaky', ['request.pending']);
    let failures = 2;
    receiver.answer((r) => (r.path === '/flaky' && failures-- > 0 ? { status: 500 } : { status: 200 }));
    const request = await submit(`${REVIEW} # flaky`);
    const items = await eventually(
      () => log(hook.id),
      (list) => list.some((d) => d.status === 'delivered'),
    );
    const delivery = items.find((d) => d.status === 'delivered')!;
    expect(delivery).toMatchObject({
      eventType: 'request.pending',
      attempts: 3,
      lastStatusCode: 200,
      lastError: null,
    });
    expect(delivery.history.map((h: any) => h.statusCode)).toEqual([500, 500, 200]);
    expect(delivery.history.every((h: any) => Number.isInteger(h.latencyMs) && h.latencyMs >= 0)).toBe(true);
    expect(delivery.history[0].error).toBe('HTTP 500');
    const attempts = receiver.received.filter(at('/flaky', 'request.pending', request.id));
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.headers['webhook-id'])).size).toBe(1);
    expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
    receiver.answer(() => ({ status: 200 }));
    await switchOff(hook.id);
  });

  it('gives up on a receiver that never answers after its attempts, and a replay delivers the same message', async () => {
    const hook = await register('/silent', ['request.pending']);
    receiver.answer((r) => (r.path === '/silent' ? 'hang' : { status: 200 }));
    const request = await submit(`${REVIEW} # silent`);
    const [failed] = await eventually(
      () => log(hook.id),
      (list) => list.some((d) => d.status === 'failed'),
    );
    expect(failed).toMatchObject({ attempts: 3, lastStatusCode: null, nextAttemptAt: null });
    expect(failed.lastError).toBe('no answer within 400 ms');
    expect(failed.history.every((h: any) => h.latencyMs >= 390)).toBe(true);

    receiver.answer(() => ({ status: 200 }));
    const replayed = await admin(`/v1/webhooks/${hook.id}/deliveries/${failed.id}/replay`, { body: {} });
    expect(replayed.status).toBe(202);
    expect(replayed.body).toEqual({ deliveryId: failed.id, eventId: failed.eventId });
    const [after] = await eventually(
      () => log(hook.id),
      (list) => list[0]?.status === 'delivered',
    );
    expect(after).toMatchObject({ attempts: 4, lastStatusCode: 200 });
    const sent = receiver.received.filter(at('/silent', 'request.pending', request.id));
    expect(sent.length).toBe(4);
    expect(new Set(sent.map((s) => s.headers['webhook-id']))).toEqual(new Set([failed.eventId]));
    const unknown = await admin(`/v1/webhooks/${hook.id}/deliveries/whd_nothing/replay`, { body: {} });
    expect(unknown.body.error.code).toBe('DELIVERY_NOT_FOUND');
    receiver.release();
    await switchOff(hook.id);
  });

  it('never holds up a decision: it is answered while the receiver still holds the delivery', async () => {
    const hook = await register('/held', ['request.decided']);
    receiver.answer((r) => (r.path === '/held' ? 'hang' : { status: 200 }));
    const request = await submit(`${REVIEW} # held`);
    const decided = await gh.api(`/v1/requests/${request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'reject', comment: 'not now' },
    });
    expect(decided.status).toBe(200);
    expect(decided.body.status).toBe('rejected');
    // The delivery is on the wire and unanswered, yet the decision was answered and is final.
    const held = await receiver.waitFor(at('/held', 'request.decided', request.id));
    expect(held.json.data.status).toBe('rejected');
    const row = await gh.api(`/v1/requests/${request.id}`, { token: approver.token });
    expect(row.body.status).toBe('rejected');
    receiver.release();
    receiver.answer(() => ({ status: 200 }));
    await switchOff(hook.id);
  });

  it('signs with both secrets during a rotation’s overlap, and only with the new one after', async () => {
    const hook = await register('/rotate', ['request.pending']);
    const rotated = await admin(`/v1/webhooks/${hook.id}/rotate-secret`, { body: { overlapSeconds: 3600 } });
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).not.toBe(hook.secret);
    expect(Date.parse(rotated.body.previousSecretExpiresAt)).toBeGreaterThan(Date.now() + 3500_000);
    const one = await submit(`${REVIEW} # overlap`);
    const during = await receiver.waitFor(at('/rotate', 'request.pending', one.id));
    expect(during.headers['webhook-signature']!.split(' ')).toHaveLength(2);
    expect(verify(hook.secret, during).data.id).toBe(one.id);
    expect(verify(rotated.body.secret, during).data.id).toBe(one.id);

    const again = await admin(`/v1/webhooks/${hook.id}/rotate-secret`, { body: { overlapSeconds: 0 } });
    expect(again.body.previousSecretExpiresAt).toBeNull();
    const two = await submit(`${REVIEW} # after`);
    const after = await receiver.waitFor(at('/rotate', 'request.pending', two.id));
    expect(after.headers['webhook-signature']!.split(' ')).toHaveLength(1);
    expect(verify(again.body.secret, after).data.id).toBe(two.id);
    expect(() => verify(rotated.body.secret, after)).toThrow();
    expect(() => verify(hook.secret, after)).toThrow();
    await switchOff(hook.id);
  });

  it('does not follow redirects, even to a public name', async () => {
    const hook = await register('/moved', ['request.pending']);
    receiver.answer((r) =>
      r.path === '/moved'
        ? { status: 307, headers: { location: `${receiver.url}/elsewhere` } }
        : { status: 200 },
    );
    await submit(`${REVIEW} # moved`);
    const [failed] = await eventually(
      () => log(hook.id),
      (list) => list.some((d) => d.status === 'failed'),
    );
    expect(failed.lastStatusCode).toBe(307);
    expect(failed.lastError).toContain('not followed');
    expect(receiver.received.some((r) => r.path === '/elsewhere')).toBe(false);
    receiver.answer(() => ({ status: 200 }));
    await switchOff(hook.id);
  });

  it('refuses, at delivery time, a name that resolves to a private address', async () => {
    const name = hostname();
    const resolved = await lookup(name).catch(() => undefined);
    // This machine's own name resolves to one of its addresses (loopback or private) on any normal host.
    if (!resolved || !blockedReason(resolved.address)) return;
    const port = new URL(receiver.url).port;
    const created = await admin('/v1/webhooks', {
      body: { url: `http://${name}:${port}/by-name`, events: ['request.pending'] },
    });
    expect(created.status).toBe(201);
    await submit(`${REVIEW} # by name`);
    const [failed] = await eventually(
      () => log(created.body.id),
      (list) => list.some((d) => d.status === 'failed'),
    );
    // Refused once, for good: retrying cannot make the address public.
    expect(failed.attempts).toBe(1);
    expect(failed.lastError).toContain(`resolves to ${resolved.address}`);
    expect(receiver.received.some((r) => r.path === '/by-name')).toBe(false);
    await switchOff(created.body.id);
  });

  it('sends a signed test event to one endpoint, whatever it subscribes to', async () => {
    const hook = await register('/test-event', ['request.expired']);
    const sent = await admin(`/v1/webhooks/${hook.id}/test`, { body: {} });
    expect(sent.status).toBe(202);
    const got = await receiver.waitFor((r) => r.path === '/test-event' && r.json?.type === 'webhook.test');
    expect(verify(hook.secret, got).data).toMatchObject({
      endpointId: hook.id,
      subscribedTo: ['request.expired'],
    });
    expect(got.headers['webhook-id']).toBe(sent.body.eventId);
    const [delivery] = await eventually(
      () => log(hook.id),
      (list) => list[0]?.status === 'delivered',
    );
    expect(delivery).toMatchObject({ id: sent.body.deliveryId, eventType: 'webhook.test', attempts: 1 });
    await switchOff(hook.id);
  });

  it('emits what an announcement that never arrived would have, once', async () => {
    const hook = await register('/reconcile', ['request.decided']);
    const request = await submit(`${REVIEW} # reconcile`);
    await gh.api(`/v1/requests/${request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve' },
    });
    await receiver.waitFor(at('/reconcile', 'request.decided', request.id));
    // As if the process had stopped between the commit and the announcement: no event at all.
    const url = gh.database.url;
    await query(
      url,
      "delete from webhook_deliveries where event_id in (select id from webhook_events where dedupe_key = 'request.decided:' || $1)",
      [request.id],
    );
    await query(url, "delete from webhook_events where dedupe_key = 'request.decided:' || $1", [request.id]);
    await query(url, "update requests set decided_at = now() - interval '10 seconds' where id = $1", [
      request.id,
    ]);
    await query(url, "update webhook_endpoints set enabled_at = now() - interval '1 minute' where id = $1", [
      hook.id,
    ]);
    const before = receiver.received.filter(at('/reconcile', 'request.decided', request.id)).length;
    expect(await reconcileRequestEvents(gh.running.runtime)).toBeGreaterThanOrEqual(1);
    await eventually(
      async () => receiver.received.filter(at('/reconcile', 'request.decided', request.id)).length,
      (n) => n === before + 1,
    );
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(await reconcileRequestEvents(gh.running.runtime)).toBe(0);
    await switchOff(hook.id);
  });

  it('keeps finished deliveries for the retention period only', async () => {
    const hook = await register('/retention', ['request.pending']);
    await admin(`/v1/webhooks/${hook.id}/test`, { body: {} });
    await eventually(
      () => log(hook.id),
      (list) => list[0]?.status === 'delivered',
    );
    const url = gh.database.url;
    await query(
      url,
      "update webhook_deliveries set created_at = now() - interval '31 days' where endpoint_id = $1",
      [hook.id],
    );
    await query(
      url,
      "update webhook_events set created_at = now() - interval '31 days' where id in (select event_id from webhook_deliveries where endpoint_id = $1)",
      [hook.id],
    );
    expect(await purgeWebhookLog(gh.running.runtime)).toBeGreaterThanOrEqual(1);
    expect(await log(hook.id)).toEqual([]);
    expect(
      await query(url, "select 1 from webhook_events where created_at < now() - interval '30 days'"),
    ).toEqual([]);
    await switchOff(hook.id);
  });

  it('lists the catalogue, updates and deletes endpoints', async () => {
    const catalogue = await admin('/v1/webhooks/events');
    expect(catalogue.body.items.map((i: any) => i.type)).toEqual(
      expect.arrayContaining([
        'request.pending',
        'request.decided',
        'request.expired',
        'audit.verify_failed',
      ]),
    );
    const hook = await register('/crud', ['request.pending']);
    const changed = await admin(`/v1/webhooks/${hook.id}`, {
      method: 'PATCH',
      body: { events: ['request.expired', 'request.decided'], description: 'pager' },
    });
    expect(changed.body).toMatchObject({
      events: ['request.expired', 'request.decided'],
      description: 'pager',
    });
    const bad = await admin(`/v1/webhooks/${hook.id}`, {
      method: 'PATCH',
      body: { events: ['request.nope'] },
    });
    expect(bad.status).toBe(400);
    expect((await admin(`/v1/webhooks/${hook.id}`, { method: 'DELETE' })).status).toBe(204);
    expect((await admin(`/v1/webhooks/${hook.id}`)).body.error.code).toBe('WEBHOOK_NOT_FOUND');
    const types = await query<{ type: string }>(
      gh.database.url,
      "select type from audit_events where subject_id = $1 and type like 'webhook.%' order by id",
      [hook.id],
    );
    expect(types.map((t) => t.type)).toEqual(['webhook.created', 'webhook.updated', 'webhook.deleted']);
  });
});

/**
 * A delivery outlives the process that started it: its state is in the database, so a process
 * that starts later sends what the previous one could not (and what it was sending when it died).
 */
describe.each([
  { jobs: 'in-process', redis: false },
  { jobs: 'Redis', redis: true },
])('no webhook delivery lost across a restart ($jobs jobs)', ({ redis }) => {
  let database: TestDatabase;
  let receiver: WebhookReceiver;
  const secrets = {
    adminToken: `restart-${randomBytes(16).toString('hex')}`,
    masterKey: randomBytes(32).toString('hex'),
  };
  const env = {
    GATEHOUSE_WEBHOOK_RETRY_BASE_MS: '300',
    GATEHOUSE_WEBHOOK_MAX_ATTEMPTS: '20',
    GATEHOUSE_WEBHOOK_TIMEOUT_MS: '1000',
  };

  beforeAll(async () => {
    [database, receiver] = await Promise.all([createTestDatabase(), startReceiver()]);
  });
  afterAll(async () => {
    await receiver?.close();
    await database?.drop();
  });

  it('sends, after a restart, what the stopped process could not deliver', async () => {
    const prefix = `gh-wh-restart-${database.name}`;
    receiver.answer(() => ({ status: 503 }));
    const first = await startGatehouse({ database, redis, redisPrefix: prefix, ...secrets, env });
    const hook = await first.api('/v1/webhooks', {
      token: secrets.adminToken,
      body: { url: `${receiver.url}/restart`, events: ['request.pending'], allowPrivateNetwork: true },
    });
    const session = await first.session((await first.createAgent()).key);
    const submitted = await Promise.all(
      ['restart nginx', 'restart redis'].map((what) =>
        first.api('/v1/requests', { token: session, body: { kind: 'shell', command: `systemctl ${what}` } }),
      ),
    );
    await receiver.waitFor((r) => r.json?.data?.id === submitted[0]!.body.id);
    await receiver.waitFor((r) => r.json?.data?.id === submitted[1]!.body.id);
    await first.stop();
    // One of them as if the process had died in the middle of an attempt.
    await query(
      database.url,
      "update webhook_deliveries set status = 'sending', locked_until = now() - interval '1 second' where id = (select d.id from webhook_deliveries d join webhook_events e on e.id = d.event_id where e.dedupe_key = 'request.pending:' || $1)",
      [submitted[1]!.body.id],
    );
    const open = await query<{ status: string; event: string }>(
      database.url,
      'select d.status, d.event_id as event from webhook_deliveries d order by d.created_at',
    );
    // Stopped between attempts (retrying) or during one (sending, its lock still running).
    expect(open.map((o) => o.status)).toContain('sending');
    expect(open.every((o) => o.status === 'retrying' || o.status === 'sending')).toBe(true);

    receiver.answer(() => ({ status: 204 }));
    const second = await startGatehouse({ database, redis, redisPrefix: prefix, ...secrets, env });
    try {
      const delivered = await eventually(
        () => second.api(`/v1/webhooks/${hook.body.id}/deliveries`, { token: secrets.adminToken }),
        (r) => r.body.items.length === 2 && r.body.items.every((d: any) => d.status === 'delivered'),
        20_000,
      );
      for (const d of delivered.body.items) expect(d.lastStatusCode).toBe(204);
      // The same messages, by id, as before the restart, each verifiable with the secret shown at registration.
      for (const { event } of open) {
        const got = await receiver.waitFor((r) => r.headers['webhook-id'] === event && r.path === '/restart');
        expect(verify(hook.body.secret, got).type).toBe('request.pending');
      }
    } finally {
      await second.stop();
    }
  }, 90_000);
});
