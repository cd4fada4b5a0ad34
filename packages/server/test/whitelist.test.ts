import { schema } from '@gatehouse/db';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';

const REVIEW = 'systemctl restart nginx';
const MULTI = 'rm -rf /var/lib/postgresql';
const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();

describe('approve and whitelist', () => {
  let gh: TestGatehouse;
  let alice: { id: string; token: string };
  let bob: { id: string; token: string };
  let session: string;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    alice = await gh.createUser('alice@example.com', ['approver']);
    bob = await gh.createUser('bob@example.com', ['approver', 'auditor']);
    session = await gh.session((await gh.createAgent({ name: 'ops-bot' })).key);
  });
  afterAll(async () => gh?.stop());

  const submit = (command: string) =>
    gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
  const decide = (id: string, token: string, body: Record<string, unknown>) =>
    gh.api(`/v1/requests/${id}/decisions`, { token, body });

  it('validates the entry and adds nothing when it is wrong', async () => {
    const r = await submit(REVIEW);
    const wrong = [
      { pattern: REVIEW, expiresAt: inDays(-1), reason: 'x' },
      { pattern: REVIEW, expiresAt: inDays(400), reason: 'x' },
      { pattern: REVIEW, expiresAt: inDays(30), reason: '  ' },
      { pattern: { program: 'systemctl', bogus: 1 }, expiresAt: inDays(30), reason: 'x' },
    ];
    for (const whitelist of wrong) {
      const answer = await decide(r.body.id, alice.token, { decision: 'approve', whitelist });
      expect(answer.status).toBe(400);
      expect(answer.body.error.code).toBe('WHITELIST_INVALID');
    }
    const missing = await decide(r.body.id, alice.token, {
      decision: 'approve',
      whitelist: { pattern: REVIEW, reason: 'x' },
    });
    expect(missing.status).toBe(400);
    const onReject = await decide(r.body.id, alice.token, {
      decision: 'reject',
      comment: 'no',
      whitelist: { pattern: REVIEW, expiresAt: inDays(30), reason: 'x' },
    });
    expect(onReject.body.error.code).toBe('WHITELIST_NEEDS_APPROVE');
    expect((await gh.api('/v1/whitelist', { token: alice.token })).body.items).toEqual([]);
    expect((await gh.api(`/v1/requests/${r.body.id}`, { token: alice.token })).body.status).toBe('pending');
  });

  it('adds the entry with its author; the next identical command is auto-approved until revoked', async () => {
    const r = await submit(REVIEW);
    const decided = await decide(r.body.id, alice.token, {
      decision: 'approve',
      whitelist: { pattern: REVIEW, expiresAt: inDays(30), reason: 'routine restart on this host' },
    });
    expect(decided.status).toBe(200);
    expect(decided.body).toMatchObject({ status: 'approved', whitelistId: expect.stringMatching(/^wle_/) });
    const id = decided.body.whitelistId;

    const list = await gh.api('/v1/whitelist', { token: bob.token });
    expect(list.body.items).toEqual([
      expect.objectContaining({
        id,
        kind: 'shell',
        command: REVIEW,
        match: null,
        reason: 'routine restart on this host',
        createdBy: { id: alice.id, email: 'alice@example.com' },
        requestId: r.body.id,
        revokedAt: null,
        active: true,
      }),
    ]);

    const next = await submit(REVIEW);
    expect(next.body).toMatchObject({ status: 'auto_approved', tier: 'auto' });
    const detail = await gh.api(`/v1/requests/${next.body.id}`, { token: alice.token });
    expect(detail.body.whitelistedBy).toBe(id);

    const events = await gh.running.runtime.database.db
      .select({ type: schema.auditEvents.type, actorId: schema.auditEvents.actorId })
      .from(schema.auditEvents)
      .where(eq(schema.auditEvents.subjectId, id))
      .orderBy(asc(schema.auditEvents.id));
    expect(events).toEqual([{ type: 'whitelist.added', actorId: alice.id }]);

    expect((await gh.api(`/v1/whitelist/${id}/revoke`, { token: alice.token, body: {} })).status).toBe(403);
    const revoked = await gh.api(`/v1/whitelist/${id}/revoke`, { token: gh.adminToken, body: {} });
    expect(revoked.status).toBe(200);
    expect((await gh.api(`/v1/whitelist/${id}/revoke`, { token: gh.adminToken, body: {} })).status).toBe(409);
    expect((await submit(REVIEW)).body).toMatchObject({ status: 'pending', tier: 'review' });
    const types = (
      await gh.running.runtime.database.db
        .select({ type: schema.auditEvents.type })
        .from(schema.auditEvents)
        .where(eq(schema.auditEvents.subjectId, id))
    ).map((e) => e.type);
    expect(types).toContain('whitelist.revoked');
  });

  it('accepts a pattern over parsed commands', async () => {
    const command = 'systemctl restart api';
    const r = await submit(command);
    const decided = await decide(r.body.id, alice.token, {
      decision: 'approve',
      whitelist: {
        pattern: { program: ['systemctl'], first: ['restart'], args: { regex: '^api$' }, viaOnly: [] },
        expiresAt: inDays(7),
        reason: 'api restarts are routine',
      },
    });
    expect(decided.status).toBe(200);
    expect((await submit(command)).body.tier).toBe('auto');
    expect((await submit('systemctl restart postgres')).body.tier).toBe('review');
  });

  it('never lowers a multi-party command, though the entry is recorded', async () => {
    const r = await submit(MULTI);
    await decide(r.body.id, bob.token, { decision: 'approve', comment: 'planned' });
    const decided = await decide(r.body.id, alice.token, {
      decision: 'approve',
      comment: 'planned',
      whitelist: { pattern: MULTI, expiresAt: inDays(7), reason: 'decommission week' },
    });
    expect(decided.body).toMatchObject({ status: 'approved', whitelistId: expect.any(String) });
    const list = await gh.api('/v1/whitelist', { token: alice.token });
    expect(list.body.items.map((i: { id: string }) => i.id)).toContain(decided.body.whitelistId);
    expect((await submit(MULTI)).body).toMatchObject({ status: 'pending', tier: 'multi_party' });
  });
});
