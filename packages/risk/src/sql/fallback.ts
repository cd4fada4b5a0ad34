/**
 * Lexical escalation for a statement the parser rejected. The statement is already
 * `sql.parse-error` (never `auto`); this only adds findings so that an unparsable
 * `KILL 12`, `DROP USER bob` or `COPY … PROGRAM` still reaches the tier it deserves rather
 * than plain review. It never removes or lowers anything.
 */
import { RISKY_FUNCTIONS } from './catalog.ts';
import type { FindingSet } from './findings.ts';
import { type Piece, tokenText } from './lexer.ts';
import { RULE } from './rules.ts';

const SHELL_META = new Set(['!', 'o', 'out', 'g', 'gx', 'w', 'write', 'copy', 'setenv', 'gexec']);

export function lexicalFindings(piece: Piece, fs: FindingSet): void {
  const words: string[] = [];
  const tokens = piece.tokens;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    const text = tokenText(piece, t);
    if (t.kind === 'backslash') {
      // psql meta-commands: `\!` runs a shell, `\o |cmd`, `\g |cmd`, `\copy … program` pipe to one.
      const next = tokens[i + 1];
      const cmd = next && next.start === t.end ? tokenText(piece, next).toLowerCase() : '';
      const rest = piece.text.slice(t.end - piece.start).split('\n', 1)[0] ?? '';
      if (cmd === '!' || (SHELL_META.has(cmd) && /\||\bprogram\b/i.test(rest))) {
        fs.add(RULE.clientShell, `psql meta-command \\${cmd} runs a shell command on the client`);
      } else {
        fs.add(RULE.clientMetaCommand, `psql meta-command \\${cmd} is not SQL and cannot be analysed`);
      }
      continue;
    }
    if (t.kind !== 'word') continue;
    const upper = text.toUpperCase();
    words.push(upper);
    const next = tokens[i + 1];
    if (next && next.kind === 'punct' && tokenText(piece, next) === '(') {
      const risk = RISKY_FUNCTIONS.get(text.toLowerCase());
      if (risk) fs.add(risk.rule, `unparsed statement calls ${text.toLowerCase()}(), which ${risk.what}`);
    }
  }
  const [first = '', second = ''] = words;
  const has = (w: string) => words.includes(w);
  const qualifier = ['DROP', 'CREATE', 'ALTER', 'SET'].includes(first) && second ? ` ${second}` : '';
  const about = `unparsed ${first}${qualifier} statement`;

  if (has('OUTFILE') || has('DUMPFILE') || has('INFILE')) {
    fs.add(RULE.serverFileAccess, `${about} reads or writes a server file`);
  }
  switch (first) {
    case 'DROP':
      if (second === 'USER' || second === 'ROLE' || second === 'LOGIN') fs.add(RULE.privilege, `${about}`);
      else fs.add(RULE.drop, `${about} removes objects`);
      break;
    case 'TRUNCATE':
      fs.add(RULE.truncate, `${about} empties tables`);
      break;
    case 'DELETE':
    case 'UPDATE':
      if (!has('WHERE'))
        fs.add(first === 'DELETE' ? RULE.deleteNoWhere : RULE.updateNoWhere, `${about} has no WHERE`);
      else fs.add(RULE.write, `${about} modifies data`);
      break;
    case 'INSERT':
    case 'REPLACE':
    case 'MERGE':
    case 'UPSERT':
      fs.add(RULE.write, `${about} modifies data`);
      break;
    case 'GRANT':
    case 'REVOKE':
    case 'DENY':
      fs.add(RULE.privilege, `${about} changes privileges`);
      break;
    case 'CREATE':
    case 'ALTER':
      if (has('SONAME')) fs.add(RULE.untrustedLanguage, `${about} loads a shared library into the server`);
      else if (['USER', 'ROLE', 'LOGIN'].includes(second))
        fs.add(RULE.privilege, `${about} manages accounts`);
      else if (second === 'SYSTEM' || second === 'SERVER') fs.add(RULE.serverConfig, `${about}`);
      else if (has('DROP')) fs.add(RULE.ddlDataLoss, `${about} drops part of a schema`);
      else fs.add(RULE.ddl, `${about} changes the schema`);
      break;
    case 'SET':
      if (second === 'PASSWORD' || second === 'ROLE') fs.add(RULE.privilege, `${about} changes identity`);
      else if (second === 'GLOBAL' || second === 'PERSIST') fs.add(RULE.serverConfig, `${about}`);
      break;
    case 'KILL':
      // KILL QUERY stops one statement and keeps the connection; KILL [CONNECTION] ends it.
      if (second === 'QUERY') fs.add(RULE.queryCancel, `${about} cancels a running query`);
      else fs.add(RULE.sessionKill, `${about} terminates a session`);
      break;
    case 'RENAME':
      if (second === 'USER') fs.add(RULE.privilege, `${about} renames accounts`);
      else fs.add(second === 'TABLE' ? RULE.rename : RULE.ddl, `${about} renames objects`);
      break;
    case 'PURGE':
      // PURGE BINARY/MASTER LOGS deletes the server's record of changes.
      fs.add(RULE.defenseEvasion, `${about} deletes binary logs`);
      break;
    case 'INSTALL':
      fs.add(RULE.untrustedLanguage, `${about} loads a plugin (native code) into the server`);
      break;
    case 'UNINSTALL':
      fs.add(
        words.some((w) => /AUDIT/.test(w)) ? RULE.defenseEvasion : RULE.serverConfig,
        `${about} removes a server plugin`,
      );
      break;
    case 'SHOW':
      if (second === 'CREATE' && words[2] === 'USER')
        fs.add(RULE.credentialRead, `${about} prints the account's password hash`);
      break;
    case 'SHUTDOWN':
      fs.add(RULE.serverConfig, `${about} stops the server`);
      break;
    case 'PREPARE':
    case 'EXECUTE':
    case 'EXEC':
      fs.add(RULE.dynamicSql, `${about} runs SQL that is not visible here`);
      // T-SQL runs procedures without parentheses: `EXEC master..xp_cmdshell 'dir'`.
      for (const w of words.slice(1)) {
        const risk = RISKY_FUNCTIONS.get(w.toLowerCase());
        if (risk) fs.add(risk.rule, `${about} runs ${w.toLowerCase()}, which ${risk.what}`);
      }
      break;
    case 'DO':
      fs.add(RULE.doBlock, `${about}`);
      break;
    case 'CALL':
      fs.add(RULE.routineCall, `${about}`);
      break;
    case 'LOAD':
      fs.add(RULE.serverFileAccess, `${about} loads a server file`);
      break;
    case 'COPY':
      if (has('PROGRAM')) fs.add(RULE.serverProgram, `${about} runs a program`);
      else if (!has('STDIN') && !has('STDOUT'))
        fs.add(RULE.serverFileAccess, `${about} may use a server file`);
      break;
  }
}

