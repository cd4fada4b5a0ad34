import { randomBytes } from 'node:crypto';
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse } from '../support/gatehouse.ts';
import { createTestDatabase, query, TEST_DATABASE_URL, type TestDatabase } from '../support/postgres.ts';
import { spawnNode } from '../support/processes.ts';

/**
 * Issue 14: the database owner rolls the log back, wipes it, drops a lane. The database alone
 * cannot tell (its checkpoints are rolled back with it); the witness outside it can. Each case
 * runs `gatehouse audit verify` as an operator would, against a copy of the record.
 */
describe('audit verify against the database owner', () => {
  const masterKey = randomBytes(32).toString('base64');
  const work = mkdtempSync(join(tmpdir(), 'gh-owner-'));
  const witnessFile = join(work, 'pristine-witness.jsonl');
  let pristine: TestDatabase;
  /** The checkpoints as the server signed them: number, time, and every lane head up to it. */
  let checkpoints: { seq: number; createdAt: string; heads: Map<string, number> }[];
  let lanes: { chain: string; n: number }[];
  let head: string;
  const clones: TestDatabase[] = [];

  beforeAll(async () => {
    pristine = await createTestDatabase('gh_owner');
    const gh = await startGatehouse({
      database: pristine,
      redis: false,
      masterKey,
      env: { GATEHOUSE_AUDIT_WITNESS_FILE: witnessFile },
    });
    const agent = await gh.createAgent({ name: 'insider-target' });
    const session = await gh.session(agent.key);
    const alice = await gh.createUser('alice@example.com', ['approver']);
    for (let round = 0; round < 4; round++) {
      // Concurrent requests spread over several lanes.
      await Promise.all(
        Array.from({ length: 6 }, (_, i) =>
          gh.api('/v1/requests', {
            token: session,
            body: { kind: 'shell', command: `ls /srv/${round}/${i}` },
          }),
        ),
      );
      const pending = await gh.api('/v1/requests', {
        token: session,
        body: { kind: 'shell', command: `systemctl restart app-${round}` },
      });
      await gh.api(`/v1/requests/${pending.body.id}/decisions`, {
        token: alice.token,
        body: { decision: 'approve', comment: 'maintenance' },
      });
      expect((await gh.api('/v1/audit/checkpoints', { token: gh.adminToken, body: {} })).status).toBe(201);
    }
    await gh.stop();

    checkpoints = [];
    const folded = new Map<string, number>();
    for (const row of await query<{ seq: string; jws: string }>(
      pristine.url,
      'select seq, jws from audit_checkpoints order by seq',
    )) {
      const payload = JSON.parse(Buffer.from(row.jws.split('.')[1]!, 'base64url').toString());
      for (const h of payload.heads) folded.set(h.chain, Math.max(folded.get(h.chain) ?? 0, h.seq));
      checkpoints.push({ seq: Number(row.seq), createdAt: payload.createdAt, heads: new Map(folded) });
    }
    lanes = await query<{ chain: string; n: number }>(
      pristine.url,
      'select chain, count(*)::int as n from audit_events group by chain order by n desc',
    );
    expect(checkpoints.length).toBeGreaterThanOrEqual(4);
    expect(lanes.length).toBeGreaterThanOrEqual(2);
    const clean = await verify(await clone());
    expect(clean.code).toBe(0);
    head = clean.output.match(/^head: (\d+:[0-9a-f]{64})$/m)![1]!;
  }, 180_000);

  afterAll(async () => {
    for (const c of clones) await c.drop();
    await pristine?.drop();
  });

  async function clone(): Promise<TestDatabase & { witness: string }> {
    const db = await createTestDatabase('gh_owner_t');
    await query(TEST_DATABASE_URL, `drop database "${db.name}"`);
    await query(TEST_DATABASE_URL, `create database "${db.name}" template "${pristine.name}"`);
    clones.push(db);
    const witness = join(mkdtempSync(join(work, 'w-')), 'witness.jsonl');
    copyFileSync(witnessFile, witness);
    return { ...db, witness };
  }

  /** As a superuser who switches the append-only triggers off. */
  async function tamper(url: string, statements: string[], setup = 'set session_replication_role = replica') {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      await client.query(setup);
      for (const s of statements) await client.query(s);
    } finally {
      await client.end();
    }
  }

  async function verify(
    db: TestDatabase & { witness: string },
    options: { args?: string[]; witnessEnv?: string | null } = {},
  ) {
    const env: Record<string, string> = {
      DATABASE_URL: db.url,
      GATEHOUSE_MASTER_KEY: masterKey,
      GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-verify-')),
    };
    if (options.witnessEnv !== null) env.GATEHOUSE_AUDIT_WITNESS_FILE = options.witnessEnv ?? db.witness;
    const child = spawnNode('apps/cli/src/main.ts', ['audit', 'verify', ...(options.args ?? [])], env);
    return { code: await child.exited, output: child.output() };
  }

  /** Deletes every checkpoint after `k` and every event those checkpoints alone vouched for, and later. */
  function rollbackTo(k: number): string[] {
    const heads = k === 0 ? new Map<string, number>() : checkpoints[k - 1]!.heads;
    const keep = [...heads].map(([chain, seq]) => `(chain = '${chain}' and seq <= ${seq})`);
    return [
      `delete from audit_checkpoints where seq > ${k}`,
      `delete from audit_events${keep.length > 0 ? ` where not (${keep.join(' or ')})` : ''}`,
    ];
  }

  it('verifies the untouched record against its witness', async () => {
    const result = await verify(await clone());
    expect(result.code).toBe(0);
    expect(result.output).toMatch(/OK: every chain links and every checkpoint verifies/);
    expect(result.output).toMatch(
      new RegExp(`witness .*: \\d+ entries, newest checkpoint ${checkpoints.length}`),
    );
    expect(result.output).toContain(`head: ${head}`);
  });

  it('catches a rollback to every earlier checkpoint, naming what is missing and since when', async () => {
    const last = checkpoints.length;
    for (let k = last - 1; k >= 1; k--) {
      const db = await clone();
      await tamper(db.url, rollbackTo(k));
      const result = await verify(db);
      expect(result.code, result.output).toBe(1);
      // The database is consistent with itself (the chains link, checkpoint k verifies) ...
      expect(result.output).not.toMatch(/ (modified|inserted|reordered) /);
      // ... but the witness recorded checkpoints it no longer has, and longer lanes.
      expect(result.output).toMatch(
        new RegExp(
          `rolled-back .*checkpoint ${k + 1} .*ends at checkpoint ${k}, .*checkpoints ${k + 1}\\.\\.${last} missing since \\S+`,
        ),
      );
      const grown = [...checkpoints[last - 1]!.heads].find(
        ([chain, seq]) => seq > (checkpoints[k - 1]!.heads.get(chain) ?? 0),
      );
      expect(grown).toBeDefined();
      expect(result.output).toMatch(
        new RegExp(`(truncated|lane-missing) +chain ${grown![0].replace('.', '\\.')}.* missing since `),
      );
    }
  }, 120_000);

  it('catches a total wipe: every checkpoint and every lane missing', async () => {
    const db = await clone();
    await tamper(db.url, ['delete from audit_checkpoints', 'delete from audit_events']);
    const result = await verify(db);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/^0 events in 0 chains, 0 checkpoints/m);
    expect(result.output).toMatch(
      new RegExp(
        `rolled-back .*the database has no checkpoints, .*checkpoints 1\\.\\.${checkpoints.length} missing since \\S+`,
      ),
    );
    for (const { chain, n } of lanes.slice(0, 3))
      expect(result.output).toMatch(
        new RegExp(
          `lane-missing +chain ${chain.replace('.', '\\.')}, seq 1 .*all ${n} events \\(seq 1\\.\\.${n}\\) missing since `,
        ),
      );
  });

  it('catches a dropped lane, with or without the witness', async () => {
    const db = await clone();
    const { chain, n } = lanes.at(-1)!;
    await tamper(db.url, [`delete from audit_events where chain = '${chain}'`]);
    const withWitness = await verify(db);
    expect(withWitness.code).toBe(1);
    expect(withWitness.output).toMatch(
      new RegExp(
        `lane-missing +chain ${chain.replace('.', '\\.')}.*has no events in the database.*missing since `,
      ),
    );
    // The checkpoints in the database vouch for the lane too.
    const dbOnly = await verify(db, { witnessEnv: null });
    expect(dbOnly.code).toBe(1);
    expect(dbOnly.output).toMatch(
      new RegExp(`lane-missing +chain ${chain.replace('.', '\\.')}.*seq 1\\.\\.${n} missing`),
    );
  });

  it('catches the owner role rolling back the newest checkpoint (it disables the triggers it owns)', async () => {
    const db = await clone();
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('set role gatehouse_owner');
      // Not a superuser: the replication switch is refused; owning the tables is enough.
      await expect(client.query('set session_replication_role = replica')).rejects.toThrow(
        /permission denied/,
      );
    } finally {
      await client.end();
    }
    const k = checkpoints.length - 1;
    await tamper(
      db.url,
      [
        'alter table audit_events disable trigger user',
        'alter table audit_checkpoints disable trigger user',
        ...rollbackTo(k),
      ],
      'set role gatehouse_owner',
    );
    // Without a witness, the rolled-back database verifies: this is the hole the witness closes.
    const alone = await verify(db, { witnessEnv: null });
    expect(alone.output).toMatch(/OK: every chain links/);
    expect(alone.output).toMatch(/no witness: a rollback of the whole database would go unnoticed/);
    const result = await verify(db);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(
      new RegExp(
        `rolled-back .*ends at checkpoint ${k}, .*checkpoints ${k + 1}\\.\\.${k + 1} missing since `,
      ),
    );
    // A head recorded earlier catches it as well, with no witness at all.
    const expected = await verify(db, { witnessEnv: null, args: ['--expect-head', head] });
    expect(expected.code).toBe(1);
    expect(expected.output).toMatch(
      new RegExp(
        `rolled-back .*the expected head, checkpoint ${checkpoints.length}, is not in the database \\(it ends at checkpoint ${k}\\)`,
      ),
    );
  });

  it('reports a corrupted witness, even over an intact database', async () => {
    const db = await clone();
    const lines = readFileSync(db.witness, 'utf8').trimEnd().split('\n');
    const entry = JSON.parse(lines[1]!);
    entry.lanes = entry.lanes.map((h: { seq: number }) => ({ ...h, seq: h.seq - 1 }));
    lines[1] = JSON.stringify(entry);
    writeFileSync(db.witness, `${lines.join('\n')}\n`);
    const result = await verify(db);
    expect(result.code).toBe(1);
    expect(result.output).toMatch(/witness-broken .*witness entry 2 \(line 2\) does not verify/);
    expect(result.output).toMatch(/BROKEN/);
  });

  it('fails closed when the witness it was told to use cannot be read', async () => {
    const db = await clone();
    const missing = join(work, 'no-such-dir', 'witness.jsonl');
    const configured = await verify(db, { witnessEnv: missing });
    expect(configured.code).toBe(1);
    expect(configured.output).toMatch(
      /witness-unavailable .*cannot read witness .*no-such-dir.*: no such file/,
    );
    expect(configured.output).not.toMatch(/^OK/m);
    const named = await verify(db, { witnessEnv: null, args: ['--witness', missing] });
    expect(named.code).toBe(1);
    expect(named.output).toMatch(/witness-unavailable/);
    const unreadable = await verify(db, { witnessEnv: null, args: ['--witness', work] });
    expect(unreadable.code).toBe(1);
    expect(unreadable.output).toMatch(/witness-unavailable .*not a regular file/);
  });

  it('refuses a malformed --expect-head', async () => {
    const result = await verify(await clone(), { args: ['--expect-head', 'latest'] });
    expect(result.code).toBe(2);
    expect(result.output).toMatch(/--expect-head "latest" is not CHECKPOINT:HASH/);
  });
});
