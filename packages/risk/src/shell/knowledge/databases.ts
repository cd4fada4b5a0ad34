import type { SqlDialect } from '../../types.ts';
import { optionValue, optionValues, positionals } from '../argv.ts';
import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';
import { classifyPath } from '../paths.ts';
import { judgeScriptSource, nested } from './stdin.ts';
import type { Handler } from './types.ts';

const PROD = /(^|[-_.:/@])(prod|production|prd|live|primary|master)([-_.:/@]|$)/i;

/**
 * Hands SQL text to the SQL analyzer. Client meta-commands are handled here: `\!`, `system`
 * and `.shell` run shell commands, `\o |cmd` pipes output to a command; the rest are removed.
 */
export function handOffSql(inv: Invocation, text: string, dialect: SqlDialect, label: string): void {
  const sqlLines: string[] = [];
  for (const line of text.split('\n')) {
    const trimmed = line.trim();
    const shell = trimmed.match(
      /^(?:\\!|system\s|\.shell\s|\.system\s|\\o\s*\||\\g\s*\||\\copy\s.*\bprogram\b)(.*)$/i,
    );
    if (shell) {
      emit(inv.session, 'shell.sql.client-shell', `${label}: ${trimmed}`);
      inv.session.reparse(shell[1] ?? '', nested(inv, `${label} shell escape`), { kind: 'unknown' });
      continue;
    }
    if (/^\\copy\s.*\bto\s+(?!stdout\b|pstdout\b)/i.test(trimmed)) {
      // `\copy t to 'file'` writes the table to a file on this machine: an export, like pg_dump.
      emit(inv.session, 'shell.db.dump', `${label}: ${trimmed}`);
      continue;
    }
    if (/^\\(i|ir|include)\s/.test(trimmed) || /^source\s/i.test(trimmed) || /^\.read\s/.test(trimmed)) {
      emit(inv.session, 'shell.sql.script-file', `${label}: ${trimmed}`);
      continue;
    }
    if (trimmed.startsWith('\\') || (dialect === 'sqlite' && trimmed.startsWith('.'))) continue;
    sqlLines.push(line);
  }
  const sql = sqlLines.join('\n').trim();
  if (sql !== '') inv.session.sql(sql, dialect, [...inv.scope.via, label]);
}

