import { randomBytes } from 'node:crypto';
import mysql from 'mysql2/promise';
import pg from 'pg';
import type { TestGatehouse } from './gatehouse.ts';
import { createTestDatabase, TEST_DATABASE_URL, type TestDatabase } from './postgres.ts';

/**
 * The machine's MariaDB (or MySQL), as an admin login that may create databases and users.
 * Root over TCP works on the CI machine; where root only logs in over the unix socket, set
 * TEST_MYSQL_URL=mysql://root@localhost/?socketPath=/run/mysqld/mysqld.sock.
 */
export const TEST_MYSQL_URL = process.env.TEST_MYSQL_URL ?? 'mysql://root@127.0.0.1:3306/';

/** Rows every target holds: what masking must catch in real result sets. */
export const SECRET_ROWS = [
  {
    id: 1,
    email: 'alice@example.com',
    card: '4111 1111 1111 1111',
    note: 'key AKIAIOSFODNN7EXAMPLE in the note',
    token:
      'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkFsaWNlIn0.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c',
  },
  {
    id: 2,
    email: 'bob@example.org',
    card: '5500-0000-0000-0004',
    note: 'nothing secret here',
    token: 'ghp_0123456789abcdefghijABCDEFGHIJ012345',
  },
];

/** A target database with its own least-privilege login, dropped (login included) by `drop`. */
export interface TestTarget {
  engine: 'postgresql' | 'mariadb';
  host: string;
  port: number;
  database: string;
  user: string;
  password: string;
  /** The admin's view, to check what the broker did (or did not) write. */
  adminQuery(text: string): Promise<unknown[]>;
  drop(): Promise<void>;
}

function secretPassword(): string {
  return `pw-${randomBytes(12).toString('hex')}`;
}

/**
 * A PostgreSQL target: a fresh database, seeded as its owner (the admin), and a login that may
 * only connect and read `customers` and `numbers` (plus use the sequence, which a READ ONLY
 * transaction must still refuse to advance).
 */
