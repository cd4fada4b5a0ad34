import mysql from 'mysql2';
import pg from 'pg';
import type { Credentials } from '../connections/credentials.ts';
import type { ConnectionRow } from '../connections/row.ts';
import type { RawResult } from './result.ts';

/** How one statement is run; everything here comes from the request and the server's config. */
export interface RunPlan {
  statement: string;
  readOnly: boolean;
  /** More than one statement was approved: only then may the text hold several. */
  multi: boolean;
  rowCap: number;
  timeoutMs: number;
  connectTimeoutMs: number;
}

/**
 * Why a run failed, in the broker's words. `connect` and `login` failures carry no driver
 * message: a driver's connect error can name the user, and that is part of the login.
 */
export class TargetFailure extends Error {
  override readonly name = 'TargetFailure';
  constructor(
    readonly kind: 'connect' | 'login' | 'timeout' | 'cancelled' | 'statement' | 'lost',
    message: string,
  ) {
    super(message);
  }
}

/** One open session on a target: run the plan, or cancel what it is running from outside. */
export interface TargetSession {
  run(plan: RunPlan, beforeCommit: (raw: RawResult) => void): Promise<RawResult>;
  /** Asks the target to stop the running statement (pg_cancel_backend / KILL QUERY). */
  cancel(): Promise<void>;
  /**
   * Brings the session back to what a fresh login gets (`DISCARD ALL`, COM_RESET_CONNECTION),
   * so nothing a run set can reach the next one. Throws if it could not: the session is then closed.
   */
  reset(): Promise<void>;
  /**
   * False once a cancel was sent for it (a cancel still on its way could stop the next run's
   * statement), the connection dropped, or it holds options another run must not inherit.
   */
  readonly reusable: boolean;
  close(): Promise<void>;
}

interface Target {
  row: ConnectionRow;
  login: Credentials;
}

export async function openSession(
  target: Target,
  connectTimeoutMs: number,
  multi: boolean,
): Promise<TargetSession> {
  return target.row.engine === 'postgresql'
    ? PgSession.open(target, connectTimeoutMs)
    : MysqlSession.open(target, connectTimeoutMs, multi);
}

/** Keeps the rows of the last result set, up to the cap; the rest are counted as dropped. */
class Collector {
  columns: string[] = [];
  rows: unknown[][] = [];
  truncated = false;
  #owner: unknown;
  constructor(private readonly cap: number) {}

  /** A new result set (multi-statement text): the last one is what comes back. */
  start(owner: unknown, columns: string[]): void {
    if (this.#owner === owner) return;
    this.#owner = owner;
    this.columns = columns;
    this.rows = [];
    this.truncated = false;
  }

  add(row: unknown[]): void {
    if (this.rows.length < this.cap) this.rows.push(row);
    else this.truncated = true;
  }
}

const PG_LOGIN_CODES = new Set(['28P01', '28000', '3D000']);

/** The SQLSTATE the target answered with, if the failure came from it and not from the socket. */
function sqlState(error: unknown): string | undefined {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' && /^[0-9A-Z]{5}$/.test(code) ? code : undefined;
}

class PgSession implements TargetSession {
  #cancelled = false;
  #dropped = false;

  private constructor(
    private readonly client: pg.Client,
    private readonly target: Target,
    private readonly connectTimeoutMs: number,
  ) {}

  static async open(target: Target, connectTimeoutMs: number): Promise<PgSession> {
    const client = new pg.Client(PgSession.config(target, connectTimeoutMs));
    // A session dropped while idle must not become an unhandled 'error' that ends the process.
    client.on('error', () => {});
    try {
      await client.connect();
    } catch (error) {
      await client.end().catch(() => {});
      const code = (error as { code?: string }).code;
      if (code && PG_LOGIN_CODES.has(code))
        throw new TargetFailure('login', 'the target refused the gateway’s login');
      throw new TargetFailure('connect', 'the target cannot be reached');
    }
    const session = new PgSession(client, target, connectTimeoutMs);
    client.on('end', () => {
      session.#dropped = true;
    });
    client.on('error', () => {
      session.#dropped = true;
    });
    return session;
  }

  get reusable(): boolean {
    return !this.#cancelled && !this.#dropped;
  }

  private static config(target: Target, connectTimeoutMs: number): pg.ClientConfig {
    return {
      host: target.row.host,
      port: target.row.port,
      database: target.row.database,
      user: target.login.user,
      password: target.login.password,
      connectionTimeoutMillis: connectTimeoutMs,
      application_name: 'gatehouse-broker',
    };
  }

