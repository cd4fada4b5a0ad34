import { schema } from '@gatehouse/db';
import { asc, eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { type ExportLine, verifyExport } from '../src/audit/log.ts';

/**
 * The audit log through the HTTP API, for those who cannot open the database: the embedded
 * database while its server runs, or an auditor without database credentials.
 */
describe('audit and incident API', () => {
  let gh: TestGatehouse;
  let auditor: { id: string; token: string };
  let approver: { id: string; token: string };
  let agent: { id: string; key: string };
  const since = new Date(Date.now() - 60_000).toISOString();

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    auditor = await gh.createUser('auditor@example.com', ['auditor']);
    approver = await gh.createUser('approver@example.com', ['approver']);
    agent = await gh.createAgent({ name: 'exported' });
    const session = await gh.session(agent.key);
    for (const command of ['ls', 'cat notes.txt'])
      await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } });
    await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'shell', command: 'systemctl restart nginx' },
    });
    expect((await gh.api('/v1/audit/checkpoints', { token: gh.adminToken, body: {} })).status).toBe(201);
  });
  afterAll(async () => gh?.stop());

  const eventsOfType = (type: string) =>
    gh.running.runtime.database.db
      .select()
      .from(schema.auditEvents)
      .where(eq(schema.auditEvents.type, type))
      .orderBy(asc(schema.auditEvents.id));

  const exportRequest = (query: string, token?: string) =>
    fetch(new URL(`/v1/audit/export${query}`, gh.url), {
      headers: token ? { authorization: `Bearer ${token}` } : {},
    });

  it('verifies the log for an auditor and records that it did', async () => {
    const r = await gh.api('/v1/audit/verify', { token: auditor.token, body: {} });
    expect(r.status).toBe(200);
    expect(r.body).toMatchObject({ ok: true, problems: [], checkpoints: 1 });
    expect(r.body.events).toBeGreaterThan(5);
    expect(r.body.covered).toBeGreaterThan(0);
    expect(r.body.covered).toBeLessThanOrEqual(r.body.events);
    const [event] = await eventsOfType('audit.verified');
    expect(event).toMatchObject({
      actorType: 'user',
      actorId: auditor.id,
      data: { ok: true, events: r.body.events, problems: 0 },
    });
    // A call with no body at all is as good as `{}`.
    const bare = await fetch(new URL('/v1/audit/verify', gh.url), {
      method: 'POST',
      headers: { authorization: `Bearer ${gh.adminToken}` },
    });
    expect(bare.status).toBe(200);
  });

  it('streams an export that verifies offline, and records it once sent', async () => {
    const response = await exportRequest(
      `?since=${encodeURIComponent(since)}&agent=${agent.id}`,
      auditor.token,
    );
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/x-ndjson/);
    const lines = (await response.text())
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l) as ExportLine);
    expect(lines[0]).toMatchObject({ type: 'header', filter: { agentId: agent.id, since } });
    const selected = lines.filter((l) => l.type === 'event' && l.selected);
    expect(selected.length).toBeGreaterThanOrEqual(4);
    const trusted = (await gh.api('/v1/audit/keys')).body.keys;
    const report = await verifyExport(
      (async function* () {
        yield* lines;
      })(),
      trusted,
    );
    expect(report).toMatchObject({ ok: true, problems: [] });

    const [event] = await eventsOfType('audit.exported');
    expect(event).toMatchObject({
      actorId: auditor.id,
      data: { filter: { since, agent: agent.id }, lines: lines.length, complete: true },
    });
  });

  it('bundles an incident with the files the CLI writes', async () => {
    const r = await gh.api('/v1/incidents/export', {
      token: auditor.token,
      body: { agent: agent.id, since },
    });
    expect(r.status).toBe(200);
    const names = r.body.files.map((f: { name: string }) => f.name);
    expect(names).toEqual([
      'agent.jsonl',
      'requests.jsonl',
      'decisions.jsonl',
      'executions.jsonl',
      'recordings.jsonl',
      'sessions.jsonl',
      'grants.jsonl',
      'audit.jsonl',
      'manifest.json',
    ]);
    const file = (name: string) => r.body.files.find((f: { name: string }) => f.name === name).content;
    expect(JSON.parse(file('manifest.json'))).toEqual(r.body.manifest);
    expect(r.body.manifest.audit.ok).toBe(true);
    expect(file('requests.jsonl').trimEnd().split('\n')).toHaveLength(3);
    expect(file('agent.jsonl')).not.toContain('keyHash');
    const [event] = await eventsOfType('incident.exported');
    expect(event).toMatchObject({
      actorId: auditor.id,
      data: { agent: agent.id, since, files: 9, ok: true },
    });
  });

  it('refuses callers without the role, bad input and unknown agents', async () => {
    expect((await gh.api('/v1/audit/verify', { body: {} })).status).toBe(401);
    expect((await exportRequest('')).status).toBe(401);
    expect((await gh.api('/v1/incidents/export', { body: { agent: agent.id, since } })).status).toBe(401);

    const asApprover = await gh.api('/v1/audit/verify', { token: approver.token, body: {} });
    expect(asApprover.status).toBe(403);
    expect(asApprover.body.error.code).toBe('FORBIDDEN');
    expect((await exportRequest('', approver.token)).status).toBe(403);
    expect(
      (await gh.api('/v1/incidents/export', { token: approver.token, body: { agent: agent.id, since } }))
        .status,
    ).toBe(403);

    const badSince = await exportRequest('?since=yesterday', auditor.token);
    expect(badSince.status).toBe(400);
    expect(((await badSince.json()) as { error: { code: string } }).error.code).toBe('VALIDATION_FAILED');
    expect((await exportRequest('?limit=5', auditor.token)).status).toBe(400);
    const badBody = await gh.api('/v1/incidents/export', {
      token: auditor.token,
      body: { agent: agent.id, since: 'last tuesday' },
    });
    expect(badBody.status).toBe(400);
    expect(badBody.body.error).toEqual({ code: 'VALIDATION_FAILED', message: expect.any(String) });

    const unknown = await gh.api('/v1/incidents/export', {
      token: auditor.token,
      body: { agent: 'agt_nobody', since },
    });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error).toEqual({ code: 'AGENT_NOT_FOUND', message: 'no agent agt_nobody' });
  });

  it('documents the routes in the OpenAPI document', async () => {
    const doc = (await gh.api('/docs/json')).body;
    expect(doc.paths['/v1/audit/verify'].post).toBeDefined();
    expect(doc.paths['/v1/audit/export'].get.parameters.map((p: { name: string }) => p.name).sort()).toEqual([
      'agent',
      'since',
      'until',
    ]);
    expect(doc.paths['/v1/incidents/export'].post.requestBody).toBeDefined();
  });

  it('records an export the client broke off as incomplete', async () => {
    // Far more than socket buffers hold, so the server cannot have sent it all.
    const filler = 'x'.repeat(800);
    await Promise.all(
      Array.from({ length: 20_000 }, (_, i) =>
        gh.running.runtime.audit.append({
          type: 'test.filler',
          actor: { type: 'system', id: 'test' },
          data: { i, filler },
        }),
      ),
    );
    const abort = new AbortController();
    const response = await fetch(new URL('/v1/audit/export', gh.url), {
      headers: { authorization: `Bearer ${auditor.token}` },
      signal: abort.signal,
    });
    const reader = response.body!.getReader();
    await reader.read();
    abort.abort();
    let recorded: { data: Record<string, unknown> } | undefined;
    for (let i = 0; i < 50 && !recorded; i++) {
      recorded = (await eventsOfType('audit.exported')).find((e) => e.data.complete === false);
      if (!recorded) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(recorded?.data).toMatchObject({ filter: {}, complete: false });
    expect(recorded?.data.lines).toBeLessThan(20_000);
    expect((await gh.api('/healthz')).status).toBe(200);
  });

  // Last: it leaves the log tampered with.
  it('reports an event edited behind the server’s back', async () => {
    // A superuser that switches the append-only triggers off; the application role cannot.
    const client = new pg.Client({ connectionString: gh.database.url });
    await client.connect();
    try {
      await client.query('set session_replication_role = replica');
      await client.query(
        `update audit_events set data = '{"command":"ls -la"}' where id = (select min(id) from audit_events)`,
      );
    } finally {
      await client.end();
    }
    const r = await gh.api('/v1/audit/verify', { token: gh.adminToken, body: {} });
    expect(r.status).toBe(200);
    expect(r.body.ok).toBe(false);
    expect(r.body.problems[0]).toMatchObject({ kind: 'modified', seq: 1 });
    const events = await eventsOfType('audit.verified');
    expect(events.at(-1)).toMatchObject({
      actorType: 'admin',
      data: { ok: false, problems: r.body.problems.length },
    });
  });
});
