import { schema } from '@gatehouse/db';
import { eq } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import {
  createMariadbTarget,
  registerTarget,
  runBrokered,
  SECRET_ROWS,
  type TestTarget,
} from '../../../test/support/targets.ts';
import { openSession } from '../src/broker/targets.ts';

const SECRETS = SECRET_ROWS.flatMap((r) => [r.email, r.card, r.token, 'AKIAIOSFODNN7EXAMPLE']);

describe('brokered SQL on MariaDB', () => {
  let gh: TestGatehouse;
  let target: TestTarget;
  let session: string;
  let approver: { token: string };
  let admin: { token: string };
  const logs: string[] = [];

  beforeAll(async () => {
    target = await createMariadbTarget();
    gh = await startGatehouse({
      redis: false,
      logLines: logs,
      env: { GATEHOUSE_BROKER_STATEMENT_TIMEOUT_MS: '1500', GATEHOUSE_BROKER_ROW_CAP: '1000' },
    });
    const agent = await gh.createAgent({ name: 'maria-bot', type: 'sql-agent' });
    session = await gh.session(agent.key);
    approver = await gh.createUser('dba@example.com', ['approver']);
    admin = await gh.createUser('lead@example.com', ['admin']);
    // Granted to this one agent by id.
    await registerTarget(gh, target, { name: 'shop-maria', grant: { agentId: agent.id } });
  }, 60_000);
  afterAll(async () => {
    await gh?.stop();
    await target?.drop();
  });

  const submit = (command: string, connection = 'shop-maria') =>
    gh.api('/v1/requests', { token: session, body: { kind: 'sql', connection, command } });
  const execute = (id: string) => gh.api(`/v1/requests/${id}/execute`, { token: session, body: {} });

  const run = (command: string) =>
    runBrokered(gh.api, { session, approver: approver.token, connection: 'shop-maria', command });

  it('answers real rows masked, with the dialect taken from the connection', async () => {
    const { id, answer } = await run(
      'select id, email as contact, card as payment, note, token as payload from customers order by id',
    );
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({
      columns: ['id', 'contact', 'payment', 'note', 'payload'],
      rowCount: 2,
    });
    const text = JSON.stringify(answer.body);
    for (const secret of SECRETS) expect(text).not.toContain(secret);
    expect(answer.body.rows[0]).toEqual([
      1,
      '[MASKED:EMAIL]',
      '[MASKED:CARD]',
      'key [MASKED:AWS_ACCESS_KEY] in the note',
      '[MASKED:JWT]',
    ]);
    const [request] = await gh.running.runtime.database.db
      .select()
      .from(schema.requests)
      .where(eq(schema.requests.id, id));
    expect(request).toMatchObject({ dialect: 'mariadb', target: 'connection:shop-maria' });
  });

  it('runs scored reads READ ONLY: a sequence or a locking read fails instead of writing', async () => {
    const nextval = await run('select nextval(ticket_seq)');
    expect(nextval.submitted.status).toBe('auto_approved');
    expect(nextval.answer.status).toBe(422);
    expect(nextval.answer.body.error.code).toBe('TARGET_ERROR');
    expect(nextval.answer.body.error.message).toMatch(/READ ONLY/);
    const locking = await run('select * from customers for update');
    expect(locking.answer.body.error.code).toBe('TARGET_ERROR');
    const smuggled = await submit('select 1; commit; select nextval(ticket_seq)');
    expect(smuggled.body.error.code).toBe('STATEMENT_NOT_BROKERABLE');
    // A COMMIT the parsers missed still leaves a read-only session behind it.
    const [row] = await gh.running.runtime.database.db
      .select()
      .from(schema.connections)
      .where(eq(schema.connections.name, 'shop-maria'));
    const s = await openSession(
      { row: row!, login: { user: target.user, password: target.password } },
      2_000,
      true,
    );
    try {
      const plan = {
        statement: 'select 1; commit; select nextval(ticket_seq)',
        readOnly: true,
        multi: true,
        rowCap: 10,
        timeoutMs: 1_000,
        connectTimeoutMs: 2_000,
      };
      await expect(s.run(plan, () => {})).rejects.toThrow(/READ ONLY/);
    } finally {
      await s.close();
    }
  });

  it('runs an approved write, and the least-privilege login stops what it was not granted', async () => {
    const insert = await run("insert into audit_trail (what) values ('brokered')");
    expect(insert.submitted.status).toBe('pending');
    expect(insert.answer.status).toBe(200);
    expect(insert.answer.body).toMatchObject({ affectedRows: 1, readOnly: false });
    expect(await target.adminQuery('select what from audit_trail')).toEqual([{ what: 'brokered' }]);

    const update = await run("update customers set note = 'x' where id = 1");
    expect(update.answer.status).toBe(422);
    expect(update.answer.body.error.message).toMatch(/denied/i);
    // The target names the user in its refusal; the gateway does not pass the login on.
    expect(update.answer.body.error.message).not.toContain(target.user);
  });

  it('caps rows, times out, and runs several statements only when they were approved', async () => {
    const capped = await run('select n, label from numbers order by n');
    expect(capped.answer.body).toMatchObject({ rowCount: 1000, truncated: true });

    const slow = await run(
      'select count(*) from seq_1_to_100000 a, seq_1_to_100000 b where a.seq + b.seq = 7',
    );
    expect(slow.answer.status).toBe(422);
    expect(slow.answer.body.error.code).toBe('STATEMENT_TIMEOUT');

    const multi = await run('select 1 as one; select 2 as two');
    expect(multi.answer.body).toMatchObject({ columns: ['two'], rows: [[2]] });

    const [row] = await gh.running.runtime.database.db
      .select()
      .from(schema.connections)
      .where(eq(schema.connections.name, 'shop-maria'));
    const single = await openSession(
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
      await expect(single.run(plan, () => {})).rejects.toThrow(/SQL syntax/);
    } finally {
      await single.close();
    }
  });

  it('kills the running query (KILL QUERY) when the grant it ran under is revoked', async () => {
    const asked = await gh.api('/v1/grants', {
      token: session,
      body: {
        scope: { type: 'connection', connection: 'shop-maria' },
        ceiling: 'review',
        durationMinutes: 5,
        reason: 'maintenance window',
      },
    });
    await gh.api(`/v1/requests/${asked.body.request.id}/decisions`, {
      token: approver.token,
      body: { decision: 'approve' },
    });
    let r = await submit('select sleep(5)');
    for (let i = 0; i < 40 && r.body.status !== 'auto_approved'; i++) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      r = await submit('select sleep(5)');
    }
    expect(r.body.status).toBe('auto_approved');
    const started = Date.now();
    const running = execute(r.body.id);
    await new Promise((resolve) => setTimeout(resolve, 300));
    await gh.api(`/v1/grants/${asked.body.grant.id}/revoke`, { token: admin.token, body: {} });
    const answer = await running;
    expect(answer.body.error.code).toBe('EXECUTION_CANCELLED');
    expect(Date.now() - started).toBeLessThan(1_400);
  });

  it('answers 503 for an unreachable target, and never logs or audits the login', async () => {
    await gh.api('/v1/connections', {
      token: gh.adminToken,
      body: {
        name: 'down-maria',
        engine: 'mariadb',
        host: '127.0.0.1',
        port: 1,
        database: target.database,
        user: target.user,
        password: target.password,
      },
    });
    await gh.api('/v1/connections/down-maria/grants', {
      token: gh.adminToken,
      body: { agentType: 'sql-agent' },
    });
    const r = await submit('select 1', 'down-maria');
    const answer = await execute(r.body.id);
    expect(answer.status).toBe(503);
    expect(answer.body.error).toMatchObject({ code: 'TARGET_UNREACHABLE' });
    expect(answer.body.error.message).toContain('down-maria');
    expect(JSON.stringify(answer.body)).not.toContain(target.password);

    const audit = JSON.stringify(await gh.running.runtime.database.db.select().from(schema.auditEvents));
    const logText = logs.join('\n');
    for (const text of [audit, logText]) {
      expect(text).not.toContain(target.password);
      expect(text).not.toContain(target.user);
    }
  });
});
