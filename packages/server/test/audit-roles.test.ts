import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { APP_ROLE, migrate, OWNER_ROLE, openDatabase, roleInEffect } from '@gatehouse/db';
import { sql } from 'drizzle-orm';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGatehouse, type TestGatehouse } from '../../../test/support/gatehouse.ts';
import {
  createTestDatabase,
  query,
  TEST_DATABASE_URL,
  type TestDatabase,
} from '../../../test/support/postgres.ts';

/** What the application role must never be able to do to the evidence. */
const FORBIDDEN = [
  ['UPDATE the audit log', `update audit_events set type = 'forged'`],
  ['DELETE from the audit log', 'delete from audit_events'],
  ['TRUNCATE the audit log', 'truncate audit_events'],
  ['UPDATE a checkpoint', `update audit_checkpoints set jws = 'x'`],
  ['DELETE a checkpoint', 'delete from audit_checkpoints'],
  ['TRUNCATE the checkpoints', 'truncate audit_checkpoints'],
  ['switch triggers off by replication role', 'set session_replication_role = replica'],
  ['disable the append-only triggers', 'alter table audit_events disable trigger all'],
  ['drop the audit log', 'drop table audit_events'],
  ['delete a lane lease', 'delete from audit_lanes'],
] as const;

async function attempts(client: pg.Client): Promise<Record<string, string>> {
  const outcome: Record<string, string> = {};
  for (const [what, statement] of FORBIDDEN) {
    try {
      await client.query('savepoint s');
      await client.query(statement);
      outcome[what] = 'ALLOWED';
    } catch (error) {
      outcome[what] = (error as Error).message;
    } finally {
      await client.query('rollback to savepoint s');
    }
  }
  return outcome;
}

function expectAllRefused(outcome: Record<string, string>): void {
  for (const [what] of FORBIDDEN)
    expect(outcome[what], what).toMatch(/permission denied|must be owner|append-only/);
}

describe('PostgreSQL roles', () => {
  let gh: TestGatehouse;

  beforeAll(async () => {
    gh = await startGatehouse({ redis: false });
    const agent = await gh.createAgent();
    const session = await gh.session(agent.key);
    expect(
      (await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command: 'ls' } })).status,
    ).toBe(201);
  });
  afterAll(async () => gh?.stop());

  it('migrations create the owner and application roles; the owner owns every table', async () => {
    const roles = await query<{ rolname: string; rolcanlogin: boolean; rolsuper: boolean }>(
      gh.database.url,
      `select rolname, rolcanlogin, rolsuper from pg_roles where rolname in ($1, $2) order by rolname`,
      [APP_ROLE, OWNER_ROLE],
    );
    expect(roles).toEqual([
      { rolname: APP_ROLE, rolcanlogin: false, rolsuper: false },
      { rolname: OWNER_ROLE, rolcanlogin: false, rolsuper: false },
    ]);
    const owners = await query<{ tableowner: string }>(
      gh.database.url,
      `select distinct tableowner from pg_tables where schemaname = 'public'`,
    );
    expect(owners).toEqual([{ tableowner: OWNER_ROLE }]);
    const grants = await query<{ privilege_type: string }>(
      gh.database.url,
      `select privilege_type from information_schema.role_table_grants
       where grantee = $1 and table_name = 'audit_events' order by privilege_type`,
      [APP_ROLE],
    );
    expect(grants.map((g) => g.privilege_type)).toEqual(['INSERT', 'SELECT']);
  });

  it('the server works as the application role, which cannot rewrite the evidence', async () => {
    const db = gh.running.runtime.database.db;
    expect(await roleInEffect(db)).toMatchObject({
      role: APP_ROLE,
      superuser: false,
      canRewriteAudit: false,
    });
    // Every pooled connection: run the attempts on the server's own pool.
    const results = await Promise.all(
      FORBIDDEN.map(async ([what, statement]) => {
        try {
          await db.execute(sql.raw(statement));
          return [what, 'ALLOWED'];
        } catch (error) {
          return [what, ((error as Error).cause as Error)?.message ?? (error as Error).message];
        }
      }),
    );
    expectAllRefused(Object.fromEntries(results));
    // What it must be able to do.
    await db.execute(sql`select count(*) from audit_events`);
    await db.execute(sql`update audit_lanes set lease_until = lease_until`);
  });

  it('the role taken at connection start is a guard, not a boundary, for a superuser login', async () => {
    // Taken as a startup option, RESET ROLE returns to it; but the login may still SET ROLE
    // back to itself. This is why docs/operations.md has real deployments log in as the
    // application role (tested below).
    const client = new pg.Client({ connectionString: gh.database.url, options: `-c role=${APP_ROLE}` });
    await client.connect();
    try {
      await client.query('begin');
      expectAllRefused(await attempts(client));
      await client.query('reset role');
      expect((await client.query('select current_user')).rows[0].current_user).toBe(APP_ROLE);
      await client.query('set role none');
      expect((await client.query('select current_user')).rows[0].current_user).toBe('postgres');
    } finally {
      await client.query('rollback').catch(() => {});
      await client.end();
    }
  });

  it('migrating many databases at once creates the roles once, without a race', async () => {
    const databases = await Promise.all([1, 2, 3, 4].map(() => createTestDatabase('gh_roles')));
    const handles = await Promise.all(databases.map((d) => openDatabase({ url: d.url, dataDir: '' })));
    try {
      const results = await Promise.all(handles.map((h) => migrate(h.db)));
      expect(results.every((r) => r.applied.length > 0)).toBe(true);
    } finally {
      await Promise.all(handles.map((h) => h.close()));
      await Promise.all(databases.map((d) => d.drop()));
    }
  });

  it('creates a role exactly once when databases race to create it', async () => {
    // The role block of migration 0006, on roles of this test's own, run by four connections
    // at once (the real roles exist already on this server, so their race is this one).
    const text = readFileSync(
      new URL('../../db/migrations/0006_audit_witness_lanes_roles.sql', import.meta.url),
      'utf8',
    );
    const block = text.split('--> statement-breakpoint').find((s) => s.includes('CREATE ROLE'))!;
    const suffix = randomBytes(4).toString('hex');
    const names = [`gh_race_owner_${suffix}`, `gh_race_app_${suffix}`];
    const raced = block.replace("'gatehouse_owner', 'gatehouse_app'", names.map((n) => `'${n}'`).join(', '));
    expect(raced).not.toBe(block);
    const clients = await Promise.all(
      [1, 2, 3, 4].map(async () => {
        const c = new pg.Client({ connectionString: TEST_DATABASE_URL });
        await c.connect();
        return c;
      }),
    );
    try {
      await Promise.all(clients.map((c) => c.query(raced)));
      const made = await query(TEST_DATABASE_URL, 'select rolname from pg_roles where rolname = any($1)', [
        names,
      ]);
      expect(made).toHaveLength(2);
    } finally {
      await Promise.all(clients.map((c) => c.end()));
      for (const name of names) await query(TEST_DATABASE_URL, `drop role if exists ${name}`);
    }
  });

  it('skips roles on the embedded database', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'gh-roles-pglite-'));
    const embedded = await openDatabase({ dataDir });
    try {
      await migrate(embedded.db);
      const role = await roleInEffect(embedded.db);
      expect(role.role).toBe('postgres');
      const found = await embedded.db.execute(
        sql`select count(*)::int as n from pg_roles where rolname in ('gatehouse_app', 'gatehouse_owner')`,
      );
      expect(found.rows[0]).toEqual({ n: 0 });
    } finally {
      await embedded.close();
    }
  });
});