  async run(plan: RunPlan, beforeCommit: (raw: RawResult) => void): Promise<RawResult> {
    // One round trip: a read-only run makes the whole session read-only too, so even a COMMIT
    // the parsers missed in the text cannot leave it writing; the timeout is enforced by the server.
    try {
      await this.client.query(
        `${plan.readOnly ? 'SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY; BEGIN READ ONLY' : 'BEGIN'}; ` +
          `SET LOCAL statement_timeout = ${Math.trunc(plan.timeoutMs)}`,
      );
    } catch (error) {
      // The statement was not sent: a session that died while idle in the pool can be replaced.
      if (sqlState(error) === undefined)
        throw new TargetFailure('lost', 'the session was lost before the statement');
      throw error;
    }
    try {
      const raw = await this.#statement(plan);
      beforeCommit(raw);
      await this.client.query('COMMIT');
      return raw;
    } catch (error) {
      await this.client.query('ROLLBACK').catch(() => {});
      throw error;
    }
  }

  #statement(plan: RunPlan): Promise<RawResult> {
    const collector = new Collector(plan.rowCap);
    // One approved statement goes through the extended protocol, which refuses a second one
    // in the text even if the parsers missed it; several approved statements need the simple one.
    // The typings lag the driver: `rowMode` and `queryMode` are Query options since pg 8.11.
    const query = new pg.Query({
      text: plan.statement,
      rowMode: 'array',
      ...(plan.multi ? {} : { queryMode: 'extended' }),
    } as pg.QueryConfig);
    return new Promise<RawResult>((resolve, reject) => {
      query.on('row', (row: unknown[], result?: pg.ResultBuilder) => {
        if (result)
          collector.start(
            result,
            result.fields.map((f) => f.name),
          );
        collector.add(row);
      });
      query.on('error', reject);
      query.on('end', (results: pg.QueryResult | pg.QueryResult[]) => {
        const all = Array.isArray(results) ? results : [results];
        const last = all.at(-1);
        const withRows = [...all].reverse().find((r) => r.fields && r.fields.length > 0);
        if (withRows)
          collector.start(
            withRows,
            withRows.fields.map((f) => f.name),
          );
        const affected =
          last && ['INSERT', 'UPDATE', 'DELETE', 'MERGE', 'COPY'].includes(last.command)
            ? last.rowCount
            : null;
        resolve({
          columns: collector.columns,
          rows: collector.rows,
          truncated: collector.truncated,
          affectedRows: affected ?? null,
        });
      });
      this.client.query(query as never);
    });
  }

  async cancel(): Promise<void> {
    const pid = (this.client as unknown as { processID?: number }).processID;
    this.#cancelled = true;
    if (!pid) return;
    // A role may cancel its own backends: the same login is enough, no superuser needed.
    const side = new pg.Client(PgSession.config(this.target, this.connectTimeoutMs));
    side.on('error', () => {});
    try {
      await side.connect();
      await side.query('select pg_cancel_backend($1)', [pid]);
    } finally {
      await side.end().catch(() => {});
    }
  }

  async reset(): Promise<void> {
    // Refused inside a transaction block, so it also proves the run left none open. It drops
    // temp tables, prepared statements, cursors, advisory locks, LISTENs, SET ROLE and every SET.
    await this.client.query('DISCARD ALL');
  }

  async close(): Promise<void> {
    await this.client.end().catch(() => {});
  }
}

const MYSQL_LOGIN_CODES = new Set(['ER_ACCESS_DENIED_ERROR', 'ER_DBACCESS_DENIED_ERROR', 'ER_BAD_DB_ERROR']);

class MysqlSession implements TargetSession {
  #cancelled = false;
  #dropped = false;

  private constructor(
    private readonly conn: mysql.Connection,
    private readonly target: Target,
    private readonly connectTimeoutMs: number,
    /** A session that allows several statements in one text serves only the run it was opened for. */
    private readonly multi: boolean,
  ) {}

  get reusable(): boolean {
    return !this.#cancelled && !this.#dropped && !this.multi;
  }

  private static options(target: Target, connectTimeoutMs: number, multi: boolean): mysql.ConnectionOptions {
    return {
      host: target.row.host,
      port: target.row.port,
      database: target.row.database,
      user: target.login.user,
      password: target.login.password,
      connectTimeout: connectTimeoutMs,
      // The driver refuses a second statement in the text unless several were approved.
      multipleStatements: multi,
      supportBigNumbers: true,
      bigNumberStrings: true,
      dateStrings: true,
      rowsAsArray: true,
    };
  }

