import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schema } from '@gatehouse/db';
import { eq, sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { sweepEscalations } from '../src/approvals/escalation.ts';

const SQL_WRITE = "UPDATE accounts SET plan = 'pro' WHERE id = 42";

describe('escalation', () => {
  let gh: TestGatehouse;
  let dir: string;
  let dba: { id: string; token: string };
  let lead: { id: string; token: string };
  let other: { id: string; token: string };
  let session: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'gh-policy-'));
    const policy = join(dir, 'policy.yaml');
    writeFileSync(policy, 'version: "esc-1"\nextends: default\napprovalDeadlineSeconds: 10\n');
    gh = await startGatehouse({ redis: false, env: { GATEHOUSE_POLICY_FILE: policy } });
    dba = await gh.createUser('dba@example.com', ['approver']);
    lead = await gh.createUser('lead@example.com', ['approver']);
    other = await gh.createUser('other@example.com', ['approver']);
    const leads = await gh.api('/v1/groups', { token: gh.adminToken, body: { name: 'leads' } });
    const dbas = await gh.api('/v1/groups', {
      token: gh.adminToken,
      body: { name: 'dbas', environments: ['prod'], kinds: ['sql'], escalatesTo: leads.body.id },
    });
    expect(dbas.body.escalatesTo).toBe(leads.body.id);
    await gh.api(`/v1/groups/${dbas.body.id}/members`, { token: gh.adminToken, body: { userId: dba.id } });
    await gh.api(`/v1/groups/${leads.body.id}/members`, { token: gh.adminToken, body: { userId: lead.id } });
    session = await gh.session((await gh.createAgent({ name: 'db-bot' })).key);
  });
  afterAll(async () => {
    await gh?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const submit = () =>
    gh.api('/v1/requests', {
      token: session,
      body: { kind: 'sql', command: SQL_WRITE, context: { environment: 'prod' } },
    });
  const listen = (token: string) =>
    new Promise<{ ws: WebSocket; messages: any[] }>((resolve, reject) => {
      const ws = new WebSocket(`${gh.url.replace('http', 'ws')}/v1/stream`, {
        headers: { authorization: `Bearer ${token}` },
      });
      const messages: any[] = [];
      ws.on('message', (m) => messages.push(JSON.parse(String(m))));
      ws.on('open', () => resolve({ ws, messages }));
      ws.on('error', reject);
    });

  it('widens a request to the escalation group at 2/3 of its lifetime, audited and announced', async () => {
    const r = await submit();
    expect(r.body.status).toBe('pending');
    const decisions = `/v1/requests/${r.body.id}/decisions`;
    expect(
      (await gh.api(decisions, { token: lead.token, body: { decision: 'approve' } })).body.error.code,
    ).toBe('NOT_ELIGIBLE');
    const db = gh.running.runtime.database.db;
    // Not yet due: nothing happens.
    expect(await sweepEscalations(gh.running.runtime)).toBe(0);

    const leadStream = await listen(lead.token);
    // Move the request so that 2/3 of its lifetime has passed, with its deadline still ahead.
    await db.execute(
      sql`update requests set created_at = now() - interval '20 seconds', deadline = now() + interval '5 seconds' where id = ${r.body.id}`,
    );
    expect(await sweepEscalations(gh.running.runtime)).toBe(1);
    expect(await sweepEscalations(gh.running.runtime)).toBe(0);
    await new Promise((resolve) => setTimeout(resolve, 200));

    const [row] = await db.select().from(schema.requests).where(eq(schema.requests.id, r.body.id));
    expect(row!.escalatedAt).toBeInstanceOf(Date);
    const events = await db
      .select({ type: schema.auditEvents.type, data: schema.auditEvents.data })
      .from(schema.auditEvents)
      .where(eq(schema.auditEvents.subjectId, r.body.id));
    expect(events.filter((e) => e.type === 'request.escalated')).toHaveLength(1);
    const routed = events.filter((e) => e.type === 'request.routed').map((e) => e.data);
    expect(routed).toContainEqual({ approvers: [lead.id], reason: 'escalated' });

    expect(leadStream.messages).toContainEqual(
      expect.objectContaining({
        type: 'approval.requested',
        data: expect.objectContaining({ id: r.body.id, approvers: [lead.id] }),
      }),
    );
    expect(leadStream.messages).toContainEqual(
      expect.objectContaining({
        type: 'request.updated',
        data: expect.objectContaining({ id: r.body.id, escalatedAt: expect.any(String) }),
      }),
    );
    leadStream.ws.close();

    const queue = await gh.api('/v1/requests?status=pending', { token: lead.token });
    expect(queue.body.items.map((i: { id: string }) => i.id)).toContain(r.body.id);
    expect(
      (await gh.api(decisions, { token: other.token, body: { decision: 'approve' } })).body.error.code,
    ).toBe('NOT_ELIGIBLE');
    expect((await gh.api(decisions, { token: lead.token, body: { decision: 'approve' } })).body.status).toBe(
      'approved',
    );
  });

  it('escalates on its own before the deadline of a short-lived request', async () => {
    const r = await submit();
    const lifetime = Date.parse(r.body.deadline) - Date.now();
    expect(lifetime).toBeLessThanOrEqual(10_000);
    const before = await gh.api(`/v1/requests/${r.body.id}`, { token: dba.token });
    expect(before.body.escalatedAt).toBeNull();
    let escalatedAt: string | null = null;
    for (let i = 0; i < 90 && !escalatedAt; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      escalatedAt = (await gh.api(`/v1/requests/${r.body.id}`, { token: dba.token })).body.escalatedAt;
    }
    expect(escalatedAt).not.toBeNull();
    const at = Date.parse(escalatedAt!);
    expect(at).toBeLessThan(Date.parse(r.body.deadline));
    expect(at).toBeGreaterThanOrEqual(Date.parse(before.body.createdAt) + (lifetime * 2) / 3 - 1_000);
    expect((await gh.api(`/v1/requests/${r.body.id}`, { token: lead.token })).body.eligible).toBe(true);
  }, 20_000);
});
