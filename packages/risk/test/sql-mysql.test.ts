import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeSql, initSql } from '../src/sql/index.ts';
import type { SqlDialect } from '../src/types.ts';
import { rules, tier } from './sql-helpers.ts';

beforeAll(async () => {
  await initSql();
});

const my = (sql: string) => rules(sql, 'mysql');
const myTier = (sql: string) => tier(sql, 'mysql');

describe('MySQL', () => {
  it.each([
    'SELECT 1',
    'SELECT `id`, LOWER(name) FROM `users` WHERE id = 42',
    "SELECT 'DROP TABLE users'",
    'SELECT 1 -- DROP TABLE users',
    'SELECT 1 # ; DROP TABLE users',
    'SELECT /* ; DROP TABLE users */ 1',
    'SHOW TABLES',
    'SELECT COUNT(*) FROM t',
  ])('%s is auto', (sql) => {
    expect(myTier(sql)).toBe('auto');
  });

  it.each([
    'UPDATE t SET x = 1 WHERE id = 5',
    'DELETE FROM `t` WHERE id = 5',
    'INSERT INTO t VALUES (1)',
    'REPLACE INTO t VALUES (1)',
  ])('%s is reviewed', (sql) => {
    expect(my(sql)).toContain('sql.write');
    expect(myTier(sql)).toBe('review');
  });

  // Issue 12, class 9: a join condition does not bound a multi-table DELETE (it deletes every
  // row with a partner); only a WHERE does.
  it('DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id has no WHERE: multi_party', () => {
    expect(my('DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id')).toContain('sql.delete.no-where');
    expect(myTier('DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id')).toBe('multi_party');
    expect(myTier('DELETE t1 FROM t1 JOIN t2 ON t1.id = t2.id WHERE t2.id = 4')).toBe('review');
  });

  it.each([
    ['DROP TABLE `users`', 'sql.drop'],
    ['DROP DATABASE prod', 'sql.drop'],
    ['TRUNCATE TABLE users', 'sql.truncate'],
    ['DELETE FROM `users`', 'sql.delete.no-where'],
    ['UPDATE users SET admin = 1', 'sql.update.no-where'],
    ['DELETE FROM users WHERE 1', 'sql.delete.tautological-where'],
    ['DELETE FROM users WHERE 1=1', 'sql.delete.tautological-where'],
    ['DELETE FROM users WHERE TRUE', 'sql.delete.tautological-where'],
    ['DELETE FROM users WHERE id = 3 OR 1=1', 'sql.delete.tautological-where'],
    ['UPDATE users SET a = 1 WHERE `users`.`id` >= 1', 'sql.update.tautological-where'],
    ['UPDATE users SET a = 1 WHERE id IS NOT NULL', 'sql.update.tautological-where'],
    ['DELETE FROM users WHERE id = 3 || 1', 'sql.delete.tautological-where'],
    ['DELETE t1 FROM t1 JOIN t2 ON 1 = 1', 'sql.delete.tautological-where'],
    ['ALTER TABLE t DROP COLUMN c', 'sql.ddl.data-loss'],
    ['ALTER TABLE t DROP PARTITION p1', 'sql.ddl.data-loss'],
  ])('%s → %s (multi_party)', (sql, rule) => {
    expect(my(sql)).toContain(rule);
    expect(myTier(sql)).toBe('multi_party');
  });

  it.each([
    ["SELECT * FROM t INTO OUTFILE '/var/www/x.php'", 'sql.server-file-access'],
    ["SELECT 0x3c3f INTO DUMPFILE '/tmp/x'", 'sql.server-file-access'],
    ["LOAD DATA INFILE '/etc/passwd' INTO TABLE t", 'sql.server-file-access'],
    ["LOAD DATA LOCAL INFILE '/home/u/.ssh/id_rsa' INTO TABLE t", 'sql.server-file-access'],
    ["SELECT LOAD_FILE('/etc/passwd')", 'sql.server-file-access'],
    ["SELECT * FROM t WHERE a = (SELECT load_file('/x'))", 'sql.server-file-access'],
    ["GRANT ALL ON *.* TO 'bob'@'%'", 'sql.privilege'],
    ["CREATE USER bob IDENTIFIED BY 'x'", 'sql.privilege'],
    ['DROP USER bob', 'sql.privilege'],
    ["SET PASSWORD = 'x'", 'sql.privilege'],
    ['SET GLOBAL general_log = 0', 'sql.server-config'],
    ['SET @@global.max_connections = 1', 'sql.server-config'],
    ['SET sql_log_bin = 0', 'sql.defense-evasion'],
    ['SELECT * FROM mysql.user', 'sql.credential-read'],
    ["SELECT sys_exec('id')", 'sql.server-program'],
  ])('%s → %s (deny)', (sql, rule) => {
    expect(my(sql)).toContain(rule);
    expect(myTier(sql)).toBe('deny');
  });

  it.each([
    ['KILL 42', 'sql.session-kill', 'multi_party'],
    ['KILL CONNECTION 42', 'sql.session-kill', 'multi_party'],
    ['KILL QUERY 42', 'sql.query-cancel', 'review'],
  ])('%s → %s (%s)', (sql, rule, expected) => {
    expect(my(sql)).toContain(rule);
    expect(myTier(sql)).toBe(expected);
  });

  it('runs what is inside executable comments', () => {
    const sql = 'SELECT 1 /*!50000 ; DROP TABLE users */';
    expect(my(sql)).toContain('sql.executable-comment');
    expect(my(sql)).toContain('sql.drop');
    expect(myTier(sql)).toBe('multi_party');
    expect(myTier('/*!40101 SET NAMES utf8 */')).toBe('review');
  });

  it('treats `--x` as code, not a comment (MySQL needs a space after --)', () => {
    expect(analyzeSql('SELECT 1 --1', 'mysql').commands).toHaveLength(1);
  });

  it('reviews dynamic SQL and procedures', () => {
    expect(my('PREPARE s FROM @q')).toContain('sql.dynamic-sql');
    // Issue 12, class 9: a statement PREPAREd from text that cannot be folded could be any
    // statement, so it is worst-case multi_party; one folded from literals is judged as itself.
    expect(my('PREPARE s FROM @q')).toContain('sql.dynamic-sql.unfoldable');
    expect(myTier('PREPARE s FROM @q')).toBe('multi_party');
    expect(myTier("PREPARE s FROM CONCAT('DROP ', 'TABLE users'); EXECUTE s")).toBe('multi_party');
    expect(
      myTier("SET @t = 'jobs'; PREPARE s FROM CONCAT('UPDATE ', @t, ' SET x = 1 WHERE id = 7'); EXECUTE s"),
    ).toBe('review');
    expect(myTier('CALL cleanup()')).toBe('review');
    expect(myTier('SELECT SLEEP(10)')).toBe('review');
    expect(myTier('SELECT my_udf(1)')).toBe('review');
  });

  it('multi-statement: worst wins, strings and comments do not split', () => {
    expect(myTier("SELECT 'a;b'; SELECT 2")).toBe('auto');
    const a = analyzeSql("SELECT 'a;b'; DELETE FROM x -- c", 'mysql');
    expect(a.commands.map((c) => c.text)).toEqual([
      "SELECT 'a;b'",
      'DELETE FROM x -- c'.replace(' -- c', ''),
    ]);
    expect(myTier("SELECT 'a;b'; DELETE FROM x")).toBe('multi_party');
    expect(myTier("SELECT 'it\\'s; DROP TABLE x'")).toBe('auto');
    expect(myTier('SELEC 1; DROP TABLE users')).toBe('multi_party');
  });

  it('never auto-approves what it cannot parse', () => {
    for (const sql of ['SELEC 1', 'DELETE FROM', "SELECT 'x", '', 'SET NAMES utf8mb4']) {
      expect(my(sql), sql).toContain('sql.parse-error');
      expect(myTier(sql), sql).not.toBe('auto');
    }
  });
});

