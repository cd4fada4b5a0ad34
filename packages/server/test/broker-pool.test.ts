import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import {
  createMariadbTarget,
  createPostgresTarget,
  registerTarget,
  runBrokered,
  type TestTarget,
} from '../../../test/support/targets.ts';

/**
 * The broker keeps target sessions between runs; these prove a kept session carries nothing
 * from one approved statement into the next, and that a session whose run went wrong is not kept.
 */
for (const engine of ['postgresql', 'mariadb'] as const) {
  describe(`brokered session pool on ${engine}`, () => {
    let gh: TestGatehouse | undefined;
    let target: TestTarget;
    let session: string;
    let approver: { token: string };
    const pg = engine === 'postgresql';
    const backend = pg ? 'select pg_backend_pid()' : 'select connection_id()';

    beforeAll(async () => {
      target = pg ? await createPostgresTarget() : await createMariadbTarget();
      gh = await startGatehouse({
        redis: false,
        env: { GATEHOUSE_BROKER_STATEMENT_TIMEOUT_MS: '1000', GATEHOUSE_BROKER_POOL_SIZE: '2' },
      });
      const agent = await gh.createAgent({ name: 'pool-bot', type: 'pool-agent' });
      session = await gh.session(agent.key);
      approver = await gh.createUser('dba@example.com', ['approver']);
      await registerTarget(gh, target, { name: 'pooled', grant: { agentId: agent.id } });
    }, 60_000);
    afterAll(async () => {
      await gh?.stop();
      await target?.drop();
    });

    const run = async (command: string) =>
      (await runBrokered(gh!.api, { session, approver: approver.token, connection: 'pooled', command }))
        .answer;
    const cell = async (command: string) => {
      const answer = await run(command);
      expect(answer.status, JSON.stringify(answer.body)).toBe(200);
      return answer.body.rows[0][0] as unknown;
    };
    /** The target session a run lands on; the reset happens after the answer, so wait for it. */
    const nextBackend = async () => {
      await new Promise((resolve) => setTimeout(resolve, 150));
      return String(await cell(backend));
    };
    const brokerSessions = async () =>
      pg
        ? (
            (await target.adminQuery(
              `select pid from pg_stat_activity where usename = '${target.user}'`,
            )) as Array<{ pid: number }>
          ).map((r) => String(r.pid))
        : (
            (await target.adminQuery(
              `select id from information_schema.processlist where user = '${target.user}'`,
            )) as Array<{ id: number }>
          ).map((r) => String(r.id));

    it('reuses a session, and a session variable one run sets is gone in the next', async () => {
      const first = await nextBackend();
      const setter = pg
        ? "select set_config('gatehouse.probe', 'leaked', false)"
        : "select @gatehouse_probe := 'leaked'";
      expect(await cell(setter)).toBe('leaked');
      const reader = pg ? "select current_setting('gatehouse.probe', true)" : 'select @gatehouse_probe';
      await new Promise((resolve) => setTimeout(resolve, 150));
      const seen = await cell(reader);
      expect(seen === null || seen === '').toBe(true);
      // The same backend answered all of them: the pool is in use, so the reset is what cleared it.
      expect(await nextBackend()).toBe(first);
    });

    it('releases a lock one run takes before the next run', async () => {
      const take = pg ? 'select pg_try_advisory_lock(4242)' : "select get_lock('gh_probe', 0)";
      expect(await cell(take)).toEqual(pg ? true : 1);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const held = pg
        ? 'select count(*)::int from pg_locks where locktype = $$advisory$$ and objid = 4242'
        : "select is_used_lock('gh_probe')";
      const seen = await cell(held);
      expect(seen === null || seen === 0).toBe(true);
    });

    it.runIf(pg)('drops a temporary table one run creates before the next run', async () => {
      const before = await nextBackend();
      const created = await run('create temporary table leak_probe (x int)');
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const probe = await run('select count(*) from leak_probe');
      expect(probe.status).toBe(422);
      expect(probe.body.error.code).toBe('TARGET_ERROR');
      // The failed probe's session is closed, not kept; the one before it was kept and reset.
      expect(await nextBackend()).not.toBe(before);
    });

    it('leaves a read-only run’s session writable-by-default for the next approved write', async () => {
      const ro = await run('select count(*) from numbers');
      expect(ro.status).toBe(200);
      expect(ro.body.readOnly).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 150));
      const write = await run("insert into audit_trail (what) values ('after a read-only run')");
      expect(write.status, JSON.stringify(write.body)).toBe(200);
      expect(write.body.affectedRows).toBe(1);
    });

    it('closes, never reuses, the session of a run that timed out', async () => {
      const sleep = pg ? 'select pg_sleep(5)' : 'select sleep(5)';
      const answering = run(sleep);
      const sleeper = async () =>
        (
          (await target.adminQuery(
            pg
              ? `select pid::text as id from pg_stat_activity where usename = '${target.user}' and query = '${sleep}'`
              : `select id from information_schema.processlist where user = '${target.user}' and info = '${sleep}'`,
          )) as Array<{ id: unknown }>
        ).map((r) => String(r.id));
      await expect.poll(sleeper, { timeout: 3_000, interval: 50 }).toHaveLength(1);
      const [timedOut] = await sleeper();
      const answer = await answering;
      expect(answer.status).toBe(422);
      expect(answer.body.error.code).toBe('STATEMENT_TIMEOUT');
      await expect.poll(brokerSessions, { timeout: 3_000 }).not.toContain(timedOut);
      expect(await nextBackend()).not.toBe(timedOut);
    });

    it('closes idle sessions when the login changes and when the connection is deleted', async () => {
      const before = await nextBackend();
      const patched = await gh!.api('/v1/connections/pooled', {
        method: 'PATCH',
        token: gh!.adminToken,
        body: { password: target.password },
      });
      expect(patched.status).toBe(200);
      expect(await nextBackend()).not.toBe(before);
      const deleted = await gh!.api('/v1/connections/pooled', { method: 'DELETE', token: gh!.adminToken });
      expect(deleted.status).toBe(204);
      await expect.poll(brokerSessions, { timeout: 3_000 }).toEqual([]);
    });

    it('closes idle sessions when the server stops', async () => {
      await gh!.api('/v1/connections', {
        token: gh!.adminToken,
        body: {
          name: 'pooled-again',
          engine,
          host: target.host,
          port: target.port,
          database: target.database,
          user: target.user,
          password: target.password,
        },
      });
      const agent = await gh!.createAgent({ name: 'pool-bot-2', type: 'pool-agent-2' });
      const token = await gh!.session(agent.key);
      await gh!.api('/v1/connections/pooled-again/grants', {
        token: gh!.adminToken,
        body: { agentId: agent.id },
      });
      const r = await gh!.api('/v1/requests', {
        token,
        body: { kind: 'sql', connection: 'pooled-again', command: 'select 1' },
      });
      expect((await gh!.api(`/v1/requests/${r.body.id}/execute`, { token, body: {} })).status).toBe(200);
      await expect.poll(brokerSessions, { timeout: 3_000 }).toHaveLength(1);
      const stopping = gh!;
      gh = undefined;
      await stopping.stop();
      expect(await brokerSessions()).toEqual([]);
    });
  });
}