describe('a deployment that logs in as the application role', () => {
  const login = `gh_app_login_${randomBytes(4).toString('hex')}`;
  let database: TestDatabase;
  let gh: TestGatehouse;
  let appUrl: string;

  beforeAll(async () => {
    database = await createTestDatabase('gh_app_login');
    // Migrations must have made the roles before a login can be a member of one.
    const owner = await openDatabase({ url: database.url, dataDir: '' });
    await migrate(owner.db);
    await owner.close();
    await query(TEST_DATABASE_URL, `create role ${login} login in role ${APP_ROLE}`);
    const url = new URL(database.url);
    url.username = login;
    appUrl = url.toString();
    gh = await startGatehouse({
      database: { ...database, url: appUrl },
      redis: false,
      env: { GATEHOUSE_MIGRATION_DATABASE_URL: database.url },
    });
  });
  afterAll(async () => {
    await gh?.stop();
    await database?.drop();
    await query(TEST_DATABASE_URL, `drop role if exists ${login}`);
  });

  it('serves requests and audits them', async () => {
    const agent = await gh.createAgent();
    const session = await gh.session(agent.key);
    const r = await gh.api('/v1/requests', { token: session, body: { kind: 'shell', command: 'ls' } });
    expect(r.status).toBe(201);
    const events = await query(database.url, `select type from audit_events where subject_id = $1`, [
      r.body.id,
    ]);
    expect(events.length).toBeGreaterThan(0);
    expect(await roleInEffect(gh.running.runtime.database.db)).toMatchObject({
      login,
      role: APP_ROLE,
      canRewriteAudit: false,
    });
  });

  it('cannot rewrite the evidence, and cannot climb out of its role', async () => {
    const client = new pg.Client({ connectionString: appUrl });
    await client.connect();
    try {
      await client.query('begin');
      expectAllRefused(await attempts(client));
      await client.query('reset role');
      expectAllRefused(await attempts(client));
      await expect(client.query('set role postgres')).rejects.toThrow(/permission denied/);
      await client.query('rollback');
      await client.query('begin');
      await expect(client.query(`set role ${OWNER_ROLE}`)).rejects.toThrow(/permission denied/);
    } finally {
      await client.query('rollback').catch(() => {});
      await client.end();
    }
  });

  it('says what to do when it is asked to migrate', async () => {
    const fresh = await createTestDatabase('gh_app_fresh');
    try {
      const url = new URL(fresh.url);
      url.username = login;
      const app = await openDatabase({ url: url.toString(), dataDir: '' });
      try {
        await expect(migrate(app.db)).rejects.toMatchObject({
          code: 'ERR_DB_MIGRATION_FAILED',
          message: expect.stringMatching(
            /may not change the schema: migrate as the owner \(GATEHOUSE_MIGRATION_DATABASE_URL/,
          ),
        });
      } finally {
        await app.close();
      }
    } finally {
      await fresh.drop();
    }
  });

  it('refuses to start as a role the login cannot take', async () => {
    const { loadConfig, serve } = await import('../src/index.ts');
    const config = loadConfig({
      DATABASE_URL: appUrl,
      GATEHOUSE_MIGRATION_DATABASE_URL: database.url,
      GATEHOUSE_DB_APP_ROLE: OWNER_ROLE,
      GATEHOUSE_DATA_DIR: mkdtempSync(join(tmpdir(), 'gh-roles-')),
      GATEHOUSE_MASTER_KEY: 'x'.repeat(40),
      GATEHOUSE_PORT: '0',
    });
    await expect(serve(config, { http: false, jobs: false, logger: false })).rejects.toMatchObject({
      code: 'ERR_DB_ROLE',
      message: expect.stringMatching(new RegExp(`cannot work as role ${OWNER_ROLE}: permission denied`)),
    });
  });
});
