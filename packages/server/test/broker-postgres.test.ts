import { schema } from '@gatehouse/db';
import { commandHash } from '@gatehouse/verdict';
import { eq, sql } from 'drizzle-orm';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import {
  createPostgresTarget,
  registerTarget,
  runBrokered,
  SECRET_ROWS,
  type TestTarget,
} from '../../../test/support/targets.ts';
import { resultDigest } from '../src/broker/result.ts';
import { cancelExecutionsUnderGrant } from '../src/broker/service.ts';
import { openSession } from '../src/broker/targets.ts';
import { grantRegistry } from '../src/grants/registry.ts';

/** Everything in the rows that masking must keep from the agent, the recording and the audit log. */
const SECRETS = SECRET_ROWS.flatMap((r) => [r.email, r.card, r.token, 'AKIAIOSFODNN7EXAMPLE']);

describe('brokered SQL on PostgreSQL', () => {
  let gh: TestGatehouse;
  let target: TestTarget;
  let session: string;
  let agentId: string;
  let approver: { id: string; token: string };
  let auditor: { token: string };
  const logs: string[] = [];

  beforeAll(async () => {
    target = await createPostgresTarget();
    gh = await startGatehouse({
      redis: false,
      logLines: logs,
      env: { GATEHOUSE_BROKER_STATEMENT_TIMEOUT_MS: '1500', GATEHOUSE_BROKER_ROW_CAP: '1000' },
    });
    const agent = await gh.createAgent({ name: 'sql-bot', type: 'sql-agent' });
    agentId = agent.id;
    session = await gh.session(agent.key);
    approver = await gh.createUser('dba@example.com', ['approver']);
    auditor = await gh.createUser('auditor@example.com', ['auditor']);
    await registerTarget(gh, target, {
      name: 'orders-pg',
      description: 'orders, read replica',
      grant: { agentType: 'sql-agent' },
    });
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
    await target?.drop();
  });

  const submit = (command: string, connection = 'orders-pg', token = session) =>
    gh.api('/v1/requests', { token, body: { kind: 'sql', connection, command } });
  const execute = (id: string, token = session) => gh.api(`/v1/requests/${id}/execute`, { token, body: {} });

  const run = (command: string) =>
    runBrokered(gh.api, { session, approver: approver.token, connection: 'orders-pg', command });

  it('registers a connection whose login no answer, audit event or log line carries', async () => {
    const list = await gh.api('/v1/connections', { token: gh.adminToken });
    const one = await gh.api('/v1/connections/orders-pg', { token: gh.adminToken });
    const patched = await gh.api('/v1/connections/orders-pg', {
      method: 'PATCH',
      token: gh.adminToken,
      body: { description: 'orders', password: target.password },
    });
    expect(patched.status).toBe(200);
    expect(one.body).toMatchObject({ name: 'orders-pg', engine: 'postgresql', database: target.database });
    for (const answer of [list.body, one.body, patched.body]) {
      const text = JSON.stringify(answer);
      expect(text).not.toContain(target.password);
      expect(text).not.toContain(target.user);
    }
    const [stored] = await gh.running.runtime.database.db.select().from(schema.connections);
    expect(stored!.credentialsEnc).not.toContain(target.password);
    // Agents and people without the admin role do not see connections at all.
    expect((await gh.api('/v1/connections', { token: session })).status).toBe(403);
    expect((await gh.api('/v1/connections', { token: auditor.token })).status).toBe(403);
  });

  it('runs an auto-approved SELECT and answers, records and audits it masked', async () => {
    // Aliases keep the column rules out of it: the values themselves must be recognised.
    const { id, answer } = await run(
      'select id, email as contact, card as payment, note, token as blob from customers order by id',
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      columns: ['id', 'contact', 'payment', 'note', 'blob'],
      rowCount: 2,
      truncated: false,
      readOnly: true,
    });
    const text = JSON.stringify(answer.body);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(answer.body.rows[0][1]).toBe('[MASKED:EMAIL]');
    expect(answer.body.rows[0][2]).toBe('[MASKED:CARD]');
    expect(answer.body.rows[0][4]).toBe('[MASKED:JWT]');
    expect(answer.body.rows[1][4]).toBe('[MASKED:GITHUB_TOKEN]');
    expect(answer.body.rows[1][3]).toBe('nothing secret here');
    expect(answer.body.masked).toMatchObject({
      EMAIL: 2,
      CARD: 2,
      JWT: 1,
      AWS_ACCESS_KEY: 1,
      GITHUB_TOKEN: 1,
    });
    expect(answer.body.sha256).toBe(resultDigest(answer.body.columns, answer.body.rows));
    // A column named like a secret is masked whole, whatever it holds.
    const named = await run('select email, note from customers where id = 2');
    expect(named.answer.body.rows).toEqual([['[MASKED:COLUMN]', 'nothing secret here']]);

    const recording = await gh.api(`/v1/requests/${id}/recording`, { token: auditor.token });
    expect(recording.status).toBe(200);
    const stored = JSON.parse(recording.body.chunks[0].data);
    expect(stored.rows).toEqual(answer.body.rows);

    const [event] = await gh.running.runtime.database.db
      .select()
      .from(schema.auditEvents)
      .where(
        sql`${schema.auditEvents.subjectId} = ${id} and ${schema.auditEvents.type} = 'request.executed'`,
      );
    expect(event!.data).toMatchObject({ connection: 'orders-pg', rowCount: 2, sha256: answer.body.sha256 });

    // The gateway's record cannot be replaced by the agent's own report.
    const report = await gh.api(`/v1/requests/${id}/result`, {
      token: session,
      body: { exitCode: 0, durationMs: 1 },
    });
    expect(report.body.error.code).toBe('RESULT_NOT_ALLOWED');

    // Single use: the verdict was consumed by the first execution.
    const again = await execute(id);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('VERDICT_ALREADY_USED');
  });

  it('binds the verdict to the connection: its command hash names it', async () => {
    const command = 'select count(*) from customers';
    const r = await submit(command);
    const claims = decodeJwt(r.body.verdict);
    const covered = (target: string) => commandHash({ kind: 'sql', dialect: 'postgresql', command, target });
    expect(claims.cmd).toBe(covered('connection:orders-pg'));
    expect(claims.cmd).not.toBe(covered('connection:orders-other'));
    expect(claims.cmd).not.toBe(covered(target.database));
    // Approvers see where it runs: the connection is in the request's context.
    const approverView = await gh.api(`/v1/requests/${r.body.id}`, { token: approver.token });
    expect(approverView.body.context).toMatchObject({ connection: 'orders-pg', database: target.database });
  });

  it('runs a statement scored read-only READ ONLY: a mis-scored write fails instead of writing', async () => {
    const nextval = await run("select nextval('ticket_seq')");
    expect(nextval.submitted.status).toBe('auto_approved');
    expect(nextval.answer.status).toBe(422);
    expect(nextval.answer.body.error.code).toBe('TARGET_ERROR');
    expect(nextval.answer.body.error.message).toMatch(/read-only transaction/);
    expect(await target.adminQuery('select is_called from ticket_seq')).toEqual([{ is_called: false }]);

    // The broker owns the transaction: a COMMIT in the text would end READ ONLY for what follows.
    const smuggled = await submit("select 1; commit; select nextval('ticket_seq')");
    expect(smuggled.status).toBe(400);
    expect(smuggled.body.error.code).toBe('STATEMENT_NOT_BROKERABLE');
    // And if a parser missed one, the session itself is read-only.
    const [row] = await gh.running.runtime.database.db
      .select()
      .from(schema.connections)
      .where(eq(schema.connections.name, 'orders-pg'));
    const s = await openSession(
      { row: row!, login: { user: target.user, password: target.password } },
      2_000,
      true,
    );
    try {
      const plan = {
        statement: "select 1; commit; select nextval('ticket_seq')",
        readOnly: true,
        multi: true,
        rowCap: 10,
        timeoutMs: 1_000,
        connectTimeoutMs: 2_000,
      };
      await expect(s.run(plan, () => {})).rejects.toThrow(/read-only transaction/);
    } finally {
      await s.close();
    }
    expect(await target.adminQuery('select is_called from ticket_seq')).toEqual([{ is_called: false }]);

    const locking = await run('select * from customers for update');
    expect(locking.submitted.status).toBe('auto_approved');
    expect(locking.answer.body.error.code).toBe('TARGET_ERROR');
  });

  it('runs an approved write as approved, and reports what it changed', async () => {
    const { submitted, answer } = await run(
      "insert into audit_trail (what) values ('brokered') returning id",
    );
    expect(submitted.status).toBe('pending');
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ columns: ['id'], rows: [[1]], affectedRows: 1, readOnly: false });
    expect(await target.adminQuery('select what from audit_trail')).toEqual([{ what: 'brokered' }]);
  });

  it('withholds a result it cannot mask and rolls the statement back (fail closed)', async () => {
    const config = gh.running.runtime.config as { masking?: unknown };
    const before = config.masking;
    config.masking = {
      get detectors(): never {
        throw new Error('masking broke');
      },
    };
    try {
      const { answer } = await run("insert into audit_trail (what) values ('unmaskable') returning what");
      expect(answer.status).toBe(500);
      expect(answer.body.error.code).toBe('RESULT_WITHHELD');
      expect(JSON.stringify(answer.body)).not.toContain('unmaskable');
    } finally {
      config.masking = before;
    }
    expect(
      await target.adminQuery("select count(*)::int as n from audit_trail where what = 'unmaskable'"),
    ).toEqual([{ n: 0 }]);
  });

  it('caps the rows and says the result was truncated', async () => {
    const { answer } = await run('select n, label from numbers order by n');
    expect(answer.status).toBe(200);
    expect(answer.body.rowCount).toBe(1000);
    expect(answer.body.rows).toHaveLength(1000);
    expect(answer.body.truncated).toBe(true);
  });

  it('cancels a statement that runs past the timeout', async () => {
    const started = Date.now();
    const { answer } = await run('select count(*) from generate_series(1, 2000000000)');
    expect(answer.status).toBe(422);
    expect(answer.body.error.code).toBe('STATEMENT_TIMEOUT');
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('runs approved multi-statement text, and a single approved statement only as one', async () => {
    const { submitted, answer } = await run('select 1 as one; select 2 as two');
    expect(submitted.reasons.map((r: { rule: string }) => r.rule)).toContain('sql.multi-statement');
    expect(answer.body).toMatchObject({ columns: ['two'], rows: [[2]] });
    // The single-statement path is the extended protocol: PostgreSQL itself refuses a second one.
    const [row] = await gh.running.runtime.database.db
      .select()
      .from(schema.connections)
      .where(eq(schema.connections.name, 'orders-pg'));
    const s = await openSession(
      { row: row!, login: { user: target.user, password: target.password } },
      2_000,
      false,
    );
    try {
      const plan = {
        statement: 'select 1; select 2',
        readOnly: true,
        multi: false,
        rowCap: 10,
        timeoutMs: 1_000,
        connectTimeoutMs: 2_000,
      };
      await expect(s.run(plan, () => {})).rejects.toThrow(/multiple commands/);
    } finally {
      await s.close();
    }
  });

  it('refuses an unknown connection (404), a missing grant (403) and a long statement (413), auditing refusals', async () => {
    const unknown = await submit('select 1', 'no-such-db');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('CONNECTION_NOT_FOUND');

    const other = await gh.createAgent({ name: 'other-bot', type: 'coding-agent' });
    const otherSession = await gh.session(other.key);
    const refused = await submit('select 1', 'orders-pg', otherSession);
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('CONNECTION_NOT_GRANTED');

    const long = await submit(`select '${'x'.repeat(20_000)}'`);
    expect(long.status).toBe(413);
    expect(long.body.error.code).toBe('STATEMENT_TOO_LONG');

    const shell = await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'shell', connection: 'orders-pg', command: 'ls' },
    });
    expect(shell.body.error.code).toBe('CONNECTION_INVALID');

    const events = await gh.running.runtime.database.db
      .select({ data: schema.auditEvents.data })
      .from(schema.auditEvents)
      .where(eq(schema.auditEvents.type, 'request.refused'));
    expect(events.map((e) => e.data.reason)).toEqual(
      expect.arrayContaining(['CONNECTION_NOT_FOUND', 'CONNECTION_NOT_GRANTED']),
    );
    // A plain request cannot be executed by the gateway.
    const plain = await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'sql', command: 'select 1' },
    });
    expect((await execute(plain.body.id)).body.error.code).toBe('REQUEST_NOT_BROKERED');
  });

  it('rechecks at execute: a revoked connection grant or a deleted connection stops the run', async () => {
    await gh.api('/v1/connections', {
      token: gh.adminToken,
      body: {
        name: 'short-lived',
        engine: 'postgresql',
        host: target.host,
        port: target.port,
        database: target.database,
        user: target.user,
        password: target.password,
      },
    });
    const grant = await gh.api('/v1/connections/short-lived/grants', {
      token: gh.adminToken,
      body: { agentId },
    });
    const first = await submit('select 1', 'short-lived');
    const second = await submit('select 2', 'short-lived');
    expect([first.body.status, second.body.status]).toEqual(['auto_approved', 'auto_approved']);
    const revoked = await gh.api(`/v1/connections/short-lived/grants/${grant.body.id}`, {
      method: 'DELETE',
      token: gh.adminToken,
    });
    expect(revoked.status).toBe(204);
    expect((await execute(first.body.id)).body.error.code).toBe('CONNECTION_NOT_GRANTED');
    const deleted = await gh.api('/v1/connections/short-lived', { method: 'DELETE', token: gh.adminToken });
    expect(deleted.status).toBe(204);
    expect((await execute(second.body.id)).body.error.code).toBe('CONNECTION_NOT_FOUND');
    expect((await gh.api('/v1/connections/short-lived', { token: gh.adminToken })).status).toBe(404);
  });

  it('answers 503 naming the connection, never its login, when the target is unreachable or refuses it', async () => {
    for (const [name, body] of [
      ['down-pg', { host: '127.0.0.1', port: 1, user: target.user, password: target.password }],
      // The machine's pg_hba trusts loopback, so a login is refused here by naming no such role.
      ['badlogin-pg', { host: target.host, port: target.port, user: 'ghost_login', password: 'wrong-pw-x' }],
    ] as const) {
      await gh.api('/v1/connections', {
        token: gh.adminToken,
        body: { name, engine: 'postgresql', database: target.database, ...body },
      });
      await gh.api(`/v1/connections/${name}/grants`, { token: gh.adminToken, body: { agentId } });
      const r = await submit('select 1', name);
      const answer = await execute(r.body.id);
      expect(answer.status).toBe(503);
      expect(answer.body.error.code).toBe('TARGET_UNREACHABLE');
      expect(answer.body.error.message).toContain(name);
      for (const secret of [target.user, target.password, 'ghost_login', 'wrong-pw-x'])
        expect(JSON.stringify(answer.body)).not.toContain(secret);
    }
  });

  it('cancels a running statement on the target when the grant it ran under ends', async () => {
    const admin = await gh.createUser('dba-lead@example.com', ['approver', 'admin']);
    // A just-in-time grant on the connection, asked for by the agent and approved by a person.
    const asked = await gh.api('/v1/grants', {
      token: session,
      body: {
        scope: { type: 'connection', connection: 'orders-pg' },
        ceiling: 'review',
        durationMinutes: 5,
        reason: 'investigating slow orders',
      },
    });
    expect(asked.status).toBe(201);
    const approved = await gh.api(`/v1/requests/${asked.body.request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve' },
    });
    expect(approved.status).toBe(200);
    // pg_sleep is a side effect (review); under the grant it runs without waiting for a person.
    let r = await submit('select pg_sleep(5)');
    for (let i = 0; i < 40 && r.body.status !== 'auto_approved'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      r = await submit('select pg_sleep(5)');
    }
    expect(r.body.status).toBe('auto_approved');
    expect(r.body.reasons[0].rule).toBe(`grant:${asked.body.grant.id}`);

    const started = Date.now();
    const running = execute(r.body.id);
    // Revoked once the statement is on the target (the broker registers it when the session opens).
    await new Promise((resolve) => setTimeout(resolve, 300));
    const revoked = await gh.api(`/v1/grants/${asked.body.grant.id}/revoke`, {
      token: admin.token,
      body: {},
    });
    expect(revoked.status).toBe(200);
    const answer = await running;
    expect(answer.status).toBe(409);
    expect(answer.body.error.code).toBe('EXECUTION_CANCELLED');
    // Well before the statement timeout (1.5 s): the grant's end stopped it, not the timeout.
    expect(Date.now() - started).toBeLessThan(1_400);
  });

  it('cancels a running statement when the grant it ran under expires', async () => {
    const asked = await gh.api('/v1/grants', {
      token: session,
      body: {
        scope: { type: 'connection', connection: 'orders-pg' },
        ceiling: 'review',
        durationMinutes: 1,
        reason: 'a short look',
      },
    });
    await gh.api(`/v1/requests/${asked.body.request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve' },
    });
    let r = await submit('select pg_sleep(4)');
    for (let i = 0; i < 40 && r.body.status !== 'auto_approved'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      r = await submit('select pg_sleep(4)');
    }
    expect(r.body.status).toBe('auto_approved');
    const spare = await submit('select pg_sleep(4)');
    expect(spare.body.status).toBe('auto_approved');
    const started = Date.now();
    const running = execute(r.body.id);
    // The grant's minute ends 600 ms from now: as if it had been approved 59.4 s ago. The
    // registry's end timer follows the data on its next reload; nobody revokes anything.
    await gh.running.runtime.database.db
      .update(schema.requests)
      .set({ decidedAt: new Date(Date.now() - 60_000 + 600) })
      .where(eq(schema.requests.id, asked.body.request.id));
    await grantRegistry(gh.running.runtime)!.reload();
    const answer = await running;
    expect(answer.body.error.code).toBe('EXECUTION_CANCELLED');
    expect(Date.now() - started).toBeLessThan(1_400);
    // Approved under the grant but executed after its end: refused before anything runs.
    const late = await execute(spare.body.id);
    expect(late.status).toBe(409);
    expect(late.body.error).toMatchObject({
      code: 'EXECUTION_CANCELLED',
      message: expect.stringMatching(/has ended/),
    });
  });

  it('cancelExecutionsUnderGrant stops only executions approved under that grant', async () => {
    const r = await submit('select count(*) from generate_series(1, 2000000000)');
    const running = execute(r.body.id);
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect(await cancelExecutionsUnderGrant(gh.running.runtime, 'grt_unrelated')).toBe(0);
    const answer = await running;
    expect(answer.body.error.code).toBe('STATEMENT_TIMEOUT');
  });

  it('never wrote the password into the audit log or a log line', async () => {
    const events = await gh.running.runtime.database.db.select().from(schema.auditEvents);
    expect(events.length).toBeGreaterThan(10);
    const audit = JSON.stringify(events);
    expect(audit).not.toContain(target.password);
    expect(audit).not.toContain(target.user);
    for (const secret of SECRETS) expect(audit).not.toContain(secret);
    expect(logs.length).toBeGreaterThan(10);
    const logText = logs.join('\n');
    expect(logText).not.toContain(target.password);
    expect(logText).not.toContain(target.user);
  });
});
