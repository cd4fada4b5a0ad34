/** Human statement names (`DELETE`, `DROP TABLE`, `ALTER TABLE`) for libpg-query node types. */

import { own } from '../own.ts';
import { isObject, type JsonObject } from './walk.ts';

const FIXED: Record<string, string> = {
  SelectStmt: 'SELECT',
  InsertStmt: 'INSERT',
  UpdateStmt: 'UPDATE',
  DeleteStmt: 'DELETE',
  MergeStmt: 'MERGE',
  CreateStmt: 'CREATE TABLE',
  IndexStmt: 'CREATE INDEX',
  ViewStmt: 'CREATE VIEW',
  CreatedbStmt: 'CREATE DATABASE',
  DropdbStmt: 'DROP DATABASE',
  VariableSetStmt: 'SET',
  VariableShowStmt: 'SHOW',
  DoStmt: 'DO',
  CopyStmt: 'COPY',
  TruncateStmt: 'TRUNCATE',
  ExplainStmt: 'EXPLAIN',
  CallStmt: 'CALL',
  ExecuteStmt: 'EXECUTE',
  PrepareStmt: 'PREPARE',
  DeallocateStmt: 'DEALLOCATE',
  DefineStmt: 'CREATE',
  RuleStmt: 'CREATE RULE',
  CreateTrigStmt: 'CREATE TRIGGER',
  CreateFunctionStmt: 'CREATE FUNCTION',
  CreateExtensionStmt: 'CREATE EXTENSION',
  CreateRoleStmt: 'CREATE ROLE',
  GrantRoleStmt: 'GRANT ROLE',
  LoadStmt: 'LOAD',
  LockStmt: 'LOCK',
  VacuumStmt: 'VACUUM',
  CheckPointStmt: 'CHECKPOINT',
  NotifyStmt: 'NOTIFY',
  ListenStmt: 'LISTEN',
  UnlistenStmt: 'UNLISTEN',
  DiscardStmt: 'DISCARD',
  FetchStmt: 'FETCH',
  ClosePortalStmt: 'CLOSE',
  DeclareCursorStmt: 'DECLARE CURSOR',
  RenameStmt: 'RENAME',
  CommentStmt: 'COMMENT',
  CreateSeqStmt: 'CREATE SEQUENCE',
  AlterSeqStmt: 'ALTER SEQUENCE',
  CreateSchemaStmt: 'CREATE SCHEMA',
  CompositeTypeStmt: 'CREATE TYPE',
  CreateEnumStmt: 'CREATE TYPE',
  CreateRangeStmt: 'CREATE TYPE',
  CreateDomainStmt: 'CREATE DOMAIN',
  DropOwnedStmt: 'DROP OWNED',
  ReassignOwnedStmt: 'REASSIGN OWNED',
  AlterSystemStmt: 'ALTER SYSTEM',
  ReindexStmt: 'REINDEX',
  ClusterStmt: 'CLUSTER',
};

const TRANSACTION: Record<string, string> = {
  TRANS_STMT_BEGIN: 'BEGIN',
  TRANS_STMT_START: 'START TRANSACTION',
  TRANS_STMT_COMMIT: 'COMMIT',
  TRANS_STMT_ROLLBACK: 'ROLLBACK',
  TRANS_STMT_SAVEPOINT: 'SAVEPOINT',
  TRANS_STMT_RELEASE: 'RELEASE',
  TRANS_STMT_ROLLBACK_TO: 'ROLLBACK TO',
  TRANS_STMT_PREPARE: 'PREPARE TRANSACTION',
  TRANS_STMT_COMMIT_PREPARED: 'COMMIT PREPARED',
  TRANS_STMT_ROLLBACK_PREPARED: 'ROLLBACK PREPARED',
};

/** `OBJECT_MATVIEW` → `MATERIALIZED VIEW`, `OBJECT_FOREIGN_TABLE` → `FOREIGN TABLE`. */
export function objectTypeWord(objtype: unknown): string {
  if (typeof objtype !== 'string') return 'OBJECT';
  const w = objtype.replace(/^OBJECT_/, '');
  if (w === 'MATVIEW') return 'MATERIALIZED VIEW';
  return w.replace(/_/g, ' ');
}

export function pgStatementName(type: string, b: JsonObject): string {
  if (type === 'DropStmt') return `DROP ${objectTypeWord(b.removeType)}`;
  if (type === 'GrantStmt') return b.is_grant === true ? 'GRANT' : 'REVOKE';
  if (type === 'TransactionStmt') return TRANSACTION[String(b.kind)] ?? 'TRANSACTION';
  if (type === 'CreateTableAsStmt')
    return b.objtype === 'OBJECT_MATVIEW' ? 'CREATE MATERIALIZED VIEW' : 'CREATE TABLE AS';
  if (type === 'AlterTableStmt') return `ALTER ${objectTypeWord(b.objtype)}`;
  if (type === 'VariableSetStmt' && b.kind === 'VAR_RESET') return 'RESET';
  if (type === 'SelectStmt' && isObject(b.intoClause)) return 'SELECT INTO';
  const fixed = own(FIXED, type);
  if (fixed) return fixed;
  // AlterRoleStmt → ALTER ROLE, CreateForeignServerStmt → CREATE FOREIGN SERVER.
  return type
    .replace(/Stmt$/, '')
    .replace(/([a-z])([A-Z])/g, '$1 $2')
    .toUpperCase();
}
