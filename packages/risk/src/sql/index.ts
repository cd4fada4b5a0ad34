/**
 * SQL analyzer: one `ParsedCommand` per statement and the findings (policy rule ids with
 * specific details) for everything risky in them. PostgreSQL goes through the real server
 * grammar; other dialects through node-sql-parser. Never throws: anything that goes wrong
 * becomes an uncertainty finding, so a failure can only raise the tier.
 */
import { loadModule } from 'libpg-query';
import { type Analysis, SQL_DIALECTS, type SqlDialect } from '../types.ts';
import { clip } from './findings.ts';
import { analyzeNodeSql } from './nodesql.ts';
import { analyzePostgres } from './postgres.ts';
import { RULE } from './rules.ts';

export { SQL_RULE_IDS } from './rules.ts';

let ready: Promise<void> | undefined;
let loaded = false;

/** Loads the PostgreSQL parser (wasm). Idempotent; concurrent callers share one load. */
export function initSql(): Promise<void> {
  ready ??= loadModule().then(
    () => {
      loaded = true;
    },
    (e: unknown) => {
      ready = undefined; // allow a retry after a transient failure
      throw e;
    },
  );
  return ready;
}

const DIALECTS: ReadonlySet<string> = new Set(SQL_DIALECTS);

function failure(text: string, dialect: SqlDialect, rule: string, detail: string): Analysis {
  return {
    commands: [{ kind: 'sql', name: 'UNPARSED', args: [], text: text.trim(), via: [], dialect }],
    findings: [{ rule, detail }],
  };
}

function analyze(text: string, dialect: SqlDialect): Analysis {
  return dialect === 'postgresql' ? analyzePostgres(text) : analyzeNodeSql(text, dialect);
}

export function analyzeSql(text: string, dialect: SqlDialect = 'postgresql'): Analysis {
  try {
    if (typeof text !== 'string') return failure('', dialect, RULE.parseError, 'SQL text is not a string');
    if (!DIALECTS.has(dialect)) {
      return failure(text, dialect, RULE.parseError, `unknown SQL dialect ${clip(String(dialect), 40)}`);
    }
    if (dialect === 'postgresql' && !loaded) {
      return failure(text, dialect, RULE.analyzerError, 'the PostgreSQL parser is not initialised (initSql)');
    }
    if (text.includes('\u0000')) {
      // libpg-query reads a C string and would stop at the NUL, hiding everything after it;
      // what a client or driver does with one varies. Analyse the text with the NULs as
      // spaces, and never let it pass as understood.
      const a = analyze(text.replaceAll('\u0000', ' '), dialect);
      a.findings.unshift({ rule: RULE.parseError, detail: 'the SQL contains a NUL byte' });
      return a;
    }
    return analyze(text, dialect);
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    return failure(String(text), dialect, RULE.analyzerError, `SQL analysis failed: ${clip(msg, 160)}`);
  }
}
