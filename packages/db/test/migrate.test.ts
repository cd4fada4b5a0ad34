import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'drizzle-orm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../../../test/support/postgres.ts';
import { lockDataDir } from '../src/data-dir-lock.ts';
import { type DatabaseHandle, loadMigrations, migrate, openDatabase } from '../src/index.ts';

describe('migrations on PostgreSQL', () => {
  let database: TestDatabase;
  let handle: DatabaseHandle;

  beforeAll(async () => {
    database = await createTestDatabase();
    handle = await openDatabase({ url: database.url, dataDir: '' });
  });
  afterAll(async () => {
    await handle?.close();
    await database?.drop();
  });

  it('applies every migration once, and is idempotent', async () => {
    const first = await migrate(handle.db);
    expect(first.applied).toEqual(loadMigrations().map((m) => m.tag));
    expect((await migrate(handle.db)).applied).toEqual([]);
    const tables = await handle.db.execute(
      sql`select count(*)::int as n from information_schema.tables where table_name = 'requests'`,
    );
    expect(tables.rows[0]).toEqual({ n: 1 });
  });

  it('serialises replicas that migrate at the same time', async () => {
    const other = await createTestDatabase();
    const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ url: other.url, dataDir: '' })));
    try {
      const results = await Promise.all(handles.map((h) => migrate(h.db)));
      expect(results.map((r) => r.applied.length).sort()).toEqual([0, 0, loadMigrations().length]);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await other.drop();
    }
  });

  it('refuses a database that is newer than the code', async () => {
    await handle.db.execute(
      sql`insert into gatehouse_migrations (idx, tag, hash) values (999, '0999_future', 'x')`,
    );
    await expect(migrate(handle.db)).rejects.toMatchObject({ code: 'ERR_DB_NEWER_THAN_CODE' });
    await handle.db.execute(sql`delete from gatehouse_migrations where idx = 999`);
  });

  it('refuses a database migrated by a different build', async () => {
    await handle.db.execute(sql`update gatehouse_migrations set hash = 'tampered' where idx = 0`);
    await expect(migrate(handle.db)).rejects.toMatchObject({ code: 'ERR_DB_SCHEMA_MISMATCH' });
    const real = loadMigrations()[0]!.hash;
    await handle.db.execute(sql`update gatehouse_migrations set hash = ${real} where idx = 0`);
  });

  it('rolls back a failing migration completely', async () => {
    const other = await createTestDatabase();
    const h = await openDatabase({ url: other.url, dataDir: '' });
    try {
      const broken = [
        ...loadMigrations(),
        { idx: 2, tag: '0002_broken', hash: 'h', statements: ['select nope'] },
      ];
      await expect(migrate(h.db, broken)).rejects.toMatchObject({ code: 'ERR_DB_MIGRATION_FAILED' });
      const left = await h.db.execute(
        sql`select count(*)::int as n from information_schema.tables where table_schema = 'public'`,
      );
      expect(left.rows[0]).toEqual({ n: 0 });
    } finally {
      await h.close();
      await other.drop();
    }
  });

  it('refuses UPDATE, DELETE and TRUNCATE on the audit log', async () => {
    await handle.db.execute(sql`
      insert into audit_events (chain, seq, prev_hash, hash, type, actor_type, actor_id, data, created_at)
      values ('c', 1, 'p', 'h', 't', 'system', 'x', '{}', now())`);
    // drizzle wraps the driver's error; the database's own refusal is the cause.
    const refused = { cause: { message: expect.stringMatching(/append-only/) } };
    await expect(handle.db.execute(sql`update audit_events set type = 'forged'`)).rejects.toMatchObject(
      refused,
    );
    await expect(handle.db.execute(sql`delete from audit_events`)).rejects.toMatchObject(refused);
    await expect(handle.db.execute(sql`truncate audit_events`)).rejects.toMatchObject(refused);
    const rows = await handle.db.execute(sql`select type from audit_events`);
    expect(rows.rows).toEqual([{ type: 't' }]);
  });
});

describe('the application role', () => {
  it('cannot change audit rows, nor switch the guard off', async () => {
    const database = await createTestDatabase();
    const owner = await openDatabase({ url: database.url, dataDir: '' });
    const role = `gh_app_${Date.now().toString(36)}`;
    try {
      await migrate(owner.db);
      await owner.db.execute(sql.raw(`create role ${role} login`));
      await owner.db.execute(
        sql.raw(`grant select, insert, update, delete, truncate on all tables in schema public to ${role}`),
      );
      await owner.db.execute(sql.raw(`grant usage on all sequences in schema public to ${role}`));
      const url = new URL(database.url);
      url.username = role;
      const app = await openDatabase({ url: url.toString(), dataDir: '' });
      try {
        await app.db.execute(sql`
          insert into audit_events (chain, seq, prev_hash, hash, type, actor_type, actor_id, data, created_at)
          values ('c', 1, 'p', 'h', 't', 'system', 'x', '{}', now())`);
        const refused = {
          cause: { message: expect.stringMatching(/append-only|must be owner|permission denied/) },
        };
        await expect(app.db.execute(sql`update audit_events set type = 'forged'`)).rejects.toMatchObject(
          refused,
        );
        await expect(app.db.execute(sql`delete from audit_events`)).rejects.toMatchObject(refused);
        await expect(app.db.execute(sql`truncate audit_events`)).rejects.toMatchObject(refused);
        await expect(app.db.execute(sql`alter table audit_events disable trigger all`)).rejects.toMatchObject(
          refused,
        );
        await expect(app.db.execute(sql`set session_replication_role = replica`)).rejects.toMatchObject(
          refused,
        );
        await app.db.execute(
          sql`insert into audit_checkpoints (seq, created_at, jws) values (1, now(), 'x.y.z')`,
        );
        await expect(app.db.execute(sql`delete from audit_checkpoints`)).rejects.toMatchObject(refused);
      } finally {
        await app.close();
      }
    } finally {
      await owner.close();
      await database.drop();
      const admin = await openDatabase({ url: database.url.replace(/\/[^/]+$/, '/postgres'), dataDir: '' });
      await admin.db.execute(sql.raw(`drop role if exists ${role}`));
      await admin.close();
    }
  });
});

describe('connection errors', () => {
  it('names the unreachable server without leaking the password', async () => {
    const error = await openDatabase({ url: 'postgres://u:s3cret@127.0.0.1:1/x', dataDir: '' }).catch(
      (e) => e,
    );
    expect(error).toMatchObject({ code: 'ERR_DB_UNREACHABLE' });
    expect(error.message).toContain('127.0.0.1:1');
    expect(error.message).not.toContain('s3cret');
  });
});

describe('embedded data dir lock', () => {
  it('refuses a second live process and takes over a stale lock', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'gh-lock-'));
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 30000)'], { stdio: 'ignore' });
    try {
      writeFileSync(join(dir, 'gatehouse.lock'), String(holder.pid));
      expect(() => lockDataDir(dir)).toThrow(/in use by another Gatehouse process \(pid \d+\)/);
    } finally {
      holder.kill();
    }
    await new Promise((resolve) => holder.once('exit', resolve));
    const release = lockDataDir(dir);
    expect(() => lockDataDir(join(dir))).not.toThrow(/in use/); // same pid re-locks after takeover
    release();
  });
});
