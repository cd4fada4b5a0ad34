/**
 * MySQL, MariaDB, SQLite, BigQuery, Snowflake and T-SQL analysis on node-sql-parser. Its
 * grammars are narrower than the real servers', so a valid statement may fail to parse;
 * that is reported as uncertainty (never `auto`), with lexical escalation on top.
 */
import pkg from 'node-sql-parser';
import type { Analysis, ParsedCommand, SqlDialect } from '../types.ts';
import { CREDENTIAL_RELATIONS, EVASION_SETTINGS, KNOWN_READ_FUNCTIONS, RISKY_FUNCTIONS } from './catalog.ts';
import { isDisplayStatement, lexicalFindings } from './fallback.ts';
import { clip, FindingSet } from './findings.ts';
import { lex } from './lexer.ts';
import { foldPrepared } from './mysql-prepare.ts';
import { RULE, type SqlRuleId } from './rules.ts';
import { type Expr, other, type Tautology, tautology } from './tautology.ts';
import { isObject, type JsonObject, walk } from './walk.ts';

const { Parser } = pkg;
const parser = new Parser();

const DATABASE: Record<Exclude<SqlDialect, 'postgresql'>, string> = {
  mysql: 'MySQL',
  mariadb: 'MariaDB',
  sqlite: 'Sqlite',
  bigquery: 'BigQuery',
  snowflake: 'Snowflake',
  transactsql: 'TransactSQL',
};

const STRING_TYPES = new Set([
  'single_quote_string',
  'double_quote_string',
  'string',
  'natural_string',
  'hex_string',
  'full_hex_string',
  'bit_string',
]);

const CMP_OPS = new Set(['=', '==', '!=', '<>', '<', '>', '<=', '>=', '<=>']);

