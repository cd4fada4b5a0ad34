/**
 * PostgreSQL analysis on the real server grammar (libpg-query). Every statement node and
 * every function call anywhere in the tree is visited, so nesting (subqueries, CTEs, rule
 * actions, function bodies, EXPLAIN ANALYZE, PREPARE) hides nothing.
 */
import { parsePlPgSQLSync, parseSync } from 'libpg-query';
import type { Analysis, ParsedCommand } from '../types.ts';
import {
  CREDENTIAL_RELATIONS,
  DANGEROUS_EXTENSIONS,
  EVASION_SETTINGS,
  IDENTITY_SETTINGS,
  KNOWN_READ_FUNCTIONS,
  QUERY_STRING_FUNCTIONS,
  RISKY_FUNCTIONS,
  UNTRUSTED_LANGUAGES,
} from './catalog.ts';
import { lexicalFindings } from './fallback.ts';
import { clip, FindingSet } from './findings.ts';
import { lex } from './lexer.ts';
import { constOf, pgExpr, strings, unwrap } from './pg-expr.ts';
import { foldString } from './pg-fold.ts';
import { objectTypeWord, pgStatementName } from './pg-names.ts';
import { RULE, type SqlRuleId } from './rules.ts';
import { tautology } from './tautology.ts';
import { isObject, type JsonObject, walk } from './walk.ts';

/** How deep DO bodies, function bodies and constant EXECUTE strings are followed. */
const MAX_NESTING = 4;

interface State {
  fs: FindingSet;
  /** Names of statements prepared earlier in the same payload (their text was analysed). */
  prepared: Set<string>;
  depth: number;
  /** Where the statement sits, e.g. `in DO block: `, prefixed to every detail. */
  prefix: string;
}

interface Ctx {
  /** Under plain EXPLAIN the statement is planned, not run. */
  explainOnly: boolean;
  inCte: boolean;
}

type Outcome = 'read' | 'done' | 'unknown';

const _READ_TYPES = new Set([
  'SelectStmt',
  'VariableShowStmt',
  'ExplainStmt',
  'FetchStmt',
  'ClosePortalStmt',
  'DeclareCursorStmt',
]);

const SESSION_TYPES = new Set([
  'TransactionStmt',
  'DiscardStmt',
  'ListenStmt',
  'UnlistenStmt',
  'ConstraintsSetStmt',
  'DeallocateStmt',
  'PrepareStmt',
]);

const DDL_TYPES = new Set([
  'CreateStmt',
  'CreateTableAsStmt',
  'ViewStmt',
  'IndexStmt',
  'CreateSeqStmt',
  'AlterSeqStmt',
  'CreateSchemaStmt',
  'CreateDomainStmt',
  'AlterDomainStmt',
  'CompositeTypeStmt',
  'CreateEnumStmt',
  'AlterEnumStmt',
  'CreateRangeStmt',
  'DefineStmt',
  'CommentStmt',
  'RenameStmt',
  'AlterObjectSchemaStmt',
  'CreatePolicyStmt',
  'AlterPolicyStmt',
  'CreateStatsStmt',
  'AlterStatsStmt',
  'CreateCastStmt',
  'CreateOpClassStmt',
  'CreateOpFamilyStmt',
  'AlterOpFamilyStmt',
  'CreateConversionStmt',
  'AlterExtensionStmt',
  'AlterExtensionContentsStmt',
  'CreateTransformStmt',
  'AlterCollationStmt',
  'AlterTSDictionaryStmt',
  'AlterTSConfigurationStmt',
  'AlterOperatorStmt',
  'AlterTypeStmt',
  'CreatedbStmt',
  'SecLabelStmt',
]);

const MAINTENANCE_TYPES = new Set([
  'VacuumStmt',
  'ReindexStmt',
  'ClusterStmt',
  'CheckPointStmt',
  'LockStmt',
  'AlterTableMoveAllStmt',
]);

const PRIVILEGE_TYPES = new Set([
  'GrantStmt',
  'GrantRoleStmt',
  'CreateRoleStmt',
  'AlterRoleStmt',
  'AlterRoleSetStmt',
  'DropRoleStmt',
  'AlterDefaultPrivilegesStmt',
  'AlterOwnerStmt',
  'ReassignOwnedStmt',
]);

const REMOTE_TYPES = new Set([
  'CreateForeignServerStmt',
  'AlterForeignServerStmt',
  'CreateFdwStmt',
  'AlterFdwStmt',
  'CreateUserMappingStmt',
  'AlterUserMappingStmt',
  'ImportForeignSchemaStmt',
  'CreateForeignTableStmt',
  'CreateSubscriptionStmt',
  'AlterSubscriptionStmt',
  'CreatePublicationStmt',
  'AlterPublicationStmt',
]);