/** Statements that only display server state in MySQL and MariaDB, whatever follows the keyword. */
const DISPLAY_KEYWORDS = new Set(['SHOW', 'DESCRIBE', 'DESC']);

/**
 * Whether a statement the parser rejected is still known to be a read: a SHOW or DESCRIBE
 * (node-sql-parser lacks `SHOW VARIABLES LIKE …`, `SHOW TABLE STATUS`, `SHOW REPLICA STATUS`…)
 * that calls no function and holds no client meta-command. `SHOW CREATE USER` prints a password
 * hash and is left to the lexical findings.
 */
export function isDisplayStatement(piece: Piece): boolean {
  const words = piece.tokens.filter((t) => t.kind === 'word').map((t) => tokenText(piece, t).toUpperCase());
  if (!DISPLAY_KEYWORDS.has(words[0] ?? '')) return false;
  if (words[1] === 'CREATE' && words[2] === 'USER') return false;
  return piece.tokens.every((t, i) => {
    if (t.kind === 'backslash') return false;
    const next = piece.tokens[i + 1];
    return !(
      t.kind === 'word' &&
      next?.kind === 'punct' &&
      tokenText(piece, next) === '(' &&
      !/^CURRENT_USER$/i.test(tokenText(piece, t))
    );
  });
}
