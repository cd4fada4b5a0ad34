import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { csvField, EXPORT_PAGE_SIZE } from '../src/requests/export.ts';

/** Parses the export (RFC 4180: quoted fields may hold commas, quotes and line breaks). */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      i++;
    } else field += c;
  }
  return rows;
}

describe('history for people: who decided, where, what ran, and the CSV export', () => {
  let gh: TestGatehouse;
  let alice: { id: string; token: string };
  let auditor: { id: string; token: string };
  let staging: string;
  let prod: string;
  let prodAgent: { id: string; key: string };

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    alice = await gh.createUser('alice@example.com', ['approver']);
    auditor = await gh.createUser('audrey@example.com', ['auditor']);
    staging = await gh.session((await gh.createAgent({ name: 'stage-bot', environments: ['staging'] })).key);
    prodAgent = await gh.createAgent({ name: 'prod-bot', environments: ['prod'] });
    prod = await gh.session(prodAgent.key);
  });
  afterAll(async () => gh?.stop());

  const submit = async (session: string, command: string) =>
    (await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command } })).body as {
      id: string;
      status: string;
    };

  it('lists who decided, and similar requests carry their agent and environment', async () => {
    const earlier = await submit(staging, 'systemctl restart nginx');
    await gh.api(`/v1/requests/${earlier.id}/decisions`, {
      token: alice.token,
      body: { decision: 'reject', comment: 'not in staging today' },
    });
    const now = await submit(prod, 'systemctl restart nginx');
    const list = await gh.api('/v1/requests?limit=10', { token: auditor.token });
    const item = list.body.items.find((i: { id: string }) => i.id === earlier.id);
    expect(item.decidedBy).toEqual([{ email: 'alice@example.com', decision: 'reject' }]);
    expect(list.body.items.find((i: { id: string }) => i.id === now.id).decidedBy).toEqual([]);

    const detail = await gh.api(`/v1/requests/${now.id}`, { token: alice.token });
    expect(detail.body.similar).toEqual([
      expect.objectContaining({
        id: earlier.id,
        status: 'rejected',
        agent: { id: expect.any(String), name: 'stage-bot' },
        environment: 'staging',
      }),
    ]);
    // It never ran: no execution, nothing recorded.
    expect(detail.body).toMatchObject({ execution: null, recorded: false });
  });

  it('says whether a request ran and whether its output was recorded', async () => {
    const ran = await submit(staging, 'ls -la');
    expect(ran.status).toBe('auto_approved');
    await gh.api(`/v1/requests/${ran.id}/consume`, { token: staging, body: {} });
    const reported = await gh.api(`/v1/requests/${ran.id}/result`, {
      token: staging,
      body: {
        exitCode: 0,
        durationMs: 12,
        output: { truncated: false, chunks: [{ t: 0, stream: 'stdout', data: 'total 0\n' }] },
      },
    });
    expect(reported.status).toBe(201);
    const detail = await gh.api(`/v1/requests/${ran.id}`, { token: auditor.token });
    expect(detail.body).toMatchObject({
      execution: { exitCode: 0, signal: null, durationMs: 12, reportedAt: expect.any(String) },
      recorded: true,
    });
  });

  it('exports exactly what the filters select, across pages, as CSV', async () => {
    // More than one export page, so the keyset walk is what gets tested.
    const count = EXPORT_PAGE_SIZE + 20;
    const tricky = 'echo "a, b"\nexit 0';
    for (let i = 0; i < count; i++) await submit(prod, `cat /tmp/export-${i}.txt`);
    await submit(prod, tricky);
    await submit(staging, 'cat /tmp/export-staging.txt');

    const response = await fetch(new URL(`/v1/requests/export?agent=${prodAgent.id}&q=export-`, gh.url), {
      headers: { authorization: `Bearer ${auditor.token}` },
    });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/csv/);
    expect(response.headers.get('content-disposition')).toMatch(/^attachment; filename="gatehouse-requests-/);
    const rows = parseCsv(await response.text());
    expect(rows[0]).toEqual([
      'id',
      'submitted',
      'agent',
      'agent_id',
      'agent_type',
      'environment',
      'kind',
      'dialect',
      'command',
      'tier',
      'score',
      'status',
      'decided',
      'decided_by',
    ]);
    const body = rows.slice(1);
    expect(body).toHaveLength(count);
    expect(new Set(body.map((r) => r[8])).size).toBe(count);
    expect(body.every((r) => r[2] === 'prod-bot' && r[5] === 'prod')).toBe(true);
    // Newest first, as the history shows it.
    expect(body[0]?.[8]).toBe(`cat /tmp/export-${count - 1}.txt`);

    const all = parseCsv(
      await (
        await fetch(
          new URL(`/v1/requests/export?agent=${prodAgent.id}&q=${encodeURIComponent('a, b')}`, gh.url),
          {
            headers: { authorization: `Bearer ${auditor.token}` },
          },
        )
      ).text(),
    );
    expect(all.slice(1).map((r) => r[8])).toEqual([tricky]);
  });

  it('neutralizes cells a spreadsheet would run as formulas', () => {
    expect(csvField('=HYPERLINK("http://x")')).toBe(`"'=HYPERLINK(""http://x"")"`);
    expect(csvField('@SUM(A1)')).toBe("'@SUM(A1)");
    expect(csvField('ls -la')).toBe('ls -la');
    expect(csvField(45)).toBe('45');
    expect(csvField(null)).toBe('');
  });

  it('refuses bad filters and callers who may not read the history', async () => {
    const bad = await gh.api('/v1/requests/export?status=nope', { token: auditor.token });
    expect([bad.status, bad.body.error.code]).toEqual([400, 'VALIDATION_FAILED']);
    const cursor = await gh.api('/v1/requests/export?cursor=abc', { token: auditor.token });
    expect(cursor.status).toBe(400);
    const all = await gh.api('/v1/requests/export?status=pending&all=true', { token: alice.token });
    expect([all.status, all.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await gh.api('/v1/requests/export', { token: prod })).status).toBe(403);
    expect((await gh.api('/v1/requests/export')).status).toBe(401);
  });
});
