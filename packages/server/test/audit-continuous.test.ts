import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { schema } from '@gatehouse/db';
import { asc, eq } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import { query } from '../../../test/support/postgres.ts';
import { spawnNode } from '../../../test/support/processes.ts';
import { openReport, runVerification } from '../src/audit/continuous.ts';
import type { AuditAlarm } from '../src/audit/monitor.ts';
import { readWitness } from '../src/audit/witness.ts';

/** Issue 14, item 3: the jobs verify what the log gained, sign a report, and raise an alarm on failure. */
describe('continuous audit verification', () => {
  let gh: TestGatehouse;
  let session: string;
  const witness = join(mkdtempSync(join(tmpdir(), 'gh-continuous-')), 'witness.jsonl');
  const masterKey = `continuous-master-key-${Date.now()}-0123456789`;
  const alarms: AuditAlarm[] = [];

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false, masterKey, env: { GATEHOUSE_AUDIT_WITNESS_FILE: witness } });
    gh.running.runtime.audit.monitor!.onAlarm((alarm) => {
      alarms.push(alarm);
    });
    // The notifications: an endpoint that subscribes to failed verifications.
    const hook = await gh.api('/v1/webhooks', {
      token: gh.adminToken,
      body: { url: 'http://127.0.0.1:9/hook', events: ['audit.verify_failed'], allowPrivateNetwork: true },
    });
    expect(hook.status).toBe(201);
    session = await gh.session((await gh.createAgent({ name: 'watched' })).key);
    await activity(5);
  });
  afterAll(async () => gh?.stop());

  async function activity(n: number) {
    for (let i = 0; i < n; i++)
      expect(
        (await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command: `ls /w/${i}` } }))
          .status,
      ).toBe(201);
    expect((await gh.api('/v1/audit/checkpoints', { token: gh.adminToken, body: {} })).status).toBe(201);
  }

  const rt = () => gh.running.runtime;
  const eventsOfType = (type: string) =>
    rt()
      .database.db.select()
      .from(schema.auditEvents)
      .where(eq(schema.auditEvents.type, type))
      .orderBy(asc(schema.auditEvents.id));
  const witnessEntries = () =>
    readFileSync(witness, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
  let firstAt: string;
  let firstPosition: string;

  it('walks everything first, signs the report, and records it as an event and on the witness', async () => {
    const run = (await runVerification(rt()))!;
    expect(run.payload).toMatchObject({ ok: true, full: true, from: null, problemCount: 0 });
    expect(run.payload.events).toBeGreaterThan(5);
    expect(run.payload.position.checkpoint?.seq).toBe(1);
    firstAt = run.payload.at;
    firstPosition = run.payload.position.at;
    const keys = await rt().keys.trustedPublicKeys('audit');
    const [event] = await eventsOfType('audit.verification');
    expect(event!.data).toMatchObject({ ok: true, full: true, events: run.payload.events, problems: 0 });
    expect(await openReport(String(event!.data.report), keys)).toEqual(run.payload);
    // A report signed by anything else is not one.
    const jws = String(event!.data.report);
    const at = jws.length - 10;
    const forged = `${jws.slice(0, at)}${jws[at] === 'A' ? 'B' : 'A'}${jws.slice(at + 1)}`;
    expect(await openReport(forged, keys)).toBeUndefined();
    const last = witnessEntries().at(-1);
    expect(last).toMatchObject({ kind: 'verification', ok: true, report: run.jws });

    const status = await gh.api('/v1/audit/status', { token: gh.adminToken });
    expect(status.status).toBe(200);
    expect(status.body).toMatchObject({
      alarm: false,
      verification: { ok: true, full: true, at: firstAt, problemCount: 0 },
      witnesses: [expect.objectContaining({ name: `file ${witness}`, failures: 0 })],
    });
    const metrics = await fetch(new URL('/v1/audit/metrics', gh.url), {
      headers: { authorization: `Bearer ${gh.adminToken}` },
    });
    expect(metrics.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await metrics.text();
    expect(text).toMatch(/^gatehouse_audit_verification_ok 1$/m);
    expect(text).toMatch(/^gatehouse_audit_alarm 0$/m);
  });

  it('then reads only what changed since the last report', async () => {
    await activity(3);
    const run = (await runVerification(rt()))!;
    expect(run.payload).toMatchObject({ ok: true, full: false, from: { at: firstPosition, checkpoint: 1 } });
    // The three requests (two events each), the first report's event: nothing older.
    expect(run.payload.events).toBeLessThan(12);
    expect(run.payload.position.checkpoint?.seq).toBe(2);
    // An idle log: the only new event is the previous report's; no report event is added.
    const before = (await eventsOfType('audit.verification')).length;
    const idle = (await runVerification(rt()))!;
    expect(idle.payload).toMatchObject({ ok: true, full: false });
    expect((await eventsOfType('audit.verification')).length).toBe(before);
  });

  it('`audit verify --since` reads only what changed since the last report', async () => {
    const child = spawnNode('apps/cli/src/main.ts', ['audit', 'verify', '--since'], {
      DATABASE_URL: gh.database.url,
      GATEHOUSE_MASTER_KEY: masterKey,
      GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-since-')),
      GATEHOUSE_AUDIT_WITNESS_FILE: witness,
    });
    const code = await child.exited;
    expect(child.output()).toMatch(
      /^since the verification report of \S+ \(checkpoint 2\): only what changed since$/m,
    );
    expect(child.output()).toMatch(/OK: every chain links/);
    expect(code).toBe(0);
  });

  it('raises the alarm when the log stops verifying: event, status, metrics, listeners', async () => {
    // The owner deletes old, already verified events: the anchors say they were there.
    const [victim] = await query<{ chain: string; seq: number }>(
      gh.database.url,
      // Inside a lane's verified range, below its head.
      `select chain, 2 as seq from audit_events group by chain having max(seq) > 3 order by chain limit 1`,
    );
    const client = new pg.Client({ connectionString: gh.database.url });
    await client.connect();
    await client.query('set session_replication_role = replica');
    await client.query('delete from audit_events where chain = $1 and seq = $2', [
      victim!.chain,
      victim!.seq,
    ]);
    await client.end();

    const run = (await runVerification(rt()))!;
    expect(run.payload.ok).toBe(false);
    expect(run.payload.problems).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'deleted',
          chain: victim!.chain,
          since: expect.any(String),
          detail: expect.stringMatching(/1 of the \d+ events up to seq \d+, verified at \S+, are missing/),
        }),
      ]),
    );
    expect(alarms).toEqual([
      expect.objectContaining({ cause: 'verification', problemCount: run.payload.problemCount }),
    ]);
    const hooks = await query<{ type: string }>(
      gh.database.url,
      `select type from webhook_events where type = 'audit.verify_failed'`,
    );
    expect(hooks).toHaveLength(1);
    const [alarm] = await eventsOfType('audit.alarm');
    expect(alarm!.data).toMatchObject({ cause: 'verification', count: run.payload.problemCount });
    const status = await gh.api('/v1/audit/status', { token: gh.adminToken });
    expect(status.body).toMatchObject({ alarm: true, verification: { ok: false } });
    expect(status.body.verification.problems[0].detail).toMatch(/missing/);
    const text = await (
      await fetch(new URL('/v1/audit/metrics', gh.url), {
        headers: { authorization: `Bearer ${gh.adminToken}` },
      })
    ).text();
    expect(text).toMatch(/^gatehouse_audit_verification_ok 0$/m);
    expect(text).toMatch(/^gatehouse_audit_verification_failures_total 1$/m);
    expect(text).toMatch(/^gatehouse_audit_alarm 1$/m);
    // The alarm stays on: the next run starts from the last report that verified.
    expect((await runVerification(rt()))!.payload.ok).toBe(false);
  });

  it('refuses status and metrics to callers without the role', async () => {
    const approver = await gh.createUser('approver@example.com', ['approver']);
    expect((await gh.api('/v1/audit/status', { token: approver.token })).status).toBe(403);
    expect((await gh.api('/v1/audit/status')).status).toBe(401);
  });
});

