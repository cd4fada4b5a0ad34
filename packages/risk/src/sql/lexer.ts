/**
 * A small SQL lexer, used only where the real parsers cannot help: to cut a payload into
 * statements (so one unparsable statement does not hide the others), to find MySQL
 * executable comments (`/*! … *\/`, which MySQL runs but node-sql-parser skips), and to give
 * the lexical fallback the bare words of a statement that did not parse.
 *
 * It never decides that something is harmless: a mistake here can only make a statement
 * fail to parse, which is itself never `auto`.
 */
import type { SqlDialect } from '../types.ts';

export interface Token {
  kind: 'word' | 'string' | 'quoted' | 'number' | 'punct' | 'semicolon' | 'backslash';
  start: number;
  end: number;
}

export interface Piece {
  text: string;
  start: number;
  end: number;
  tokens: Token[];
}

export interface Lexed {
  /** The text to parse: the input with executable-comment markers blanked out (same length). */
  text: string;
  pieces: Piece[];
  executableComments: number;
}

const isMysqlFamily = (d: SqlDialect) => d === 'mysql' || d === 'mariadb';

/** `[A-Za-z0-9_$]` or any non-ASCII code unit; by code, as it is asked for every character. */
function isWordChar(c: string): boolean {
  const code = c.charCodeAt(0);
  return (
    (code >= 97 && code <= 122) || // a-z
    (code >= 65 && code <= 90) || // A-Z
    (code >= 48 && code <= 57) || // 0-9
    code === 95 || // _
    code === 36 || // $
    code >= 0x80
  );
}

export function lex(input: string, dialect: SqlDialect): Lexed {
  const chars = input.split('');
  const tokens: Token[] = [];
  const mysql = isMysqlFamily(dialect);
  const backslashEscapes = mysql || dialect === 'bigquery' || dialect === 'snowflake';
  const hashComments = mysql || dialect === 'bigquery';
  const nestedComments = dialect === 'postgresql' || dialect === 'transactsql';
  let executableComments = 0;
  let openExecutable = 0;
  const n = input.length;
  let i = 0;

  const readQuoted = (q: string, from: number, escapes: boolean): number => {
    let j = from;
    while (j < n) {
      const c = input[j];
      if (escapes && c === '\\') {
        j += 2;
        continue;
      }
      if (c === q) {
        if (input[j + 1] === q) {
          j += 2;
          continue;
        }
        return j + 1;
      }
      j++;
    }
    return n;
  };

  while (i < n) {
    const c = input[i]!;
    const next = input[i + 1];
    if (/\s/.test(c)) {
      i++;
      continue;
    }
    // Line comments.
    if (
      (c === '-' && next === '-' && (!mysql || i + 2 >= n || /\s/.test(input[i + 2]!))) ||
      (c === '#' && hashComments) ||
      (c === '/' && next === '/' && dialect === 'snowflake')
    ) {
      const nl = input.indexOf('\n', i);
      i = nl === -1 ? n : nl + 1;
      continue;
    }
    if (c === '/' && next === '*') {
      // MySQL and MariaDB execute the body of `/*! … */` and `/*M! … */`: blank the markers
      // so the parser sees exactly what the server would run.
      const m = mysql ? /^\/\*(M?!)(\d{5,6})?/.exec(input.slice(i, i + 10)) : null;
      if (m) {
        executableComments++;
        openExecutable++;
        for (let k = i; k < i + m[0].length; k++) chars[k] = ' ';
        i += m[0].length;
        continue;
      }
      let depth = 1;
      let j = i + 2;
      while (j < n && depth > 0) {
        if (input[j] === '*' && input[j + 1] === '/') {
          depth--;
          j += 2;
        } else if (nestedComments && input[j] === '/' && input[j + 1] === '*') {
          depth++;
          j += 2;
        } else j++;
      }
      i = j;
      continue;
    }
    if (c === '*' && next === '/' && openExecutable > 0) {
      openExecutable--;
      chars[i] = ' ';
      chars[i + 1] = ' ';
      i += 2;
      continue;
    }
    if (c === "'") {
      const end = readQuoted("'", i + 1, backslashEscapes);
      tokens.push({ kind: 'string', start: i, end });
      i = end;
      continue;
    }
    if ((c === 'E' || c === 'e') && next === "'" && dialect === 'postgresql') {
      const end = readQuoted("'", i + 2, true);
      tokens.push({ kind: 'string', start: i, end });
      i = end;
      continue;
    }
    if (c === '"') {
      const end = readQuoted('"', i + 1, backslashEscapes);
      tokens.push({ kind: mysql || dialect === 'bigquery' ? 'string' : 'quoted', start: i, end });
      i = end;
      continue;
    }
    if (c === '`') {
      const end = readQuoted('`', i + 1, false);
      tokens.push({ kind: 'quoted', start: i, end });
      i = end;
      continue;
    }
    if (c === '[' && (dialect === 'transactsql' || dialect === 'sqlite')) {
      const close = input.indexOf(']', i + 1);
      const end = close === -1 ? n : close + 1;
      tokens.push({ kind: 'quoted', start: i, end });
      i = end;
      continue;
    }
    if (c === '$' && (dialect === 'postgresql' || dialect === 'snowflake')) {
      const m = /^\$([A-Za-z_][A-Za-z0-9_]*)?\$/.exec(input.slice(i, i + 64));
      if (m && !(i > 0 && isWordChar(input[i - 1]!))) {
        const close = input.indexOf(m[0], i + m[0].length);
        const end = close === -1 ? n : close + m[0].length;
        tokens.push({ kind: 'string', start: i, end });
        i = end;
        continue;
      }
    }
    if (c === ';') {
      tokens.push({ kind: 'semicolon', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (c === '\\') {
      tokens.push({ kind: 'backslash', start: i, end: i + 1 });
      i++;
      continue;
    }
    if (isWordChar(c)) {
      let j = i + 1;
      while (j < n && isWordChar(input[j]!)) j++;
      tokens.push({ kind: /^[0-9]/.test(c) ? 'number' : 'word', start: i, end: j });
      i = j;
      continue;
    }
    tokens.push({ kind: 'punct', start: i, end: i + 1 });
    i++;
  }

  const text = executableComments > 0 ? chars.join('') : input;
  const pieces: Piece[] = [];
  let current: Token[] = [];
  const flush = () => {
    if (current.length === 0) return;
    const start = current[0]!.start;
    const end = current[current.length - 1]!.end;
    pieces.push({ text: text.slice(start, end), start, end, tokens: current });
    current = [];
  };
  for (const t of tokens) {
    if (t.kind === 'semicolon') flush();
    else current.push(t);
  }
  flush();
  return { text, pieces, executableComments };
}

/** Upper-cased text of a token (words) or its raw text. */
export function tokenText(piece: Piece, t: Token): string {
  return piece.text.slice(t.start - piece.start, t.end - piece.start);
}
