import { schema } from '@gatehouse/db';
import { asc, eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';

const SQL_WRITE = "UPDATE accounts SET plan = 'pro' WHERE id = 42";
const REVIEW = 'systemctl restart nginx';
const MULTI = 'rm -rf /var/lib/postgresql';

describe('approver groups and eligibility', () => {
  let gh: TestGatehouse;
  let dba: { id: string; token: string };
  let ops: { id: string; token: string };
  let owner: { id: string; token: string };
  let auditor: { id: string; token: string };
  let dbaGroup: string;
  let session: string;
  let agentId: string;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    dba = await gh.createUser('dba@example.com', ['approver']);
    ops = await gh.createUser('ops@example.com', ['approver']);
    owner = await gh.createUser('owner@example.com', ['approver']);
    auditor = await gh.createUser('auditor@example.com', ['auditor']);
    const agent = await gh.createAgent({ name: 'db-bot', type: 'coding-agent', owner: owner.id });
    agentId = agent.id;
    session = await gh.session(agent.key);
    const created = await gh.api('/v1/groups', {
      token: gh.adminToken,
      body: { name: 'dbas', environments: ['Prod'], kinds: ['sql'] },
    });
    expect(created.status).toBe(201);
    dbaGroup = created.body.id;
    for (const userId of [dba.id, owner.id]) {
      expect(
        (await gh.api(`/v1/groups/${dbaGroup}/members`, { token: gh.adminToken, body: { userId } })).status,
      ).toBe(201);
    }
  });
  afterAll(async () => gh?.stop());

  const submit = (command: string, kind = 'shell', environment?: string) =>
    gh.api('/v1/requests', {
      token: session,
      body: { kind, command, ...(environment ? { context: { environment } } : {}) },
    });
  const decide = (id: string, token: string, body: Record<string, unknown>) =>
    gh.api(`/v1/requests/${id}/decisions`, { token, body });

  describe('groups', () => {
    it('lists groups with scope and members to approvers and auditors', async () => {
      const list = await gh.api('/v1/groups', { token: auditor.token });
      expect(list.status).toBe(200);
      expect(list.body.items).toContainEqual(
        expect.objectContaining({
          id: dbaGroup,
          name: 'dbas',
          environments: ['prod'],
          kinds: ['sql'],
          escalatesTo: null,
          members: expect.arrayContaining([{ id: dba.id, email: 'dba@example.com' }]),
        }),
      );
      expect((await gh.api('/v1/groups', { token: session })).status).toBe(403);
    });

    it('is managed by admins only, with validation', async () => {
      expect((await gh.api('/v1/groups', { token: dba.token, body: { name: 'x' } })).status).toBe(403);
      const bad = [{ name: '' }, { name: 'k', kinds: ['powershell'] }, { name: 'e', extra: true }];
      for (const body of bad)
        expect((await gh.api('/v1/groups', { token: gh.adminToken, body })).status).toBe(400);
      const dup = await gh.api('/v1/groups', { token: gh.adminToken, body: { name: 'dbas' } });
      expect(dup).toMatchObject({ status: 409, body: { error: { code: 'GROUP_EXISTS' } } });
      const unknown = await gh.api('/v1/groups', {
        token: gh.adminToken,
        body: { name: 'orphan', escalatesTo: 'grp_missing' },
      });
      expect(unknown.body.error.code).toBe('UNKNOWN_GROUP');
      const member = await gh.api(`/v1/groups/${dbaGroup}/members`, {
        token: gh.adminToken,
        body: { userId: dba.id },
      });
      expect(member.body.error.code).toBe('ALREADY_MEMBER');
      expect(
        (await gh.api('/v1/groups/grp_missing/members', { token: gh.adminToken, body: { userId: dba.id } }))
          .status,
      ).toBe(404);
      expect(
        (await gh.api(`/v1/groups/${dbaGroup}/members`, { token: gh.adminToken, body: { userId: 'usr_x' } }))
          .body.error.code,
      ).toBe('UNKNOWN_USER');
    });

    it('adds and removes members, audited', async () => {
      const temp = await gh.api('/v1/groups', { token: gh.adminToken, body: { name: 'temp' } });
      await gh.api(`/v1/groups/${temp.body.id}/members`, { token: gh.adminToken, body: { userId: ops.id } });
      const removed = await gh.api(`/v1/groups/${temp.body.id}/members/${ops.id}`, {
        method: 'DELETE',
        token: gh.adminToken,
      });
      expect(removed.status).toBe(204);
      const again = await gh.api(`/v1/groups/${temp.body.id}/members/${ops.id}`, {
        method: 'DELETE',
        token: gh.adminToken,
      });
      expect(again.body.error.code).toBe('NOT_A_MEMBER');
      const events = await gh.running.runtime.database.db
        .select({ type: schema.auditEvents.type, data: schema.auditEvents.data })
        .from(schema.auditEvents)
        .where(eq(schema.auditEvents.subjectId, temp.body.id))
        .orderBy(asc(schema.auditEvents.id));
      expect(events.map((e) => e.type)).toEqual([
        'group.created',
        'group.member_added',
        'group.member_removed',
      ]);
      expect(events[1]!.data).toEqual({ userId: ops.id });
    });
  });

  describe('eligibility', () => {
    it('lets only members of a matching scoped group decide, never the owner', async () => {
      const r = await submit(SQL_WRITE, 'sql', 'prod');
      expect(r.body.status).toBe('pending');
      const outsider = await decide(r.body.id, ops.token, { decision: 'approve' });
      expect(outsider).toMatchObject({ status: 403, body: { error: { code: 'NOT_ELIGIBLE' } } });
      const self = await decide(r.body.id, owner.token, { decision: 'approve' });
      expect(self.body.error.code).toBe('SELF_APPROVAL');
      expect((await decide(r.body.id, dba.token, { decision: 'approve' })).body.status).toBe('approved');
    });

    it('lets any approver decide a request no scoped group matches', async () => {
      const dev = await submit(SQL_WRITE, 'sql', 'dev');
      expect((await decide(dev.body.id, ops.token, { decision: 'approve' })).body.status).toBe('approved');
      const shell = await submit(REVIEW, 'shell', 'prod');
      expect((await decide(shell.body.id, ops.token, { decision: 'approve' })).body.status).toBe('approved');
    });

    it('shows each person only the pending requests they may decide, and all of them to auditors', async () => {
      const scoped = await submit(SQL_WRITE, 'sql', 'PROD');
      const open = await submit(REVIEW);
      const ids = async (token: string, query = '') =>
        (await gh.api(`/v1/requests?status=pending&limit=500${query}`, { token })).body.items.map(
          (i: { id: string }) => i.id,
        );
      expect(await ids(dba.token)).toEqual(expect.arrayContaining([scoped.body.id, open.body.id]));
      expect(await ids(ops.token)).toContain(open.body.id);
      expect(await ids(ops.token)).not.toContain(scoped.body.id);
      expect(await ids(owner.token)).not.toContain(open.body.id);
      expect(await ids(auditor.token)).toEqual([]);
      const all = await gh.api('/v1/requests?status=pending&all=true&limit=500', { token: auditor.token });
      const byId = new Map(all.body.items.map((i: { id: string; eligible: boolean }) => [i.id, i]));
      expect(byId.get(scoped.body.id)).toMatchObject({
        eligible: false,
        agent: { id: agentId, owner: owner.id },
      });
      expect((await gh.api('/v1/requests?status=pending&all=true', { token: ops.token })).status).toBe(403);

      const detail = async (token: string) =>
        (await gh.api(`/v1/requests/${scoped.body.id}`, { token })).body.eligible;
      expect(await detail(dba.token)).toBe(true);
      expect(await detail(ops.token)).toBe(false);
      expect(await detail(owner.token)).toBe(false);
      expect(await detail(auditor.token)).toBe(false);
    });
  });

  describe('comments', () => {
    it('requires a comment to reject', async () => {
      const r = await submit(REVIEW);
      const bare = await decide(r.body.id, ops.token, { decision: 'reject' });
      expect(bare).toMatchObject({ status: 400, body: { error: { code: 'COMMENT_REQUIRED' } } });
      const blank = await decide(r.body.id, ops.token, { decision: 'reject', comment: '   ' });
      expect(blank.body.error.code).toBe('COMMENT_REQUIRED');
      expect(
        (await decide(r.body.id, ops.token, { decision: 'reject', comment: 'not in the freeze' })).body
          .status,
      ).toBe('rejected');
    });

    it('requires a comment for every multi-party approval, and shows the quorum progress', async () => {
      const r = await submit(MULTI);
      expect((await decide(r.body.id, ops.token, { decision: 'approve' })).body.error.code).toBe(
        'COMMENT_REQUIRED',
      );
      await decide(r.body.id, ops.token, { decision: 'approve', comment: 'decommissioning db-1' });
      const detail = await gh.api(`/v1/requests/${r.body.id}`, { token: dba.token });
      expect(detail.body).toMatchObject({
        approvals: 1,
        required: 2,
        approvers: [ops.id],
        eligible: true,
        decisions: [
          {
            userId: ops.id,
            email: 'ops@example.com',
            decision: 'approve',
            comment: 'decommissioning db-1',
            createdAt: expect.any(String),
          },
        ],
        agent: { id: agentId, name: 'db-bot', type: 'coding-agent', owner: owner.id },
      });
      expect((await gh.api(`/v1/requests/${r.body.id}`, { token: ops.token })).body.eligible).toBe(false);
    });
  });

  describe('agents', () => {
    it('lists agents with owner and revocation to admins, auditors and approvers', async () => {
      const list = await gh.api('/v1/agents', { token: auditor.token });
      expect(list.status).toBe(200);
      expect(list.body.items).toContainEqual(
        expect.objectContaining({
          id: agentId,
          name: 'db-bot',
          type: 'coding-agent',
          owner: owner.id,
          createdAt: expect.any(String),
          revokedAt: null,
        }),
      );
      expect(list.body.items[0].key).toBeUndefined();
      // Approvers pick agents by name in the history; agents themselves list nothing.
      expect((await gh.api('/v1/agents', { token: ops.token })).status).toBe(200);
      expect((await gh.api('/v1/agents', { token: session })).status).toBe(403);
    });
  });
});