export async function createPostgresTarget(): Promise<TestTarget> {
  const db: TestDatabase = await createTestDatabase('gh_target');
  const user = `gh_broker_${randomBytes(4).toString('hex')}`;
  const password = secretPassword();
  const admin = new pg.Client({ connectionString: db.url });
  await admin.connect();
  try {
    await admin.query(`create role "${user}" login password '${password}'`);
    await admin.query(
      'create table customers (id int primary key, email text, card text, note text, token text)',
    );
    for (const r of SECRET_ROWS)
      await admin.query('insert into customers values ($1, $2, $3, $4, $5)', [
        r.id,
        r.email,
        r.card,
        r.note,
        r.token,
      ]);
    await admin.query(
      'create table numbers as select g as n, md5(g::text) as label from generate_series(1, 5000) g',
    );
    await admin.query('create sequence ticket_seq');
    await admin.query('create table audit_trail (id serial primary key, what text)');
    await admin.query(`grant connect on database "${db.name}" to "${user}"`);
    await admin.query(`grant usage on schema public to "${user}"`);
    await admin.query(`grant select on customers, numbers to "${user}"`);
    await admin.query(`grant select, insert on audit_trail to "${user}"`);
    await admin.query(`grant usage on sequence ticket_seq, audit_trail_id_seq to "${user}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(db.url);
  return {
    engine: 'postgresql',
    host: url.hostname,
    port: Number(url.port || 5432),
    database: db.name,
    user,
    password,
    adminQuery: async (text) => {
      const client = new pg.Client({ connectionString: db.url });
      await client.connect();
      try {
        return (await client.query(text)).rows;
      } finally {
        await client.end();
      }
    },
    drop: async () => {
      await db.drop();
      const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
      await client.connect();
      try {
        await client.query(`drop role if exists "${user}"`);
      } finally {
        await client.end();
      }
    },
  };
}

async function mysqlAdmin(database?: string) {
  const url = new URL(TEST_MYSQL_URL);
  const socketPath = url.searchParams.get('socketPath');
  return mysql.createConnection({
    ...(socketPath ? { socketPath } : { host: url.hostname, port: Number(url.port || 3306) }),
    user: decodeURIComponent(url.username || 'root'),
    password: decodeURIComponent(url.password),
    ...(database ? { database } : {}),
    multipleStatements: false,
  });
}

/** A MariaDB target: a fresh database and a login with SELECT on it (and INSERT on one table). */
export async function createMariadbTarget(): Promise<TestTarget> {
  const database = `gh_target_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  const user = `gh_broker_${randomBytes(4).toString('hex')}`;
  const password = secretPassword();
  const admin = await mysqlAdmin();
  try {
    await admin.query(`create database \`${database}\``);
    await admin.query(`use \`${database}\``);
    await admin.query(
      'create table customers (id int primary key, email text, card text, note text, token text) engine=innodb',
    );
    for (const r of SECRET_ROWS)
      await admin.query('insert into customers values (?, ?, ?, ?, ?)', [
        r.id,
        r.email,
        r.card,
        r.note,
        r.token,
      ]);
    await admin.query('create table numbers (n int primary key, label text) engine=innodb');
    await admin.query('insert into numbers select seq, md5(seq) from seq_1_to_5000');
    await admin.query('create sequence ticket_seq');
    await admin.query(
      'create table audit_trail (id int auto_increment primary key, what text) engine=innodb',
    );
    await admin.query(`create user '${user}'@'%' identified by '${password}'`);
    await admin.query(`grant select on \`${database}\`.* to '${user}'@'%'`);
    await admin.query(`grant insert on \`${database}\`.audit_trail to '${user}'@'%'`);
  } finally {
    await admin.end();
  }
  const url = new URL(TEST_MYSQL_URL);
  return {
    engine: 'mariadb',
    host: url.searchParams.get('socketPath') ? '127.0.0.1' : url.hostname,
    port: Number(url.port || 3306),
    database,
    user,
    password,
    adminQuery: async (text) => {
      const conn = await mysqlAdmin(database);
      try {
        const [rows] = await conn.query(text);
        return rows as unknown[];
      } finally {
        await conn.end();
      }
    },
    drop: async () => {
      const conn = await mysqlAdmin();
      try {
        await conn.query(`drop database if exists \`${database}\``);
        await conn.query(`drop user if exists '${user}'@'%'`);
      } finally {
        await conn.end();
      }
    },
  };
}

type Api = TestGatehouse['api'];

export interface RegisterOptions {
  name: string;
  description?: string;
  /** Who may submit statements for it: the connection's own grant, not a just-in-time one. */
  grant: { agentId: string } | { agentType: string };
}

/** Registers the target on a running Gatehouse as an admin does, and grants it. */
export async function registerTarget(
  gh: Pick<TestGatehouse, 'api' | 'adminToken'>,
  target: TestTarget,
  { name, description, grant }: RegisterOptions,
): Promise<void> {
  const created = await gh.api('/v1/connections', {
    token: gh.adminToken,
    body: {
      name,
      engine: target.engine,
      host: target.host,
      port: target.port,
      database: target.database,
      user: target.user,
      password: target.password,
      ...(description === undefined ? {} : { description }),
    },
  });
  if (created.status !== 201)
    throw new Error(`registering ${name} answered ${created.status}: ${JSON.stringify(created.body)}`);
  const granted = await gh.api(`/v1/connections/${name}/grants`, { token: gh.adminToken, body: grant });
  if (granted.status !== 201)
    throw new Error(`granting ${name} answered ${granted.status}: ${JSON.stringify(granted.body)}`);
}

export interface BrokeredRun {
  id: string;
  /** The submit's answer: tier, status, reasons. */
  submitted: any;
  /** The execute's answer. */
  answer: { status: number; body: any };
}

/** Submits a brokered statement, has the approver approve it when it waits for a person, and executes it. */
export async function runBrokered(
  api: Api,
  {
    session,
    approver,
    connection,
    command,
  }: { session: string; approver: string; connection: string; command: string },
): Promise<BrokeredRun> {
  const submitted = await api('/v1/requests', { token: session, body: { kind: 'sql', connection, command } });
  if (submitted.status !== 201)
    throw new Error(`submitting answered ${submitted.status}: ${JSON.stringify(submitted.body)}`);
  const id = submitted.body.id as string;
  if (submitted.body.status === 'pending') {
    const decided = await api(`/v1/requests/${id}/decisions`, {
      token: approver,
      body: { decision: 'approve' },
    });
    if (decided.status !== 200)
      throw new Error(`approving answered ${decided.status}: ${JSON.stringify(decided.body)}`);
  }
  const answer = await api(`/v1/requests/${id}/execute`, { token: session, body: {} });
  return { id, submitted: submitted.body, answer };
}