const SERVER_CONFIG_TYPES = new Set([
  'AlterSystemStmt',
  'AlterDatabaseStmt',
  'AlterDatabaseSetStmt',
  'AlterDatabaseRefreshCollStmt',
  'CreateTableSpaceStmt',
  'AlterTableSpaceOptionsStmt',
]);

/** Object types whose DROP destroys stored data (everything else can be recreated from DDL). */
const DATA_OBJECTS = new Set(['OBJECT_TABLE', 'OBJECT_SCHEMA', 'OBJECT_MATVIEW', 'OBJECT_SEQUENCE']);

/** Extensions by what they unlock; anything else is an ordinary reviewed extension. */
function extensionRule(name: string): SqlRuleId {
  if (UNTRUSTED_LANGUAGES.has(name)) return RULE.untrustedLanguage;
  if (name === 'adminpack' || name === 'file_fdw' || name === 'lo') return RULE.serverFileAccess;
  if (DANGEROUS_EXTENSIONS.has(name)) return RULE.remoteConnection;
  return RULE.extension;
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

function relName(rel: unknown): string {
  if (!isObject(rel)) return '?';
  const body = isObject(rel.RangeVar) ? rel.RangeVar : rel;
  const name = typeof body.relname === 'string' ? body.relname : '?';
  return typeof body.schemaname === 'string' ? `${body.schemaname}.${name}` : name;
}

/** Dotted name of a DROP/COMMENT target, whatever node shape it comes in. */
function objectName(node: unknown): string {
  const u = unwrap(node);
  if (!u) return '?';
  const [type, b] = u;
  if (type === 'String' && typeof b.sval === 'string') return b.sval;
  if (type === 'List') return strings(b.items).join('.') || '?';
  if (type === 'ObjectWithArgs') return strings(b.objname).join('.') || '?';
  if (type === 'TypeName') return strings(b.names).join('.') || '?';
  return '?';
}

function defElems(list: unknown): Map<string, unknown> {
  const out = new Map<string, unknown>();
  if (!Array.isArray(list)) return out;
  for (const item of list) {
    const u = unwrap(item);
    if (u && u[0] === 'DefElem' && typeof u[1].defname === 'string') out.set(u[1].defname, u[1].arg);
  }
  return out;
}

function defString(arg: unknown): string | undefined {
  const u = unwrap(arg);
  if (!u) return undefined;
  if (u[0] === 'String' && typeof u[1].sval === 'string') return u[1].sval;
  if (u[0] === 'List') return strings(u[1].items).join('\n');
  return undefined;
}

function defTrue(arg: unknown): boolean {
  if (arg === undefined) return true; // `EXPLAIN (ANALYZE)` and `SECURITY DEFINER` carry no value
  const u = unwrap(arg);
  if (!u) return true;
  if (u[0] === 'Boolean') return u[1].boolval === true;
  if (u[0] === 'String') return !['false', 'off', 'no', '0'].includes(String(u[1].sval).toLowerCase());
  if (u[0] === 'Integer') return u[1].ival !== undefined && u[1].ival !== 0;
  return true;
}

/** A string constant, for arguments such as `set_config('role', …)` and `query_to_xml('…')`. */
function constString(node: unknown): string | undefined {
  const u = unwrap(node);
  if (!u) return undefined;
  if (u[0] === 'A_Const') {
    const c = constOf(u[1]);
    return c.k === 'const' && typeof c.v === 'string' ? c.v : undefined;
  }
  if (u[0] === 'TypeCast') return constString(u[1].arg);
  if (u[0] === 'A_Expr' && u[1].kind === 'AEXPR_OP' && strings(u[1].name).join() === '||') {
    // `'DROP TABLE ' || 'audit_log'` is as constant as the literal it spells.
    const left = constString(u[1].lexpr);
    const right = constString(u[1].rexpr);
    return left === undefined || right === undefined ? undefined : left + right;
  }
  return undefined;
}

function settingFindings(name: string, st: State, via: string): void {
  const n = name.toLowerCase();
  if (IDENTITY_SETTINGS.has(n)) {
    st.fs.add(RULE.privilege, `${st.prefix}${via} changes the session's identity (${n})`);
  } else if (EVASION_SETTINGS.has(n)) {
    st.fs.add(
      RULE.defenseEvasion,
      `${st.prefix}${via} changes ${n}, which controls auditing or integrity checks`,
    );
  }
}

function funcCallFindings(b: JsonObject, st: State, asCall: boolean): void {
  const parts = strings(b.funcname).map((s) => s.toLowerCase());
  const fname = parts[parts.length - 1] ?? '?';
  const schema = parts.length > 1 ? parts[parts.length - 2] : undefined;
  const args = Array.isArray(b.args) ? b.args : [];
  const shown = parts.join('.');
  const risk = RISKY_FUNCTIONS.get(fname);
  if (risk) st.fs.add(risk.rule, `${st.prefix}${shown}() ${risk.what}`);
  if (fname === 'set_config') {
    const setting = constString(args[0]);
    if (setting === undefined) {
      st.fs.add(RULE.dynamicSql, `${st.prefix}set_config() with a computed setting name cannot be checked`);
    } else settingFindings(setting, st, `set_config('${setting}')`);
    return;
  }
  if (QUERY_STRING_FUNCTIONS.has(fname)) {
    const query = constString(fname === 'dblink_exec' ? args[args.length - 1] : args[0]);
    if (query === undefined)
      st.fs.add(RULE.dynamicSql, `${st.prefix}${shown}() runs a query built at run time`);
    else analyzeNested(query, st, `in ${shown}(): `);
    return;
  }
  if (risk) return;
  const builtin = schema === undefined || schema === 'pg_catalog';
  if (asCall) return;
  if (!builtin || !KNOWN_READ_FUNCTIONS.has(fname)) {
    st.fs.add(
      RULE.unknownFunction,
      `${st.prefix}calls ${shown}(), which is not a known read-only built-in; it may modify data`,
    );
  }
}

function whereFindings(kind: 'DELETE' | 'UPDATE', b: JsonObject, st: State, ctx: Ctx): void {
  const target = relName(b.relation);
  const noWhere = kind === 'DELETE' ? RULE.deleteNoWhere : RULE.updateNoWhere;
  const taut = kind === 'DELETE' ? RULE.deleteTautology : RULE.updateTautology;
  const head = kind === 'DELETE' ? `DELETE FROM ${target}` : `UPDATE ${target}`;
  if (b.whereClause === undefined) {
    st.fs.add(noWhere, `${st.prefix}${head} has no WHERE clause`);
  } else {
    const t = tautology(pgExpr(b.whereClause));
    if (t) st.fs.add(taut, `${st.prefix}${head}: the WHERE clause ${t.why}`);
    else st.fs.add(RULE.write, `${st.prefix}${head} with a WHERE clause`);
  }
  if (ctx.inCte) {
    st.fs.add(RULE.cteDataModifying, `${st.prefix}a WITH clause runs ${head} inside what reads as a query`);
  }
}

function alterTableFindings(b: JsonObject, st: State): void {
  const target = relName(b.relation);
  const cmds = Array.isArray(b.cmds) ? b.cmds : [];
  for (const c of cmds) {
    const u = unwrap(c);
    if (u?.[0] !== 'AlterTableCmd') continue;
    const cmd = u[1];
    const sub = String(cmd.subtype);
    const name = typeof cmd.name === 'string' ? cmd.name : '';
    switch (sub) {
      case 'AT_DropColumn':
        st.fs.add(
          RULE.ddlDataLoss,
          `${st.prefix}ALTER TABLE ${target} DROP COLUMN ${name} deletes that column's data`,
        );
        break;
      case 'AT_AlterColumnType':
        st.fs.add(
          RULE.ddlDataLoss,
          `${st.prefix}ALTER TABLE ${target} ALTER COLUMN ${name} TYPE rewrites every value and may lose data`,
        );
        break;
      case 'AT_DetachPartition':
      case 'AT_DropConstraint':
      case 'AT_DropNotNull':
        st.fs.add(RULE.ddl, `${st.prefix}ALTER TABLE ${target} (${sub.slice(3)})`);
        break;
      case 'AT_DisableRowSecurity':
      case 'AT_NoForceRowSecurity':
        st.fs.add(RULE.defenseEvasion, `${st.prefix}ALTER TABLE ${target} turns off row-level security`);
        break;
      case 'AT_DisableTrig':
      case 'AT_DisableTrigAll':
      case 'AT_DisableTrigUser':
      case 'AT_DisableRule':
        st.fs.add(
          RULE.defenseEvasion,
          `${st.prefix}ALTER TABLE ${target} disables triggers or rules ${name}`.trim(),
        );
        break;
      case 'AT_ChangeOwner':
        st.fs.add(RULE.privilege, `${st.prefix}ALTER TABLE ${target} OWNER TO changes ownership`);
        break;
      default:
        st.fs.add(RULE.ddl, `${st.prefix}ALTER TABLE ${target} changes the schema`);
    }
  }
}

function doBlockFindings(b: JsonObject, st: State): void {
  const opts = defElems(b.args);
  const language = (defString(opts.get('language')) ?? 'plpgsql').toLowerCase();
  const body = defString(opts.get('as')) ?? '';
  if (language !== 'plpgsql') {
    const rule = UNTRUSTED_LANGUAGES.has(language) ? RULE.untrustedLanguage : RULE.doBlock;
    st.fs.add(rule, `${st.prefix}DO block in ${language} runs code that cannot be analysed`);
    return;
  }
  st.fs.add(RULE.doBlock, `${st.prefix}DO block runs procedural code: ${clip(body, 60)}`);
  const tag = pickDollarTag(body);
  analyzePlpgsql(
    `CREATE FUNCTION gatehouse_do() RETURNS void LANGUAGE plpgsql AS ${tag}${body}${tag}`,
    st,
    'in DO block: ',
  );
}

function pickDollarTag(body: string): string {
  let n = 0;
  while (body.includes(`$gh${n}$`)) n++;
  return `$gh${n}$`;
}

function createFunctionFindings(b: JsonObject, text: string, st: State): void {
  const opts = defElems(b.options);
  const language = (defString(opts.get('language')) ?? 'sql').toLowerCase();
  const name = strings(b.funcname).join('.');
  const kind = b.is_procedure === true ? 'PROCEDURE' : 'FUNCTION';
  if (UNTRUSTED_LANGUAGES.has(language)) {
    st.fs.add(
      RULE.untrustedLanguage,
      `${st.prefix}CREATE ${kind} ${name} in ${language} runs code on the server`,
    );
  } else {
    st.fs.add(RULE.routine, `${st.prefix}CREATE ${kind} ${name} (${language}) stores code that runs later`);
  }
  if (opts.has('security') && defTrue(opts.get('security'))) {
    st.fs.add(RULE.privilege, `${st.prefix}${name} is SECURITY DEFINER: it runs with its owner's privileges`);
  }
  const body = defString(opts.get('as'));
  if (body === undefined) return; // SQL-standard bodies are parsed nodes; the walk sees them
  if (language === 'sql') analyzeNested(body, st, `in ${kind.toLowerCase()} ${name}: `);
  else if (language === 'plpgsql' && st.depth === 0)
    analyzePlpgsql(text, st, `in ${kind.toLowerCase()} ${name}: `);
}

/** Analyses the SQL inside a PL/pgSQL function or DO body, statement by statement. */
function analyzePlpgsql(functionText: string, st: State, where: string): void {
  if (st.depth >= MAX_NESTING) {
    st.fs.add(RULE.dynamicSql, `${st.prefix}${where}nesting too deep to analyse`);
    return;
  }
  let tree: unknown;
  try {
    tree = parsePlPgSQLSync(functionText);
  } catch (e) {
    st.fs.add(RULE.parseError, `${st.prefix}${where}procedural body does not parse: ${errorMessage(e)}`);
    return;
  }
  walk(tree, true, (node) => {
    const u = unwrap(node);
    if (!u) return true;
    const [type, b] = u;
    if (
      type === 'PLpgSQL_stmt_dynexecute' ||
      type === 'PLpgSQL_stmt_dynfors' ||
      ((type === 'PLpgSQL_stmt_open' || type === 'PLpgSQL_stmt_return_query') && b.dynquery)
    ) {
      const q = plExprQuery(b.dynquery ?? b.query);
      const folded = q === undefined ? undefined : foldExpression(q);
      if (folded === undefined) {
        st.fs.add(
          RULE.dynamicUnfoldable,
          `${st.prefix}${where}EXECUTE of a string built at run time: ${clip(q ?? '?', 60)}`,
        );
      } else if (folded.complete) {
        analyzeNested(folded.text, st, `${where}EXECUTE '…': `);
      } else {
        // The known parts are scored (`'DROP TABLE ' || r.name` is a DROP TABLE); the unknown
        // ones could name anything, so the statement is worst-case multi_party.
        st.fs.add(
          RULE.dynamicUnfoldable,
          `${st.prefix}${where}EXECUTE of a string built at run time: ${clip(q ?? '?', 60)} (reads as: ${clip(folded.text, 60)})`,
        );
        analyzeNested(folded.text, st, `${where}EXECUTE '…': `, true);
      }
      return null;
    }
    if (type === 'PLpgSQL_expr') {
      const q = typeof b.query === 'string' ? b.query : '';
      const mode = typeof b.parseMode === 'number' ? b.parseMode : 0;
      // parseMode 0 is a whole statement; the others are expressions or `target := expr`.
      const sql = mode === 0 ? q : `SELECT ${q.replace(/^[^:=]*:?=\s*/s, '')}`;
      analyzeNested(sql, st, where);
      return null;
    }
    return true;
  });
}

function plExprQuery(node: unknown): string | undefined {
  const u = unwrap(node);
  return u && u[0] === 'PLpgSQL_expr' && typeof u[1].query === 'string' ? u[1].query : undefined;
}

/** The SQL an EXECUTE expression builds, folded as far as it is known (see pg-fold.ts). */
function foldExpression(expr: string): { text: string; complete: boolean } | undefined {
  try {
    const r = parseSync(`SELECT ${expr}`) as unknown as JsonObject;
    const first = Array.isArray(r.stmts) ? r.stmts[0] : undefined;
    const sel = isObject(first) ? unwrap(first.stmt) : undefined;
    if (sel?.[0] !== 'SelectStmt' || !Array.isArray(r.stmts) || r.stmts.length !== 1) return undefined;
    const targets = Array.isArray(sel[1].targetList) ? sel[1].targetList : [];
    const t = unwrap(targets[0]);
    return targets.length === 1 && t && t[0] === 'ResTarget' ? foldString(t[1].val) : undefined;
  } catch {
    return undefined;
  }
}

/** Analyses SQL found inside another statement; its findings join the outer statement's. */
function analyzeNested(sql: string, st: State, where: string, partial = false): void {
  if (st.depth >= MAX_NESTING) {
    st.fs.add(RULE.dynamicSql, `${st.prefix}${where}nesting too deep to analyse`);
    return;
  }
  const inner: State = {
    fs: st.fs,
    prepared: st.prepared,
    depth: st.depth + 1,
    prefix: `${st.prefix}${where}`,
  };
  let parsed: JsonObject;
  try {
    parsed = parseSync(sql) as unknown as JsonObject;
  } catch (e) {
    // A partly folded string with placeholders may not parse; the unfoldable finding stands.
    if (!partial) st.fs.add(RULE.parseError, `${inner.prefix}does not parse: ${errorMessage(e)}`);
    return;
  }
  const stmts = Array.isArray(parsed.stmts) ? parsed.stmts : [];
  for (const raw of stmts) {
    if (isObject(raw)) analyzeStatement(raw.stmt, sql, inner);
  }
}

/**
 * Visits one statement tree. Returns the statement name; findings go to `st.fs`.
 * A read-only statement with nothing else found gets a `sql.read` finding, an unknown
 * statement type `sql.unclassified`, so every statement is represented.
 */
function analyzeStatement(stmt: unknown, text: string, st: State, tables?: Set<string>): string {
  const top = unwrap(stmt);
  if (!top) {
    st.fs.add(RULE.unclassified, `${st.prefix}statement has an unexpected shape`);
    return 'UNKNOWN';
  }
  const name = pgStatementName(top[0], top[1]);
  const before = st.fs.size;
  let outcome = 'read' as Outcome;

  walk<Ctx>(stmt, { explainOnly: false, inCte: false }, (node, _key, ctx) => {
    if (typeof node.relname === 'string') {
      tables?.add(relName(node));
      const rel = node.relname.toLowerCase();
      if (CREDENTIAL_RELATIONS.has(rel)) {
        st.fs.add(RULE.credentialRead, `${st.prefix}reads ${relName(node)}, which holds credentials`);
      }
    }
    const u = unwrap(node);
    if (!u) return ctx;
    const [type, b] = u;
    const isTop = b === top[1];
    const result = visitNode(type, b, text, st, ctx);
    if (isTop) outcome = result.outcome;
    return result.childCtx;
  });

  if (outcome === 'unknown') {
    st.fs.add(RULE.unclassified, `${st.prefix}${name} is not a statement type the analyzer classifies`);
  } else if (outcome === 'read' && st.fs.size === before && st.depth === 0) {
    st.fs.add(RULE.read, `${st.prefix}${name} only reads`);
  }
  return name;
}

interface Visit {
  outcome: Outcome;
  childCtx: Ctx | null;
}

/**
 * The statement's effect is handled: its children are walked in the same context. (Module-level
 * helpers rather than closures: this runs for every node of every statement tree.)
 */
function done(ctx: Ctx): Visit {
  return { outcome: 'done', childCtx: ctx };
}

/** A statement-level effect; under plain EXPLAIN it does not happen (calls are still reported). */
function addEffect(st: State, ctx: Ctx, rule: SqlRuleId, detail: string): void {
  if (!ctx.explainOnly) st.fs.add(rule, `${st.prefix}${detail}`);
}

function visitNode(type: string, b: JsonObject, text: string, st: State, ctx: Ctx): Visit {
  if (type === 'FuncCall') {
    funcCallFindings(b, st, false);
    return { outcome: 'read', childCtx: ctx };
  }
  if (type === 'CommonTableExpr') return { outcome: 'read', childCtx: { ...ctx, inCte: true } };
  if (!type.endsWith('Stmt')) return { outcome: 'read', childCtx: ctx };

  if (type === 'RenameStmt' && /^OBJECT_(TABLE|COLUMN|FOREIGN_TABLE|SCHEMA)$/.test(String(b.renameType))) {
    // Renaming a table, schema or column breaks every query and client that uses the old name.
    addEffect(st, ctx, RULE.rename, `${pgStatementName(type, b)} renames what clients query`);
    return done(ctx);
  }
  if (DDL_TYPES.has(type)) {
    addEffect(st, ctx, RULE.ddl, `${pgStatementName(type, b)} changes the schema`);
    return done(ctx);
  }
  if (MAINTENANCE_TYPES.has(type)) {
    addEffect(st, ctx, RULE.maintenance, `${pgStatementName(type, b)} locks or rewrites tables`);
    return done(ctx);
  }
  if (PRIVILEGE_TYPES.has(type)) {
    addEffect(st, ctx, RULE.privilege, `${pgStatementName(type, b)} changes roles or privileges`);
    return done(ctx);
  }
  if (REMOTE_TYPES.has(type)) {
    addEffect(
      st,
      ctx,
      RULE.remoteConnection,
      `${pgStatementName(type, b)} connects the database to another server`,
    );
    return done(ctx);
  }
  if (SERVER_CONFIG_TYPES.has(type)) {
    addEffect(st, ctx, RULE.serverConfig, `${pgStatementName(type, b)} changes server-wide configuration`);
    return done(ctx);
  }
  if (SESSION_TYPES.has(type)) {
    if (type === 'PrepareStmt' && typeof b.name === 'string') st.prepared.add(b.name);
    if (type !== 'PrepareStmt')
      addEffect(st, ctx, RULE.session, `${pgStatementName(type, b)} affects only this session`);
    return done(ctx);
  }

  switch (type) {
    case 'SelectStmt':
      if (isObject(b.intoClause)) {
        addEffect(st, ctx, RULE.ddl, `SELECT INTO creates table ${relName(b.intoClause.rel)}`);
        return done(ctx);
      }
      return { outcome: 'read', childCtx: ctx };
    case 'ExplainStmt': {
      const opts = defElems(b.options);
      const analyze = opts.has('analyze') && defTrue(opts.get('analyze'));
      return { outcome: 'read', childCtx: analyze ? ctx : { ...ctx, explainOnly: true } };
    }
    case 'VariableShowStmt':
    case 'FetchStmt':
    case 'ClosePortalStmt':
    case 'DeclareCursorStmt':
      return { outcome: 'read', childCtx: ctx };
    case 'InsertStmt':
      addEffect(st, ctx, RULE.write, `INSERT INTO ${relName(b.relation)}`);
      return done(ctx);
    case 'DeleteStmt':
    case 'UpdateStmt':
      if (!ctx.explainOnly) whereFindings(type === 'DeleteStmt' ? 'DELETE' : 'UPDATE', b, st, ctx);
      return done(ctx);
    case 'MergeStmt': {
      const target = relName(b.relation);
      addEffect(st, ctx, RULE.write, `MERGE INTO ${target}`);
      const clauses = JSON.stringify(b.mergeWhenClauses ?? []);
      if (clauses.includes('CMD_DELETE') && tautology(pgExpr(b.joinCondition))) {
        addEffect(
          st,
          ctx,
          RULE.deleteTautology,
          `MERGE INTO ${target} deletes on a join condition that matches every row`,
        );
      }
      return done(ctx);
    }
    case 'NotifyStmt':
    case 'RefreshMatViewStmt':
      addEffect(st, ctx, RULE.write, `${pgStatementName(type, b)} has side effects`);
      return done(ctx);
    case 'TruncateStmt': {
      const rels = Array.isArray(b.relations) ? b.relations.map(relName).join(', ') : '?';
      addEffect(st, ctx, RULE.truncate, `TRUNCATE ${rels} removes every row`);
      return done(ctx);
    }
    case 'DropStmt': {
      const what = objectTypeWord(b.removeType);
      const names = Array.isArray(b.objects) ? b.objects.map(objectName).join(', ') : '?';
      const cascade = b.behavior === 'DROP_CASCADE';
      if (b.removeType === 'OBJECT_EVENT_TRIGGER')
        addEffect(st, ctx, RULE.defenseEvasion, `DROP EVENT TRIGGER ${names}`);
      else if (DATA_OBJECTS.has(String(b.removeType)) || cascade) {
        addEffect(
          st,
          ctx,
          RULE.drop,
          `DROP ${what} ${names}${cascade ? ' CASCADE' : ''} destroys data irreversibly`,
        );
      } else addEffect(st, ctx, RULE.dropObject, `DROP ${what} ${names}`);
      return done(ctx);
    }
    case 'DropdbStmt':
      addEffect(st, ctx, RULE.drop, `DROP DATABASE ${String(b.dbname)} destroys a whole database`);
      return done(ctx);
    case 'DropTableSpaceStmt':
      addEffect(st, ctx, RULE.drop, `DROP TABLESPACE ${String(b.tablespacename)}`);
      return done(ctx);
    case 'DropOwnedStmt':
      addEffect(st, ctx, RULE.drop, 'DROP OWNED drops every object the role owns');
      return done(ctx);
    case 'DropSubscriptionStmt':
    case 'DropUserMappingStmt':
      addEffect(st, ctx, RULE.dropObject, pgStatementName(type, b));
      return done(ctx);
    case 'AlterTableStmt':
      if (!ctx.explainOnly) alterTableFindings(b, st);
      return done(ctx);
    case 'AlterEventTrigStmt':
      addEffect(st, ctx, RULE.defenseEvasion, 'ALTER EVENT TRIGGER can switch off auditing hooks');
      return done(ctx);
    case 'VariableSetStmt': {
      const setting = typeof b.name === 'string' ? b.name : '';
      if (b.kind === 'VAR_RESET' || b.kind === 'VAR_RESET_ALL') {
        addEffect(st, ctx, RULE.session, `RESET ${setting || 'ALL'} affects only this session`);
      } else if (!ctx.explainOnly && (IDENTITY_SETTINGS.has(setting) || EVASION_SETTINGS.has(setting))) {
        settingFindings(setting, st, `SET ${setting}`);
      } else addEffect(st, ctx, RULE.session, `SET ${setting || 'TRANSACTION'} affects only this session`);
      return done(ctx);
    }
    case 'CopyStmt': {
      const target = b.relation ? relName(b.relation) : '(query)';
      const dir = b.is_from === true ? 'FROM' : 'TO';
      if (b.is_program === true) {
        addEffect(
          st,
          ctx,
          RULE.serverProgram,
          `COPY ${target} ${dir} PROGRAM '${clip(String(b.filename ?? ''))}' runs a shell command on the server`,
        );
      } else if (typeof b.filename === 'string') {
        addEffect(
          st,
          ctx,
          RULE.serverFileAccess,
          `COPY ${target} ${dir} '${clip(b.filename)}' uses a file on the database server`,
        );
      } else if (b.is_from === true) {
        addEffect(st, ctx, RULE.write, `COPY ${target} FROM STDIN loads rows`);
      } else return { outcome: 'read', childCtx: ctx };
      return done(ctx);
    }
    case 'DoStmt':
      if (!ctx.explainOnly) doBlockFindings(b, st);
      return done(ctx);

    case 'CreateFunctionStmt':
      if (!ctx.explainOnly) createFunctionFindings(b, text, st);
      return done(ctx);
    case 'AlterFunctionStmt': {
      const opts = defElems(b.actions);
      if (opts.has('security') && defTrue(opts.get('security'))) {
        addEffect(
          st,
          ctx,
          RULE.privilege,
          'ALTER FUNCTION … SECURITY DEFINER makes a function run with its owner’s privileges',
        );
      } else addEffect(st, ctx, RULE.ddl, 'ALTER FUNCTION changes a routine');
      return done(ctx);
    }
    case 'CreateTrigStmt':
    case 'RuleStmt':
    case 'CreateEventTrigStmt':
      addEffect(st, ctx, RULE.routine, `${pgStatementName(type, b)} stores code that runs on future events`);
      return done(ctx);
    case 'CreatePLangStmt': {
      const lang = String(b.plname ?? '').toLowerCase();
      addEffect(
        st,
        ctx,
        b.pltrusted === true && !UNTRUSTED_LANGUAGES.has(lang) ? RULE.routine : RULE.untrustedLanguage,
        `CREATE LANGUAGE ${lang}`,
      );
      return done(ctx);
    }
    case 'CreateExtensionStmt': {
      const ext = String(b.extname ?? '').toLowerCase();
      addEffect(st, ctx, extensionRule(ext), `CREATE EXTENSION ${ext}`);
      return done(ctx);
    }
    case 'LoadStmt':
      addEffect(
        st,
        ctx,
        RULE.untrustedLanguage,
        `LOAD '${clip(String(b.filename ?? ''))}' loads a shared library into the server`,
      );
      return done(ctx);
    case 'CallStmt': {
      const call = isObject(b.funccall) ? b.funccall : {};
      addEffect(
        st,
        ctx,
        RULE.routineCall,
        `CALL ${strings(call.funcname).join('.')}() runs a procedure whose effects are not visible`,
      );
      funcCallFindings(call, st, true);
      return done(ctx);
    }
    case 'ExecuteStmt': {
      const n = String(b.name ?? '');
      if (!st.prepared.has(n))
        addEffect(st, ctx, RULE.dynamicSql, `EXECUTE ${n} runs a prepared statement not shown here`);
      return done(ctx);
    }
    default:
      return { outcome: 'unknown', childCtx: ctx };
  }
}

function statementText(text: string, bytes: Buffer | undefined, raw: JsonObject): string {
  const loc = typeof raw.stmt_location === 'number' ? raw.stmt_location : 0;
  const len = typeof raw.stmt_len === 'number' && raw.stmt_len > 0 ? raw.stmt_len : undefined;
  if (!bytes) return text.slice(loc, len === undefined ? undefined : loc + len).trim();
  return bytes
    .subarray(loc, len === undefined ? undefined : loc + len)
    .toString('utf8')
    .trim();
}

/** Parses and analyses one chunk; returns false when it did not parse. */
function analyzeChunk(
  text: string,
  st: State,
  commands: ParsedCommand[],
): { ok: true } | { ok: false; error: string } {
  let parsed: JsonObject;
  try {
    parsed = parseSync(text) as unknown as JsonObject;
  } catch (e) {
    return { ok: false, error: errorMessage(e) };
  }
  const stmts = Array.isArray(parsed.stmts) ? parsed.stmts : [];
  // libpg-query reports byte offsets; only non-ASCII text needs the byte view.
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ASCII range check
  const bytes = /^[\u0000-\u007f]*$/.test(text) ? undefined : Buffer.from(text, 'utf8');
  for (const raw of stmts) {
    if (!isObject(raw)) continue;
    const stmtText = statementText(text, bytes, raw);
    const tables = new Set<string>();
    const name = analyzeStatement(raw.stmt, stmtText, st, tables);
    commands.push({
      kind: 'sql',
      name,
      args: [],
      text: stmtText,
      via: [],
      dialect: 'postgresql',
      ...(tables.size > 0 ? { tables: [...tables] } : {}),
    });
  }
  return { ok: true };
}

export function analyzePostgres(text: string): Analysis {
  const st: State = { fs: new FindingSet(), prepared: new Set(), depth: 0, prefix: '' };
  const commands: ParsedCommand[] = [];
  const whole = analyzeChunk(text, st, commands);
  if (!whole.ok) {
    // Parse statement by statement so one broken statement cannot hide a DROP next to it.
    const pieces = lex(text, 'postgresql').pieces;
    if (pieces.length <= 1) {
      st.fs.add(RULE.parseError, `does not parse as PostgreSQL: ${whole.error}`);
      commands.push({
        kind: 'sql',
        name: 'UNPARSED',
        args: [],
        text: text.trim(),
        via: [],
        dialect: 'postgresql',
      });
      if (pieces[0]) lexicalFindings(pieces[0], st.fs);
    } else {
      for (const piece of pieces) {
        const r = analyzeChunk(piece.text, st, commands);
        if (r.ok) continue;
        st.fs.add(RULE.parseError, `${clip(piece.text, 40)} does not parse as PostgreSQL: ${r.error}`);
        commands.push({
          kind: 'sql',
          name: 'UNPARSED',
          args: [],
          text: piece.text,
          via: [],
          dialect: 'postgresql',
        });
        lexicalFindings(piece, st.fs);
      }
    }
  }
  if (commands.length === 0) {
    st.fs.add(RULE.parseError, 'no SQL statement found');
  } else if (commands.length > 1) {
    st.fs.add(RULE.multiStatement, `${commands.length} statements in one request`);
  }
  return { commands, findings: st.fs.list };
}