describe('statements node-sql-parser rejects (held-out corpus)', () => {
  it.each([
    ['PURGE BINARY LOGS BEFORE NOW()', 'sql.defense-evasion'],
    ["PURGE BINARY LOGS TO 'mysql-bin.000123';", 'sql.defense-evasion'],
    ["INSTALL PLUGIN server_audit SONAME 'server_audit.so'", 'sql.untrusted-language'],
    ['UNINSTALL PLUGIN audit_log', 'sql.defense-evasion'],
    ['UNINSTALL PLUGIN validate_password', 'sql.server-config'],
    ["CREATE FUNCTION sys_exec RETURNS INT SONAME 'lib_mysqludf_sys.so'", 'sql.untrusted-language'],
    ["RENAME USER 'app'@'%' TO 'x'@'%'", 'sql.privilege'],
    ["SHOW CREATE USER 'root'@'localhost'", 'sql.credential-read'],
  ])('%s is denied', (sql, rule) => {
    expect(my(sql)).toContain(rule);
    expect(myTier(sql)).toBe('deny');
  });

  it.each([
    'SHOW REPLICA STATUS',
    "SHOW VARIABLES LIKE 'max_connections'",
    "SHOW TABLE STATUS LIKE 'orders'",
    'SHOW GRANTS FOR CURRENT_USER()',
    'SHOW FULL PROCESSLIST;',
  ])('%s only displays server state', (sql) => {
    expect(my(sql)).toEqual(['sql.read']);
    expect(myTier(sql)).toBe('auto');
  });

  it('judges each statement after an unparsable SHOW on its own', () => {
    expect(myTier("SHOW VARIABLES LIKE 'x'; DROP TABLE users")).toBe('multi_party');
    expect(myTier("SHOW VARIABLES LIKE 'x'; SET GLOBAL general_log = 0")).toBe('deny');
  });
});

describe('other node-sql-parser dialects', () => {
  const cases: Array<[SqlDialect, string, string]> = [
    ['mariadb', 'DELETE FROM users', 'multi_party'],
    ['mariadb', 'SELECT 1', 'auto'],
    ['sqlite', 'DELETE FROM t', 'multi_party'],
    ['sqlite', "ATTACH DATABASE '/etc/x.db' AS x", 'deny'],
    ['sqlite', "SELECT load_extension('/tmp/x.so')", 'deny'],
    ['bigquery', 'DELETE FROM t WHERE true', 'multi_party'],
    ['bigquery', 'SELECT * FROM `p.d.t`', 'auto'],
    ['snowflake', 'DROP TABLE x', 'multi_party'],
    ['transactsql', 'DELETE FROM [users]', 'multi_party'],
    ['transactsql', 'SELECT TOP 10 * FROM t', 'auto'],
    ['transactsql', "EXEC xp_cmdshell 'dir'", 'deny'],
  ];
  it.each(cases)('%s: %s → %s', (dialect, sql, expected) => {
    expect(tier(sql, dialect)).toBe(expected);
    expect(analyzeSql(sql, dialect).commands.every((c) => c.dialect === dialect)).toBe(true);
  });

  it('rejects an unknown dialect without throwing', () => {
    expect(rules('SELECT 1', 'oracle' as SqlDialect)).toEqual(['sql.parse-error']);
  });
});