interface State {
  fs: FindingSet;
  dialect: SqlDialect;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function str(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (isObject(v)) {
    if (typeof v.value === 'string') return v.value;
    if (isObject(v.expr)) return str(v.expr);
  }
  return undefined;
}

function tableName(t: unknown): string {
  if (!isObject(t)) return '?';
  const table = str(t.table) ?? '?';
  const db = str(t.db);
  return db ? `${db}.${table}` : table;
}

function tableList(v: unknown): string {
  if (Array.isArray(v)) return v.map(tableName).join(', ') || '?';
  return typeof v === 'string' ? v : tableName(v);
}

/** Function name as written (last component), from either AST shape the parser produces. */
function functionName(node: JsonObject): string | undefined {
  const n = node.name;
  if (typeof n === 'string') return n;
  if (isObject(n) && Array.isArray(n.name)) {
    const last = n.name[n.name.length - 1];
    return isObject(last) && typeof last.value === 'string' ? last.value : undefined;
  }
  return undefined;
}

export function nodeExpr(node: unknown, mysqlFamily: boolean, depth = 0): Expr {
  if (depth > 200 || !isObject(node)) return other();
  const t = node.type;
  if (t === 'number') {
    const v = typeof node.value === 'number' ? node.value : Number(node.value);
    return Number.isNaN(v) ? other() : { k: 'const', v };
  }
  if (t === 'bool' || t === 'boolean') return { k: 'const', v: node.value === true };
  if (t === 'null') return { k: 'const', v: null };
  if (typeof t === 'string' && STRING_TYPES.has(t) && typeof node.value === 'string') {
    return { k: 'const', v: node.value };
  }
  if (t === 'column_ref') {
    const name = str(node.column);
    const table = str(node.table);
    // Qualified, so that `a.id = b.id` (a join) is not mistaken for `id = id`.
    return name ? { k: 'col', name: (table ? `${table}.${name}` : name).toLowerCase() } : other();
  }
  if (t === 'unary_expr' && (node.operator === 'NOT' || node.operator === '!')) {
    return { k: 'not', e: nodeExpr(node.expr, mysqlFamily, depth + 1) };
  }
  if (t !== 'binary_expr' || typeof node.operator !== 'string') return other();
  const op = node.operator.toUpperCase();
  const l = nodeExpr(node.left, mysqlFamily, depth + 1);
  const r = nodeExpr(node.right, mysqlFamily, depth + 1);
  if (op === 'AND' || op === '&&') return { k: 'and', items: [l, r] };
  if (op === 'OR' || (op === '||' && mysqlFamily)) return { k: 'or', items: [l, r] };
  if (CMP_OPS.has(op)) return { k: 'cmp', op, l, r };
  if (op === 'IS' || op === 'IS NOT') {
    if (r.k === 'const' && r.v === null) return { k: 'nulltest', e: l, notNull: op === 'IS NOT' };
    return other();
  }
  if (op === 'LIKE' || op === 'NOT LIKE' || op === 'ILIKE') {
    return { k: 'like', e: l, pattern: r, negated: op.startsWith('NOT') };
  }
  return other();
}

/**
 * MySQL reads `||` as OR, binding looser than `=`, while node-sql-parser builds it as a
 * tighter operator: `a = 1 || 1` is always true on the server but parses as `a = (1 || 1)`.
 * Any `||` in a MySQL WHERE is therefore treated as possibly matching every row.
 */
function pipesInWhere(where: unknown): boolean {
  let found = false;
  walk(where, true, (n) => {
    if (n.type === 'binary_expr' && n.operator === '||') found = true;
    return found ? null : true;
  });
  return found;
}

function whereVerdict(where: unknown, st: State): Tautology | null {
  const mysqlFamily = st.dialect === 'mysql' || st.dialect === 'mariadb';
  const t = tautology(nodeExpr(where, mysqlFamily));
  if (t) return t;
  if (mysqlFamily && pipesInWhere(where)) {
    return { strength: 'suspicious', why: 'uses ||, which MySQL evaluates as a low-precedence OR' };
  }
  return null;
}

function whereFindings(kind: 'DELETE' | 'UPDATE', ast: JsonObject, st: State): void {
  const target = tableList(ast.table);
  const head = kind === 'DELETE' ? `DELETE FROM ${target}` : `UPDATE ${target}`;
  const noWhere = kind === 'DELETE' ? RULE.deleteNoWhere : RULE.updateNoWhere;
  const taut = kind === 'DELETE' ? RULE.deleteTautology : RULE.updateTautology;
  if (ast.where === null || ast.where === undefined) {
    // A multi-table DELETE/UPDATE … JOIN … ON filters through its join condition.
    const joins = [
      ...(Array.isArray(ast.from) ? ast.from : []),
      ...(Array.isArray(ast.table) ? ast.table : []),
    ]
      .filter((f): f is JsonObject => isObject(f) && f.on !== undefined && f.on !== null)
      .map((f) => f.on);
    if (joins.length === 0) {
      st.fs.add(noWhere, `${head} has no WHERE clause`);
      return;
    }
    // A join condition matches rows to rows; it does not bound how many. `DELETE t FROM t JOIN
    // u ON t.id = u.tid` deletes every row of t that has a partner, typically all of them.
    for (const on of joins) {
      const t = whereVerdict(on, st);
      if (t) {
        st.fs.add(taut, `${head}: the join condition ${t.why}`);
        return;
      }
    }
    st.fs.add(noWhere, `${head} has no WHERE clause, only a join condition`);
    return;
  }
  const t = whereVerdict(ast.where, st);
  if (t) st.fs.add(taut, `${head}: the WHERE clause ${t.why}`);
  else st.fs.add(RULE.write, `${head} with a WHERE clause`);
}

function setFindings(ast: JsonObject, st: State): void {
  const keyword = String(ast.keyword ?? '').toUpperCase();
  const assigns = Array.isArray(ast.expr) ? ast.expr : [];
  let flagged = false;
  for (const a of assigns) {
    if (!isObject(a) || !isObject(a.left)) continue;
    const left = a.left;
    const prefix = String(left.prefix ?? '');
    const members = Array.isArray(left.members) ? left.members.map(String) : [];
    const name = String(left.name ?? '').toLowerCase();
    const scope = prefix === '@@' && (name === 'global' || name === 'persist' || name === 'persist_only');
    const variable = (
      scope || name === 'session' || name === 'local' ? (members[0] ?? '') : name
    ).toLowerCase();
    if (prefix === '@') continue; // user variable
    if (keyword === 'GLOBAL' || keyword.startsWith('PERSIST') || scope) {
      st.fs.add(RULE.serverConfig, `SET GLOBAL ${variable} changes server-wide configuration`);
      flagged = true;
    } else if (EVASION_SETTINGS.has(variable)) {
      st.fs.add(RULE.defenseEvasion, `SET ${variable} controls auditing or replication logging`);
      flagged = true;
    } else if (variable === 'password') {
      st.fs.add(RULE.privilege, 'SET PASSWORD changes an account password');
      flagged = true;
    }
  }
  if (!flagged) st.fs.add(RULE.session, 'SET affects only this session');
}

function alterFindings(ast: JsonObject, st: State): void {
  const target = tableList(ast.table);
  const actions = Array.isArray(ast.expr) ? ast.expr : [];
  for (const a of actions) {
    if (!isObject(a)) continue;
    const action = String(a.action ?? '').toLowerCase();
    const resource = String(a.resource ?? a.keyword ?? '').toLowerCase();
    if (action === 'drop' && (resource === 'column' || resource === 'partition')) {
      st.fs.add(RULE.ddlDataLoss, `ALTER TABLE ${target} DROP ${resource.toUpperCase()} deletes its data`);
    } else if ((action === 'modify' || action === 'change') && resource === 'column') {
      st.fs.add(
        RULE.ddlDataLoss,
        `ALTER TABLE ${target} ${action.toUpperCase()} COLUMN may truncate existing values`,
      );
    } else if (action === 'truncate') {
      st.fs.add(RULE.ddlDataLoss, `ALTER TABLE ${target} TRUNCATE PARTITION deletes its rows`);
    } else if (action === 'rename' && resource !== 'index' && resource !== 'key') {
      st.fs.add(RULE.rename, `ALTER TABLE ${target} RENAME breaks every query that uses the old name`);
    } else {
      st.fs.add(RULE.ddl, `ALTER TABLE ${target} changes the schema`);
    }
  }
  if (actions.length === 0) st.fs.add(RULE.ddl, `ALTER ${target} changes the schema`);
}

/** Classifies one top-level statement; returns its name. */
function classify(ast: JsonObject, st: State): string {
  const type = String(ast.type ?? 'unknown').toLowerCase();
  const keyword = String(ast.keyword ?? '').toLowerCase();
  const before = st.fs.size;
  let read = false;
  let name = type.toUpperCase();

  switch (type) {
    case 'select': {
      const into = isObject(ast.into) ? ast.into : {};
      const kw = String(into.keyword ?? '').toUpperCase();
      if (kw === 'OUTFILE' || kw === 'DUMPFILE') {
        st.fs.add(
          RULE.serverFileAccess,
          `SELECT … INTO ${kw} '${clip(str(into.expr) ?? '?')}' writes a server file`,
        );
      } else if (into.keyword !== undefined && kw !== 'VAR' && kw !== '') {
        st.fs.add(RULE.ddl, `SELECT … INTO ${kw} creates or writes a table`);
      } else read = true;
      break;
    }
    case 'insert':
    case 'replace':
      st.fs.add(RULE.write, `${name} INTO ${tableList(ast.table)}`);
      break;
    case 'delete':
    case 'update':
      whereFindings(type === 'delete' ? 'DELETE' : 'UPDATE', ast, st);
      break;
    case 'truncate':
      name = 'TRUNCATE';
      st.fs.add(RULE.truncate, `TRUNCATE ${tableList(ast.name)} removes every row`);
      break;
    case 'drop': {
      name = `DROP ${keyword.toUpperCase()}`;
      const what = `${name} ${tableList(ast.name)}`;
      if (keyword === 'table' || keyword === 'database' || keyword === 'schema') {
        st.fs.add(RULE.drop, `${what} destroys data irreversibly`);
      } else if (keyword === 'user' || keyword === 'role') st.fs.add(RULE.privilege, what);
      else st.fs.add(RULE.dropObject, what);
      break;
    }
    case 'alter':
      name = 'ALTER TABLE';
      alterFindings(ast, st);
      break;
    case 'create':
      name = `CREATE ${keyword.toUpperCase()}`;
      if (keyword === 'user' || keyword === 'role') st.fs.add(RULE.privilege, `${name} manages accounts`);
      else if (['trigger', 'procedure', 'function', 'event'].includes(keyword)) {
        st.fs.add(RULE.routine, `${name} stores code that runs later`);
      } else st.fs.add(RULE.ddl, `${name} changes the schema`);
      break;
    case 'grant':
    case 'revoke':
      st.fs.add(RULE.privilege, `${name} changes privileges`);
      break;
    case 'load_data':
      name = 'LOAD DATA';
      st.fs.add(
        RULE.serverFileAccess,
        `LOAD DATA ${ast.local ? 'LOCAL ' : ''}INFILE '${clip(str(ast.file) ?? '?')}' reads a file into a table`,
      );
      break;
    case 'attach':
      st.fs.add(
        RULE.serverFileAccess,
        `ATTACH DATABASE '${clip(str(ast.expr) ?? '?')}' opens a database file`,
      );
      break;
    case 'set':
      setFindings(ast, st);
      break;
    case 'show':
    case 'desc':
    case 'describe':
    case 'explain':
      read = true;
      break;
    case 'use':
    case 'transaction':
    case 'unlock':
    case 'declare':
      st.fs.add(RULE.session, `${name} affects only this session`);
      break;
    case 'lock':
      st.fs.add(RULE.maintenance, 'LOCK TABLES blocks other sessions');
      break;
    case 'call': {
      const fn = isObject(ast.expr) ? (functionName(ast.expr) ?? '?') : '?';
      st.fs.add(RULE.routineCall, `CALL ${fn}() runs a procedure whose effects are not visible`);
      break;
    }
    case 'rename':
      st.fs.add(RULE.rename, 'RENAME TABLE breaks every query and client that uses the old name');
      break;
    default:
      st.fs.add(RULE.unclassified, `${name} is not a statement type the analyzer classifies`);
  }

  // Functions and tables anywhere in the tree: subqueries, CTEs, arguments, join conditions.
  walk(ast, true, (node) => {
    if (node.type === 'function') functionFindings(node, st, type === 'call' && node === ast.expr);
    if ('table' in node && 'db' in node) {
      const full = tableName(node).toLowerCase();
      if (CREDENTIAL_RELATIONS.has(full))
        st.fs.add(RULE.credentialRead, `reads ${full}, which holds credentials`);
    }
    return true;
  });

  if (read && st.fs.size === before) st.fs.add(RULE.read, `${name} only reads`);
  return name;
}

function functionFindings(node: JsonObject, st: State, isCallTarget: boolean): void {
  const fname = functionName(node)?.toLowerCase();
  if (!fname || isCallTarget) return;
  const risk = RISKY_FUNCTIONS.get(fname);
  if (risk) {
    st.fs.add(risk.rule, `${fname}() ${risk.what}`);
    return;
  }
  if (fname === 'load_extension') {
    st.fs.add(RULE.untrustedLanguage, 'load_extension() loads a native library into the database process');
    return;
  }
  const qualified = isObject(node.name) && Array.isArray(node.name.name) && node.name.name.length > 1;
  if (qualified || !KNOWN_READ_FUNCTIONS.has(fname)) {
    st.fs.add(
      RULE.unknownFunction,
      `calls ${fname}(), which is not a known read-only built-in; it may modify data`,
    );
  }
}

function astify(text: string, dialect: Exclude<SqlDialect, 'postgresql'>): JsonObject[] {
  const result: unknown = parser.astify(text, { database: DATABASE[dialect] });
  const list = Array.isArray(result) ? result : [result];
  return list.filter(isObject);
}

export function analyzeNodeSql(
  text: string,
  dialect: Exclude<SqlDialect, 'postgresql'>,
  depth = 0,
): Analysis {
  const st: State = { fs: new FindingSet(), dialect };
  const commands: ParsedCommand[] = [];
  const lexed = lex(text, dialect);
  if (lexed.executableComments > 0) {
    st.fs.add(
      RULE.executableComment,
      `${lexed.executableComments} /*! … */ comment(s) that the server executes as SQL`,
    );
  }
  const push = (name: string, stmtText: string, ast?: JsonObject) => {
    const tables = ast ? tablesOf(ast) : [];
    commands.push({
      kind: 'sql',
      name,
      args: [],
      text: stmtText.trim(),
      via: [],
      dialect,
      ...(tables.length > 0 ? { tables } : {}),
    });
  };

  let whole: JsonObject[] | undefined;
  try {
    whole = astify(lexed.text, dialect);
  } catch {
    whole = undefined;
  }
  if (whole) {
    const aligned = whole.length === lexed.pieces.length;
    if (!aligned) {
      // The parser and the lexer disagree on where statements start and end: something may
      // have been read as a comment or string by one and as code by the other.
      st.fs.add(
        RULE.parseError,
        `the parser found ${whole.length} statement(s) where the text has ${lexed.pieces.length}; boundaries are ambiguous`,
      );
    }
    for (const [i, ast] of whole.entries()) {
      push(classify(ast, st), aligned ? lexed.pieces[i]!.text : lexed.text, ast);
    }
  } else {
    // Statement by statement, so one unparsable statement does not hide the others.
    for (const piece of lexed.pieces) {
      let asts: JsonObject[];
      try {
        asts = astify(piece.text, dialect);
      } catch (e) {
        if (isDisplayStatement(piece)) {
          st.fs.add(RULE.read, `${clip(piece.text, 40)} only displays server state`);
          push('SHOW', piece.text);
          continue;
        }
        const msg = errorMessage(e).split('\n')[0] ?? '';
        st.fs.add(
          RULE.parseError,
          `${clip(piece.text, 40)} does not parse as ${DATABASE[dialect]}: ${clip(msg, 160)}`,
        );
        push('UNPARSED', piece.text);
        lexicalFindings(piece, st.fs);
        continue;
      }
      for (const ast of asts) push(classify(ast, st), piece.text, ast);
    }
  }
  preparedFindings(
    lexed.pieces.map((p) => p.text),
    dialect,
    st,
    depth,
  );
  if (commands.length === 0) st.fs.add(RULE.parseError, 'no SQL statement found');
  else if (commands.length > 1)
    st.fs.add(RULE.multiStatement, `${commands.length} statements in one request`);
  return { commands, findings: st.fs.list };
}

/** How deep PREPAREd text that itself PREPAREs is followed. */
const MAX_PREPARE_DEPTH = 3;

/**
 * Judges the statements PREPAREd from literals, CONCAT and known variables as if they were
 * written out; what cannot be folded is worst-case multi_party (see mysql-prepare.ts).
 */
function preparedFindings(
  statements: string[],
  dialect: Exclude<SqlDialect, 'postgresql'>,
  st: State,
  depth: number,
): void {
  if (!statements.some((s) => /^\s*PREPARE\b/i.test(s))) return;
  for (const { name, sql } of foldPrepared(statements)) {
    if (!sql.complete)
      st.fs.add(
        RULE.dynamicUnfoldable,
        `PREPARE ${name} from text known only at run time (reads as: ${clip(sql.text, 60)})`,
      );
    if (depth >= MAX_PREPARE_DEPTH) continue;
    const inner = analyzeNodeSql(sql.text, dialect, depth + 1);
    for (const f of inner.findings) {
      // A placeholder for an unknown part may not parse; the unfoldable finding already stands.
      if (!sql.complete && f.rule === RULE.parseError) continue;
      if (f.rule === RULE.multiStatement) continue;
      st.fs.add(f.rule as SqlRuleId, `in PREPARE ${name}: ${f.detail}`);
    }
  }
}

/** The tables a statement names, anywhere in its tree, as written (`db.table` when qualified). */
function tablesOf(ast: JsonObject): string[] {
  const tables = new Set<string>();
  walk(ast, true, (node) => {
    if ('table' in node && 'db' in node && typeof node.table === 'string') tables.add(tableName(node));
    return true;
  });
  return [...tables];
}
