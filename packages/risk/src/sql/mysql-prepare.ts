import { type Folded, UNKNOWN_NAME } from './pg-fold.ts';

/**
 * MySQL dynamic SQL: `PREPARE s FROM CONCAT('DROP ', 'TABLE users')`, or from a user variable
 * set earlier in the same input (`SET @q = CONCAT('TRUNCATE ', @t)`). The statement text is
 * folded from string literals, `CONCAT`/`CONCAT_WS` and known variables; unknown parts become a
 * placeholder name, so the known parts are still judged, and `complete` says whether all were known.
 */

interface Cursor {
  text: string;
  at: number;
}

function skipSpace(c: Cursor): void {
  while (c.at < c.text.length && /\s/.test(c.text[c.at] as string)) c.at++;
}

function readString(c: Cursor): string | undefined {
  const quote = c.text[c.at];
  if (quote !== "'" && quote !== '"') return undefined;
  let out = '';
  for (c.at++; c.at < c.text.length; c.at++) {
    const ch = c.text[c.at] as string;
    if (ch === '\\' && c.at + 1 < c.text.length) out += c.text[++c.at];
    else if (ch === quote && c.text[c.at + 1] === quote) out += c.text[++c.at];
    else if (ch === quote) {
      c.at++;
      return out;
    } else out += ch;
  }
  return undefined;
}

function expression(c: Cursor, vars: Map<string, Folded>, depth: number): Folded {
  skipSpace(c);
  if (depth > 20) return { text: UNKNOWN_NAME, complete: false };
  const literal = readString(c);
  if (literal !== undefined) return { text: literal, complete: true };
  const variable = c.text.slice(c.at).match(/^@([A-Za-z0-9_$.]+)/);
  if (variable) {
    c.at += variable[0].length;
    return vars.get((variable[1] as string).toLowerCase()) ?? { text: UNKNOWN_NAME, complete: false };
  }
  const call = c.text.slice(c.at).match(/^(concat_ws|concat)\s*\(/i);
  if (call) {
    c.at += call[0].length;
    const args: Folded[] = [];
    for (;;) {
      args.push(expression(c, vars, depth + 1));
      skipSpace(c);
      if (c.text[c.at] === ',') {
        c.at++;
        continue;
      }
      if (c.text[c.at] === ')') c.at++;
      break;
    }
    const parts = /^concat_ws$/i.test(call[1] as string) ? args.slice(1) : args;
    const separator = /^concat_ws$/i.test(call[1] as string) ? (args[0]?.text ?? '') : '';
    return {
      text: parts.map((p) => p.text).join(separator),
      complete: args.every((a) => a.complete),
    };
  }
  // Anything else (a column, a function, arithmetic) is only known when it runs.
  const rest = c.text.slice(c.at).match(/^[^,)]*/)?.[0] ?? '';
  c.at += Math.max(rest.length, 1);
  return { text: UNKNOWN_NAME, complete: false };
}

export interface Prepared {
  name: string;
  sql: Folded;
}

/** Folds the PREPAREd statements of a list of statement texts, in order. */
export function foldPrepared(statements: readonly string[]): Prepared[] {
  const vars = new Map<string, Folded>();
  const out: Prepared[] = [];
  for (const statement of statements) {
    const text = statement.trim().replace(/;\s*$/, '');
    const set = text.match(/^SET\s+@([A-Za-z0-9_$.]+)\s*:?=\s*/i);
    if (set) {
      vars.set((set[1] as string).toLowerCase(), expression({ text, at: set[0].length }, vars, 0));
      continue;
    }
    const prepare = text.match(/^PREPARE\s+([A-Za-z0-9_$`]+)\s+FROM\s+/i);
    if (prepare)
      out.push({ name: prepare[1] as string, sql: expression({ text, at: prepare[0].length }, vars, 0) });
  }
  return out;
}