function prodTarget(inv: Invocation, ...options: string[]) {
  for (const value of optionValues(inv.argv, ...options)) {
    if (PROD.test(value)) emit(inv.session, 'shell.db.prod-target', value);
  }
  for (const value of positionals(inv.argv, options)) {
    if (/^postgres(ql)?:\/\/|^mysql:\/\//.test(value) && PROD.test(value))
      emit(inv.session, 'shell.db.prod-target', value);
  }
}

function sqlClient(
  dialect: SqlDialect,
  commandOptions: string[],
  fileOptions: string[],
  valued: string[],
): Handler {
  return (inv) => {
    prodTarget(inv, '-h', '--host', '-d', '--dbname', '--database', '-D');
    const label = `${inv.name} -c`;
    const commands = optionValues(inv.argv, ...commandOptions);
    for (const sql of commands) handOffSql(inv, sql, dialect, `${inv.name} ${commandOptions[0]}`);
    const files = optionValues(inv.argv, ...fileOptions);
    for (const file of files) {
      if (file === '-') judgeStdin(inv, dialect, label);
      else emit(inv.session, 'shell.sql.script-file', `${inv.name} runs ${file}`);
    }
    if (commands.length === 0 && files.length === 0) {
      if (inv.argv.some((a) => a === '-l' || a === '--list' || a === '--version' || a === '-V')) return;
      judgeStdin(inv, dialect, inv.name);
    }
    void valued;
  };
}

function judgeStdin(inv: Invocation, dialect: SqlDialect, label: string) {
  judgeScriptSource(
    inv,
    inv.stdin,
    label,
    (text) => handOffSql(inv, text, dialect, `${inv.name} stdin`),
    () => emit(inv.session, 'shell.sql.interactive', `${inv.name} session without a fixed statement`),
  );
}

const sqlite: Handler = (inv) => {
  const operands = positionals(inv.argv, ['-cmd', '-separator', '-nullvalue', '-init', '-newline']);
  for (const init of optionValues(inv.argv, '-cmd')) handOffSql(inv, init, 'sqlite', 'sqlite3 -cmd');
  if (operands.length >= 2) handOffSql(inv, operands.slice(1).join(' '), 'sqlite', 'sqlite3');
  else judgeStdin(inv, 'sqlite', 'sqlite3');
};

const REDIS_FLUSH = /^(flushall|flushdb)$/i;
const REDIS_ADMIN =
  /^(config|slaveof|replicaof|module|debug|shutdown|acl|failover|cluster|bgrewriteaof|migrate|script|function)$/i;
const REDIS_READ =
  /^(get|mget|keys|scan|hget|hgetall|hkeys|hvals|hlen|hexists|llen|lrange|lindex|smembers|scard|sismember|zrange|zrangebyscore|zcard|zscore|exists|type|ttl|pttl|info|ping|dbsize|client|memory|monitor|slowlog|latency|time|echo|strlen|getrange|xrange|xlen|xread|lastsave|role|command|object|dump|randomkey|sscan|hscan|zscan|pfcount|bitcount|getbit|geopos|geodist|georadius|zrank|zrevrange|lpos|subscribe|psubscribe)$/i;

const redis: Handler = (inv) => {
  const operands = positionals(inv.argv, [
    '-h',
    '-p',
    '-a',
    '-n',
    '-u',
    '--user',
    '--pass',
    '--askpass',
    '-s',
    '-r',
    '-i',
    '--eval',
    '--tls',
    '--cacert',
    '--cert',
    '--key',
    '-c',
    '--pattern',
    '--count',
    '--rdb',
    '--pipe-timeout',
  ]);
  if (inv.argv.some((a) => /^--(scan|bigkeys|memkeys|hotkeys|stat|latency.*|rdb)$/.test(a))) return;
  const host = optionValue(inv.argv, '-h', '-u');
  if (host && PROD.test(host)) emit(inv.session, 'shell.db.prod-target', host);
  const detail = `redis-cli ${operands.join(' ')}`;
  const [command = ''] = operands;
  if (inv.argv.includes('--eval')) return void emit(inv.session, 'shell.db.write', `redis-cli --eval`);
  if (command === '')
    return void judgeScriptSource(
      inv,
      inv.stdin,
      'redis-cli',
      (text) => {
        for (const line of text.split('\n')) {
          const [first = ''] = line.trim().split(/\s+/);
          if (REDIS_FLUSH.test(first)) emit(inv.session, 'shell.db.flush', line.trim());
          else if (REDIS_ADMIN.test(first)) emit(inv.session, 'shell.db.admin', line.trim());
          else if (first && !REDIS_READ.test(first)) emit(inv.session, 'shell.db.write', line.trim());
        }
      },
      () => emit(inv.session, 'shell.sql.interactive', 'redis-cli session'),
    );
  if (REDIS_FLUSH.test(command)) emit(inv.session, 'shell.db.flush', detail);
  else if (REDIS_ADMIN.test(command)) {
    if (/^config$/i.test(command) && /^get$/i.test(operands[1] ?? '')) return;
    if (/^config$/i.test(command) && redisWritesPersistence(operands.slice(1)))
      return void emit(inv.session, 'shell.persistence.write', `${detail} (the next SAVE writes there)`);
    emit(inv.session, 'shell.db.admin', detail);
  } else if (/^(del|unlink)$/i.test(command) && operands.some((o) => o === '{xargs input}'))
    emit(inv.session, 'shell.db.flush', `${detail} (every key listed on stdin)`);
  else if (!REDIS_READ.test(command)) emit(inv.session, 'shell.db.write', detail);
};

/**
 * `CONFIG SET dir /var/spool/cron` or `CONFIG SET dbfilename authorized_keys`: the next SAVE
 * writes the database file where cron or sshd reads it, the classic way into a host via redis.
 */
function redisWritesPersistence(args: string[]): boolean {
  const [verb = '', key = '', value = ''] = args;
  if (!/^set$/i.test(verb)) return false;
  if (/^dir$/i.test(key)) return ['persistence', 'privilege', 'credential'].includes(classifyPath(value));
  if (/^dbfilename$/i.test(key))
    return (
      ['persistence', 'privilege'].includes(classifyPath(value)) ||
      /authorized_keys|crontab|\.(bashrc|profile)$|\.so$/.test(value)
    );
  return false;
}

const MONGO_DROP =
  /dropDatabase\s*\(|\.drop\s*\(|deleteMany\s*\(\s*\{\s*\}|remove\s*\(\s*\{\s*\}|dropUser|dropAllUsers|dropIndexes/;
const MONGO_WRITE =
  /\.(insert|insertOne|insertMany|update|updateOne|updateMany|replaceOne|deleteOne|deleteMany|remove|createCollection|createIndex|renameCollection|bulkWrite|findOneAndUpdate|findOneAndDelete|findAndModify)\s*\(|createUser|grantRolesToUser|adminCommand|shutdownServer/;

function judgeMongo(inv: Invocation, code: string) {
  if (MONGO_DROP.test(code)) emit(inv.session, 'shell.db.drop', code);
  else if (/createUser|grantRolesToUser|updateUser/.test(code)) emit(inv.session, 'shell.db.admin', code);
  else if (MONGO_WRITE.test(code)) emit(inv.session, 'shell.db.write', code);
}

const mongo: Handler = (inv) => {
  const host = optionValue(inv.argv, '--host', '-h');
  if (
    (host && PROD.test(host)) ||
    positionals(inv.argv).some((p) => /^mongodb(\+srv)?:\/\//.test(p) && PROD.test(p))
  )
    emit(inv.session, 'shell.db.prod-target', host ?? 'connection string');
  const code = optionValue(inv.argv, '--eval');
  if (code !== undefined) return void judgeMongo(inv, code);
  const scripts = positionals(inv.argv, [
    '--host',
    '-h',
    '--port',
    '-u',
    '--username',
    '-p',
    '--password',
    '--authenticationDatabase',
    '-f',
    '--file',
  ]).filter((p) => /\.js$/.test(p));
  if (scripts.length > 0)
    return void emit(inv.session, 'shell.sql.script-file', `${inv.name} runs ${scripts.join(' ')}`);
  judgeScriptSource(
    inv,
    inv.stdin,
    inv.name,
    (text) => judgeMongo(inv, text),
    () => emit(inv.session, 'shell.sql.interactive', `${inv.name} session`),
  );
};

const dropdb: Handler = (inv) => {
  prodTarget(inv, '-h', '--host');
  emit(inv.session, 'shell.db.drop', `${inv.name} ${inv.argv.join(' ')}`);
};

const dump: Handler = (inv) => {
  prodTarget(inv, '-h', '--host', '-d', '--dbname');
  emit(inv.session, 'shell.db.dump', `${inv.name} ${inv.argv.join(' ')}`);
  const toFile = inv.argv.some((a) => /^(-f|--file|-o|--out|--result-file|--archive)/.test(a));
  return toFile ? undefined : { kind: 'file', path: `${inv.name} output` };
};

const restore: Handler = (inv) => {
  prodTarget(inv, '-h', '--host', '-d', '--dbname');
  const clean = inv.argv.some((a) => a === '-c' || a === '--clean' || a === '--drop-database');
  emit(inv.session, clean ? 'shell.db.drop' : 'shell.db.write', `${inv.name} ${inv.argv.join(' ')}`);
};

const mysqladmin: Handler = (inv) => {
  const [verb = ''] = positionals(inv.argv, ['-h', '--host', '-u', '--user', '-p', '-P', '--port']);
  const detail = `mysqladmin ${inv.argv.join(' ')}`;
  if (/^drop$/i.test(verb)) emit(inv.session, 'shell.db.drop', detail);
  else if (/^(shutdown|kill|flush-.*|refresh|reload|password|create)$/i.test(verb))
    emit(inv.session, 'shell.db.admin', detail);
};

export const DATABASE_HANDLERS: Record<string, Handler> = {
  psql: sqlClient('postgresql', ['-c', '--command'], ['-f', '--file'], []),
  mysql: sqlClient('mysql', ['-e', '--execute'], [], []),
  mariadb: sqlClient('mariadb', ['-e', '--execute'], [], []),
  sqlite3: sqlite,
  sqlite: sqlite,
  'redis-cli': redis,
  'valkey-cli': redis,
  mongosh: mongo,
  mongo,
  dropdb,
  createdb: (inv) => emit(inv.session, 'shell.db.write', `createdb ${inv.argv.join(' ')}`),
  createuser: (inv) => emit(inv.session, 'shell.db.admin', `createuser ${inv.argv.join(' ')}`),
  dropuser: (inv) => emit(inv.session, 'shell.db.drop', `dropuser ${inv.argv.join(' ')}`),
  pg_dump: dump,
  pg_dumpall: dump,
  mysqldump: dump,
  mongodump: dump,
  mongoexport: dump,
  pg_restore: restore,
  mongorestore: restore,
  mysqladmin,
  cockroach: (inv) => {
    if (inv.argv[0] === 'sql') sqlClient('postgresql', ['-e', '--execute'], ['-f', '--file'], [])(inv);
  },
  sqlcmd: sqlClient('transactsql', ['-Q', '-q'], ['-i'], []),
  bq: (inv) => {
    const [verb = '', ...rest] = positionals(inv.argv, [
      '--project_id',
      '--location',
      '--format',
      '--dataset_id',
    ]);
    if (verb === 'query') handOffSql(inv, rest.join(' '), 'bigquery', 'bq query');
    else if (/^(rm|truncate)$/.test(verb)) emit(inv.session, 'shell.db.drop', `bq ${inv.argv.join(' ')}`);
    else if (/^(mk|load|cp|update|insert|set-iam-policy|add-iam-policy-binding)$/.test(verb))
      emit(inv.session, 'shell.db.write', `bq ${verb}`);
  },
  snowsql: sqlClient('snowflake', ['-q', '--query'], ['-f', '--filename'], []),
};