describe('the server’s witnesses', () => {
  it('forwards every entry to the webhook witness, whose copy verifies', async () => {
    const received: string[] = [];
    const server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => {
        body += c;
      });
      req.on('end', () => {
        received.push(body);
        res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = mkdtempSync(join(tmpdir(), 'gh-hookwitness-'));
    const gh = await startGatehouse({
      redis: false,
      env: {
        GATEHOUSE_AUDIT_WITNESS_FILE: join(dir, 'witness.jsonl'),
        GATEHOUSE_AUDIT_WITNESS_WEBHOOK: `http://127.0.0.1:${(server.address() as AddressInfo).port}/witness`,
      },
    });
    try {
      for (let i = 0; i < 2; i++) {
        const r = await gh.api('/v1/audit/checkpoints', { token: gh.adminToken, body: {} });
        expect(r.status).toBe(201);
        expect(r.body).toMatchObject({ witnessed: true, witnessFailures: [] });
      }
      expect(received.map((l) => JSON.parse(l))).toEqual([
        expect.objectContaining({
          n: 1,
          kind: 'checkpoint',
          full: true,
          checkpoint: expect.objectContaining({ seq: 1 }),
        }),
        expect.objectContaining({
          n: 2,
          kind: 'checkpoint',
          checkpoint: expect.objectContaining({ seq: 2 }),
        }),
      ]);
      const copy = join(dir, 'received.jsonl');
      writeFileSync(copy, `${received.join('\n')}\n`);
      const state = await readWitness(copy, await gh.running.runtime.keys.trustedPublicKeys('audit'));
      expect(state).toMatchObject({ status: 'ok', entries: 2 });
    } finally {
      await gh.stop();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('answers 503 when the witness cannot take a checkpoint, and shows the alarm', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-badwitness-'));
    writeFileSync(join(dir, 'not-a-dir'), '');
    const gh = await startGatehouse({
      redis: false,
      env: { GATEHOUSE_AUDIT_WITNESS_FILE: join(dir, 'not-a-dir', 'witness.jsonl') },
    });
    const alarms: AuditAlarm[] = [];
    gh.running.runtime.audit.monitor!.onAlarm((a) => {
      alarms.push(a);
    });
    try {
      const r = await gh.api('/v1/audit/checkpoints', { token: gh.adminToken, body: {} });
      expect(r.status).toBe(503);
      expect(r.body.error).toMatchObject({
        code: 'AUDIT_WITNESS_FAILED',
        message: expect.stringMatching(/checkpoint 1 was stored, but file .*not-a-dir.*: (ENOTDIR|EEXIST)/),
      });
      const status = await gh.api('/v1/audit/status', { token: gh.adminToken });
      expect(status.body.alarm).toBe(true);
      expect(status.body.witnesses[0]).toMatchObject({
        failures: 1,
        failing: { error: expect.stringMatching(/ENOTDIR|EEXIST/) },
      });
      expect(alarms).toEqual([
        expect.objectContaining({ cause: 'witness', detail: expect.stringMatching(/cannot be written/) }),
      ]);
      // A witness named in the configuration that is not there fails verification (fail closed).
      const verify = await gh.api('/v1/audit/verify', { token: gh.adminToken, body: {} });
      expect(verify.body.ok).toBe(false);
      expect(verify.body.problems[0]).toMatchObject({ kind: 'witness-unavailable' });
    } finally {
      await gh.stop();
    }
  });
});