  static async open(target: Target, connectTimeoutMs: number, multi: boolean): Promise<MysqlSession> {
    const conn = mysql.createConnection(MysqlSession.options(target, connectTimeoutMs, multi));
    try {
      await new Promise<void>((resolve, reject) =>
        conn.connect((error) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      conn.destroy();
      const code = (error as { code?: string }).code;
      if (code && MYSQL_LOGIN_CODES.has(code))
        throw new TargetFailure('login', 'the target refused the gateway’s login');
      throw new TargetFailure('connect', 'the target cannot be reached');
    }
    const session = new MysqlSession(conn, target, connectTimeoutMs, multi);
    conn.on('error', () => {
      session.#dropped = true;
    });
    conn.on('end', () => {
      session.#dropped = true;
    });
    return session;
  }

  #query(sql: string): Promise<unknown> {
    return new Promise((resolve, reject) =>
      this.conn.query(sql, (error, result) => (error ? reject(error) : resolve(result))),
    );
  }

  async run(plan: RunPlan, beforeCommit: (raw: RawResult) => void): Promise<RawResult> {
    const seconds = (Math.trunc(plan.timeoutMs) / 1000).toFixed(3);
    // MariaDB bounds every statement; MySQL only SELECTs (the broker's own watchdog covers the rest).
    try {
      await this.#query(
        this.target.row.engine === 'mariadb'
          ? `SET SESSION max_statement_time = ${seconds}`
          : `SET SESSION max_execution_time = ${Math.trunc(plan.timeoutMs)}`,
      );
    } catch (error) {
      // The statement was not sent: a session that died while idle in the pool can be replaced.
      if ((error as { fatal?: unknown }).fatal === true)
        throw new TargetFailure('lost', 'the session was lost before the statement');
      throw error;
    }
    // As for PostgreSQL: a read-only run is read-only for the whole session, not only this transaction.
    if (plan.readOnly) await this.#query('SET SESSION TRANSACTION READ ONLY');
    await this.#query(plan.readOnly ? 'START TRANSACTION READ ONLY' : 'START TRANSACTION');
    try {
      const raw = await this.#statement(plan);
      beforeCommit(raw);
      await this.#query('COMMIT');
      return raw;
    } catch (error) {
      await this.#query('ROLLBACK').catch(() => {});
      throw error;
    }
  }

  #statement(plan: RunPlan): Promise<RawResult> {
    const collector = new Collector(plan.rowCap);
    let affected: number | null = null;
    return new Promise<RawResult>((resolve, reject) => {
      let failed = false;
      let sets = 0;
      const query = this.conn.query({ sql: plan.statement, rowsAsArray: true });
      query.on('fields', (fields: Array<{ name: string }> | null | undefined) => {
        // A statement without a result set announces no fields (null), then its header.
        if (Array.isArray(fields))
          collector.start(
            ++sets,
            fields.map((f) => f.name),
          );
      });
      query.on('result', (row: unknown) => {
        if (Array.isArray(row)) {
          collector.add(row);
          return;
        }
        // A statement without a result set (INSERT, UPDATE …) reports its header instead.
        const header = row as { affectedRows?: number };
        affected = typeof header.affectedRows === 'number' ? header.affectedRows : null;
      });
      query.on('error', (error: Error) => {
        failed = true;
        reject(error);
      });
      query.on('end', () => {
        if (failed) return;
        resolve({
          columns: collector.columns,
          rows: collector.rows,
          truncated: collector.truncated,
          affectedRows: affected,
        });
      });
    });
  }

  async cancel(): Promise<void> {
    const id = this.conn.threadId;
    this.#cancelled = true;
    if (!id) return;
    // Any login may kill queries of its own threads.
    const side = mysql.createConnection(MysqlSession.options(this.target, this.connectTimeoutMs, false));
    side.on('error', () => {});
    try {
      await new Promise<void>((resolve, reject) =>
        side.query(`KILL QUERY ${Number(id)}`, (error) => (error ? reject(error) : resolve())),
      );
    } finally {
      side.destroy();
    }
  }

  async reset(): Promise<void> {
    // COM_RESET_CONNECTION: session variables, temporary tables, user locks and prepared
    // statements go, and the session's transaction characteristics return to the defaults.
    await new Promise<void>((resolve, reject) =>
      this.conn.reset((error) => (error ? reject(error) : resolve())),
    );
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.conn.end(() => resolve()));
    this.conn.destroy();
  }
}
