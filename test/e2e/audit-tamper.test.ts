import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, query, TEST_DATABASE_URL, type TestDatabase } from '../support/postgres.ts';
import { spawnNode } from '../support/processes.ts';

/**
 * Edits the audit log behind Gatehouse's back, as a PostgreSQL superuser who switches the
 * append-only triggers off, and checks that `gatehouse audit verify` finds each edit at
 * the position where it was made.
 */
describe('audit verify against tampering', () => {
  const masterKey = randomBytes(32).toString('base64');
  let pristine: TestDatabase;
  let agentId: string;
  let target: { chain: string; count: number; checkpointed: number };
  const clones: TestDatabase[] = [];

  beforeAll(async () => {
    pristine = await createTestDatabase('gh_audit');
    const gh = await startGatehouse({ database: pristine, redis: false, masterKey });
    const alice = await gh.createUser('alice@example.com', ['approver']);
    const bob = await gh.createUser('bob@example.com', ['approver']);
    const agent = await gh.createAgent({ name: 'audited' });
    agentId = agent.id;
    const session = await gh.session(agent.key);
    // Sequential activity lands mostly in one lane: a long chain to tamper with.
    for (let i = 0; i < 6; i++)
      await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command: `ls /srv/${i}` } });
    const pending = await gh.api('/v1/requests', {
      token: session,
      body: { kind: 'shell', command: 'rm -rf /var/lib/app' },
    });
    await gh.api(`/v1/requests/${pending.body.id}/decisions`, {
      token: alice.token,
      body: { decision: 'approve', comment: 'planned decommission' },
    });
    await gh.api(`/v1/requests/${pending.body.id}/decisions`, {
      token: bob.token,
      body: { decision: 'approve', comment: 'planned decommission' },
    });
    expect((await gh.api('/v1/audit/checkpoints', { token: gh.adminToken, body: {} })).status).toBe(201);
    // Events after the last checkpoint: linked, not yet vouched for.
    await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command: 'ls /after' } });
    await gh.stop();

    const rows = await query<{ chain: string; n: number }>(
      pristine.url,
      `select chain, count(*)::int as n from audit_events group by chain order by n desc limit 1`,
    );
    const { chain, n } = rows[0]!;
    // Checkpoints carry the heads that moved since the previous one: fold them all.
    let checkpointed = 0;
    for (const cp of await query(pristine.url, 'select jws from audit_checkpoints order by seq')) {
      const payload = JSON.parse(Buffer.from(String(cp.jws).split('.')[1]!, 'base64url').toString());
      for (const head of payload.heads)
        if (head.chain === chain) checkpointed = Math.max(checkpointed, head.seq);
    }
    target = { chain, count: n, checkpointed };
    expect(target.checkpointed).toBeGreaterThanOrEqual(8);
  }, 120_000);

  afterAll(async () => {
    for (const c of clones) await c.drop();
    await pristine?.drop();
  });

  async function clone(): Promise<TestDatabase> {
    const db = await createTestDatabase('gh_tamper');
    await query(TEST_DATABASE_URL, `drop database "${db.name}"`);
    await query(TEST_DATABASE_URL, `create database "${db.name}" template "${pristine.name}"`);
    clones.push(db);
    return db;
  }

  async function tamper(url: string, statements: string[]): Promise<void> {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query('set session_replication_role = replica');
      for (const s of statements) await client.query(s);
    } finally {
      await client.end();
    }
  }

  async function verify(url: string, extra: string[] = []) {
    const child = spawnNode('apps/cli/src/main.ts', ['audit', 'verify', ...extra], {
      DATABASE_URL: url,
      GATEHOUSE_MASTER_KEY: masterKey,
      GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-verify-')),
    });
    return { code: await child.exited, output: child.output() };
  }

  const at = (seq: number) => `chain ${target.chain}, seq ${seq}`;

  it('verifies an untouched log', async () => {
    const result = await verify((await clone()).url);
    expect(result.output).toMatch(/OK: every chain links and every checkpoint verifies/);
    expect(result.code).toBe(0);
  });

  it('finds an edited event', async () => {
    const db = await clone();
    await tamper(db.url, [
      `update audit_events set data = '{"command":"ls"}' where chain = '${target.chain}' and seq = 3`,
    ]);
    const result = await verify(db.url);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`first bad position: ${at(3)}`);
    expect(result.output).toMatch(/modified/);
  });

  it('finds a deleted event', async () => {
    const db = await clone();
    await tamper(db.url, [`delete from audit_events where chain = '${target.chain}' and seq = 4`]);
    const result = await verify(db.url);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`first bad position: ${at(5)}`);
    expect(result.output).toMatch(/deleted .*seq 4\.\.4 missing/);
  });

  it('finds an inserted event', async () => {
    const db = await clone();
    await tamper(db.url, [
      'drop index audit_chain_seq_idx',
      `insert into audit_events (chain, seq, prev_hash, hash, type, actor_type, actor_id, subject_type, subject_id, data, created_at)
         select chain, seq, prev_hash, hash, 'agent.revoked', actor_type, actor_id, subject_type, subject_id, data, created_at
         from audit_events where chain = '${target.chain}' and seq = 5`,
    ]);
    const result = await verify(db.url);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`first bad position: ${at(5)}`);
    expect(result.output).toMatch(/inserted/);
  });

  it('finds reordered events', async () => {
    const db = await clone();
    await tamper(db.url, [
      'drop index audit_chain_seq_idx',
      `update audit_events set seq = case seq when 5 then 6 else 5 end where chain = '${target.chain}' and seq in (5, 6)`,
    ]);
    const result = await verify(db.url);
    expect(result.code).toBe(1);
    expect(result.output).toContain(`first bad position: ${at(5)}`);
    expect(result.output).toMatch(/reordered/);
  });

  it('finds a truncation after a checkpoint', async () => {
    const db = await clone();
    await tamper(db.url, [
      `delete from audit_events where chain = '${target.chain}' and seq >= ${target.checkpointed - 1}`,
    ]);
    const result = await verify(db.url);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      new RegExp(`truncated\\s+chain ${target.chain.replace('.', '\\.')}, seq ${target.checkpointed}`),
    );
  });

  it('finds a forged or deleted checkpoint', async () => {
    const db = await clone();
    await tamper(db.url, [
      `update audit_checkpoints set jws = replace(jws, substr(jws, length(jws) - 5, 4), 'AAAA')`,
    ]);
    expect((await verify(db.url)).output).toMatch(/bad-checkpoint/);
  });

  it('exports an agent slice that verifies offline, and catches an edit of the file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-export-'));
    const file = join(dir, 'agent.jsonl');
    const child = spawnNode('apps/cli/src/main.ts', ['audit', 'export', '--agent', agentId, '--out', file], {
      DATABASE_URL: pristine.url,
      GATEHOUSE_MASTER_KEY: masterKey,
      GATEHOUSE_DATA_DIR: dir,
    });
    expect(await child.exited).toBe(0);
    const lines = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(lines[0]).toMatchObject({ type: 'header', format: 'gatehouse.audit.export', filter: { agentId } });
    expect(lines.some((l) => l.type === 'event' && l.selected && l.event.actorId === agentId)).toBe(true);
    const clean = await verify('postgres://unused@127.0.0.1:1/x', ['--file', file]);
    expect(clean.output).toMatch(/OK/);
    expect(clean.code).toBe(0);

    const edited = lines.map((l) =>
      l.type === 'event' && l.selected && l.event.type === 'request.submitted'
        ? { ...l, event: { ...l.event, data: { ...l.event.data, command: 'ls' } } }
        : l,
    );
    writeFileSync(file, `${edited.map((l) => JSON.stringify(l)).join('\n')}\n`);
    const bad = await verify('postgres://unused@127.0.0.1:1/x', ['--file', file]);
    expect(bad.code).toBe(1);
    expect(bad.output).toMatch(/modified/);
  });
});
