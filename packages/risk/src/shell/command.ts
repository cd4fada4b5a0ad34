import type { Finding } from '../types.ts';
import { basename } from './argv.ts';
import type { Invocation, Redirect, Scope, Session, Stream, Word } from './context.ts';
import { clip, emit, literalWord, UNKNOWN, wasDownloaded } from './context.ts';
import { checkCredentialRead } from './knowledge/credentials.ts';
import { isDryRun } from './knowledge/dry-run.ts';
import { KNOWLEDGE } from './knowledge/index.ts';
import { checkMining } from './knowledge/mining.ts';
import { isVersionOrHelp, READ_ONLY } from './knowledge/read-only.ts';
import { checkWriteTarget } from './knowledge/targets.ts';
import { normalizePath } from './paths.ts';
import { globCandidates } from './programs.ts';
import { unwrap } from './wrappers.ts';

/**
 * Programs that only print their arguments. Anywhere else, words computed by a command
 * substitution are arguments nobody has seen — unquoted ones are even split into several,
 * so they can carry flags (`find . $(printf -- -delete)`) — and the command is not auto.
 */
const PRINT_ONLY = new Set(['echo', 'printf']);

/** Runs one simple command (from the syntax tree) through redirect checks and the command knowledge. */
export function runCommand(
  session: Session,
  words: Word[],
  text: string,
  scope: Scope,
  stdin: Stream,
  redirects: Redirect[],
): Stream {
  const mark = markFindings(session);
  for (const redirect of redirects) checkRedirect(session, redirect, scope);
  const out = runArgv(session, words, text, scope, stdin, redirects);
  attributeFindings(session, mark);
  return out;
}

interface Mark {
  findings: number;
  commands: number;
}

function markFindings(session: Session): Mark {
  return { findings: session.findings.length, commands: session.commands.length };
}

/**
 * Ties the findings emitted since `mark` that no nested command claimed (redirects, wrappers
 * such as `sudo` or `ssh host`) to the commands recorded since then, so that a whitelist entry
 * for one command cannot also cover a finding about another.
 */
function attributeFindings(session: Session, mark: Mark): void {
  const end = session.commands.length;
  if (end === mark.commands) return;
  let indexes: number[] | undefined;
  for (let i = mark.findings; i < session.findings.length; i++) {
    const finding = session.findings[i] as Finding;
    if (finding.commands) continue;
    indexes ??= range(mark.commands, end);
    finding.commands = indexes;
  }
}

/** The integers from `start` up to, not including, `end`. */
function range(start: number, end: number): number[] {
  const out: number[] = [];
  for (let i = start; i < end; i++) out.push(i);
  return out;
}

export function checkRedirect(session: Session, redirect: Redirect, _scope: Scope): void {
  const { operator, target } = redirect;
  const path = target.value;
  if (/^\/dev\/(tcp|udp)\//.test(normalizePath(path))) {
    emit(session, 'shell.net.dev-tcp', `${operator} ${path}`);
    return;
  }
  if (
    operator === '<' ||
    operator === '<&' ||
    (operator === '>&' && /^\d+$/.test(path)) ||
    operator === '<<<'
  )
    return;
  if (/^&?\d*-?$/.test(path) && operator.includes('&')) return;
  checkWriteTarget(
    session,
    path,
    target.dynamic,
    `${operator} ${target.text}`,
    operator === '>>' ? 'append' : 'write',
  );
}

/**
 * Resolves the program of a command and dispatches it: wrappers are unwrapped and their inner
 * command run through here again; everything else goes to the command knowledge.
 */
export function runArgv(
  session: Session,
  words: Word[],
  text: string,
  scope: Scope,
  stdin: Stream,
  redirects: Redirect[] = [],
): Stream {
  const mark = markFindings(session);
  const outer = session.current;
  session.observe?.(words);
  try {
    return dispatch(session, expandFields(words), text, scope, stdin, redirects);
  } finally {
    session.current = outer;
    attributeFindings(session, mark);
  }
}

/** Brace expansion: bash turns `/{bin,etc}` into two words before anything else happens. */
function expandFields(words: Word[]): Word[] {
  if (!words.some((w) => w.fields)) return words;
  return words.flatMap((w) =>
    w.fields ? w.fields.map((value) => ({ ...w, value, text: w.text, fields: undefined })) : [w],
  );
}

/** The decoded text a program name was computed from (`$(echo dXNlcmFkZA== | base64 -d)`), if known. */
function decodedPayload(word: Word): string | undefined {
  for (const stream of word.streams)
    if (stream.kind === 'decoded' && stream.text !== undefined) return stream.text;
  return undefined;
}

function dispatch(
  session: Session,
  words: Word[],
  text: string,
  scope: Scope,
  stdin: Stream,
  redirects: Redirect[],
): Stream {
  let [nameWord, ...args] = words;
  if (!nameWord) return UNKNOWN;
  if (nameWord.expanded) emit(session, 'shell.variable-command-name', nameWord.text);
  const payload = nameWord.substituted ? decodedPayload(nameWord) : undefined;
  if (payload !== undefined) {
    // The program and its arguments are the decoded text: judge that text as the command it is.
    const line = [payload.trim(), ...args.map((a) => a.text)].join(' ');
    emit(session, 'shell.decoded-command', `${nameWord.text} decodes to: ${line}`, `decoded: ${line}`);
    session.reparse(line, { depth: scope.depth + 1, via: [...scope.via, 'decoded'] }, stdin);
    return UNKNOWN;
  }
  if (nameWord.unresolved) {
    session.commands.push({
      kind: 'shell',
      name: nameWord.text,
      args: args.map((a) => a.value),
      text,
      via: scope.via,
    });
    return UNKNOWN;
  }
  const substituted = args.find((a) => a.substituted);
  if (substituted && !PRINT_ONLY.has(basename(nameWord.value))) {
    emit(session, 'shell.dynamic-argument', `${basename(nameWord.value)} … ${substituted.text}`);
  }
  if (nameWord.glob) {
    emit(session, 'shell.glob-command-name', nameWord.text);
    const candidates = globCandidates(nameWord.value);
    if (candidates.length > 0) {
      const via = { depth: scope.depth, via: [...scope.via, `glob ${nameWord.text}`] };
      for (const candidate of candidates)
        runArgv(session, [literalWord(candidate), ...args], text, via, stdin, redirects);
      return UNKNOWN;
    }
  }
  if (nameWord.obfuscated)
    emit(session, 'shell.obfuscated-command-name', `${nameWord.text} reads as ${nameWord.value}`);
  const separators = fieldSeparators(session, nameWord);
  const trimmed = nameWord.value.trim();
  if (separators.one.test(trimmed) || trimmed !== nameWord.value) {
    // `${IFS}` or a substitution produced several words: bash splits them before running.
    const parts = nameWord.value.split(separators.run).filter(Boolean);
    if (parts.length === 0) return UNKNOWN;
    [nameWord, ...args] = [...parts.map(literalWord), ...args];
    if (!nameWord) return UNKNOWN;
  }
  if (args.some((arg) => fieldSeparators(session, arg).custom))
    args = args.flatMap((arg) => splitFields(session, arg));
  const name = basename(nameWord.value);
  const invocation: Invocation = {
    name,
    args,
    argv: args.map((a) => a.value),
    text,
    stdin,
    redirects,
    scope,
    session,
  };
  session.current = { via: scope.via, name, argv: invocation.argv };
  checkMining(invocation);
  if (session.selfSpawning.has(name))
    emit(
      session,
      'shell.resource.fork-bomb',
      `${name} is a function that starts copies of itself in a pipe or in the background`,
    );
  if (nameWord.value.includes('/') && wasDownloaded(session, nameWord.value)) {
    emit(
      session,
      'shell.download-exec',
      `runs ${nameWord.value}, which was downloaded earlier in the script`,
    );
  }

  const wrapped = unwrap(invocation);
  if (wrapped && !wrapped.record) {
    if (wrapped.inner && wrapped.inner.length > 0)
      return runInner(session, wrapped.inner, wrapped.label, scope, wrapped.stdin ?? stdin);
    return wrapped.output ?? UNKNOWN;
  }

  session.commands.push({
    kind: 'shell',
    name,
    args: invocation.argv,
    text: clip(text, 400),
    via: scope.via,
  });
  const sensitive = checkCredentialRead(invocation);
  if (isVersionOrHelp(invocation.argv)) return UNKNOWN;
  // A dry run prints what the tool would do; it is judged as the read it is.
  if (!wrapped && isDryRun(name, invocation.argv)) return sensitive ?? UNKNOWN;
  const handler = KNOWLEDGE.get(name);
  let output: Stream | undefined;
  if (handler) output = handler(invocation) ?? undefined;
  else if (nameWord.value.includes('/') && !wrapped) {
    // A script of the project (./scripts/test.sh): a deploy or release script needs a human.
    // Either way the script's content is not visible here.
    if (/deploy|release|publish|prod|rollout|migrate|destroy|teardown/i.test(nameWord.value))
      emit(session, 'shell.build.deploy-target', nameWord.value);
    emit(session, 'shell.script.run', nameWord.value);
  } else if (!READ_ONLY.has(name) && !wrapped && !session.functions.has(name))
    emit(session, 'shell.unknown-program', name);
  if (sensitive) output = sensitive;
  checkFrameworkTask(invocation, Boolean(handler) || READ_ONLY.has(name));
  if (wrapped?.inner && wrapped.inner.length > 0) {
    return runInner(session, wrapped.inner, wrapped.label, scope, wrapped.stdin ?? stdin);
  }
  return output ?? wrapped?.output ?? UNKNOWN;
}

/** Regular expressions for what separates fields: one separator, and a run of them. */
interface Separators {
  one: RegExp;
  run: RegExp;
  /** Characters besides whitespace separate too (an `IFS` was assigned). */
  custom: boolean;
}

const WHITESPACE: Separators = { one: /[\s]/, run: /[\s]+/, custom: false };

/** The separators of the last custom `IFS` seen: a one-entry memo, keyed by the `IFS` value. */
let lastCustom: { ifs: string; separators: Separators } | undefined;

/**
 * What splits an expanded word into several: whitespace, plus the characters of an `IFS`
 * assigned earlier (`IFS=,; c=rm,-rf,/srv; $c` runs `rm -rf /srv`). A literal word is not split.
 */
function fieldSeparators(session: Session, word: Word): Separators {
  const ifs = word.expanded ? (session.vars.get('IFS') ?? '') : '';
  if (ifs === '') return WHITESPACE;
  if (lastCustom?.ifs === ifs) return lastCustom.separators;
  const extra = [...ifs]
    .filter((c) => !/\s/.test(c))
    .map((c) => c.replace(/[\\\]^-]/g, '\\$&'))
    .join('');
  const separators =
    extra === ''
      ? WHITESPACE
      : { one: new RegExp(`[\\s${extra}]`), run: new RegExp(`[\\s${extra}]+`), custom: true };
  lastCustom = { ifs, separators };
  return separators;
}

/** An expanded argument split on a custom `IFS`, as bash does before running the command. */
function splitFields(session: Session, word: Word): Word[] {
  const separators = fieldSeparators(session, word);
  if (!separators.custom || !separators.one.test(word.value)) return [word];
  return word.value
    .split(separators.run)
    .filter(Boolean)
    .map((value) => ({ ...word, value }));
}

const FRAMEWORK_PROGRAMS =
  /^(python[0-9.]*|npx|pnpx|bunx|rails|rake|bundle|php|artisan|alembic|manage\.py|knex|sequelize|typeorm|prisma|django-admin|flask|mix|dotnet|npm|yarn|pnpm|flyway|liquibase|goose|migrate|dbmate|diesel|sqlx|atlas|ansible|ansible-playbook)$/;
const FRAMEWORK_DESTRUCTIVE =
  /(^|\s)(flush|reset_db|sqlflush|db:drop|db:reset|db:schema:load|schema:drop|migrate:fresh|migrate:reset|drop_all|dropdb|clean|db:migrate:undo:all)(\s|$)|migrate[ :]reset|migrate[ :](down|rollback) --all|downgrade base|database (drop|reset)|db (drop|reset)/;
const FRAMEWORK_MIGRATE =
  /(^|\s|:)(migrate|migration|db:migrate|db:seed|seed|runner|upgrade|loaddata|createsuperuser|db push|deploy|up|down|rollback|apply)(\s|:|$)/;
const DESTRUCTIVE_VERB =
  /^(destroy|drop|delete|del|remove|rm|purge|wipe|flush|flushall|truncate|reset|downgrade|erase|nuke|obliterate|format|--delete|--purge|--drop|-recurse|--prefix|--force-delete|lvremove|vgremove|pvremove)$/i;
/** The same verbs joined to their object: `purge_queue`, `delete-topic`, `force_reset`. */
const DESTRUCTIVE_COMPOUND =
  /^(force[_-])?(destroy|drop|delete|remove|purge|wipe|flush|truncate|reset|erase)([_-][a-z0-9]+)+$/i;

/**
 * Framework tasks (Django, Rails, Prisma, Alembic…) and unfamiliar programs are judged by their
 * verbs: migrations are writes, flush/db:drop/migrate reset destroy data.
 */
function checkFrameworkTask(inv: Invocation, known: boolean): void {
  const framework =
    FRAMEWORK_PROGRAMS.test(inv.name) ||
    inv.argv.some((a) => a.endsWith('manage.py') || a.endsWith('artisan') || a.endsWith('bin/rails'));
  // Known programs are judged by their own knowledge unless they run a framework's tasks.
  if (known && !framework) return;
  const joined = inv.argv.join(' ');
  if (inv.name === 'ansible' || inv.name === 'ansible-playbook') {
    const module = inv.argv[inv.argv.indexOf('-m') + 1] ?? '';
    const args = inv.argv[inv.argv.indexOf('-a') + 1];
    if (
      inv.argv.includes('-a') &&
      args !== undefined &&
      /^(shell|command|raw|ansible\.builtin\.(shell|command))$/.test(module)
    ) {
      inv.session.reparse(
        args,
        { depth: inv.scope.depth + 1, via: [...inv.scope.via, 'ansible -a'] },
        UNKNOWN,
      );
    }
    emit(inv.session, 'shell.framework.migrate', `${inv.name} ${joined}`);
    return;
  }
  if (framework && FRAMEWORK_DESTRUCTIVE.test(joined))
    emit(inv.session, 'shell.framework.destructive', `${inv.name} ${joined}`);
  else if (framework && FRAMEWORK_MIGRATE.test(joined) && !/^(npm|yarn|pnpm|dotnet)$/.test(inv.name))
    emit(inv.session, 'shell.framework.migrate', `${inv.name} ${joined}`);
  else if (
    !known &&
    inv.argv.some(
      (a) =>
        DESTRUCTIVE_VERB.test(a) ||
        DESTRUCTIVE_COMPOUND.test(a) ||
        /^[a-z-]+:(drop|delete|destroy|reset|purge|flush)$/.test(a),
    )
  ) {
    emit(inv.session, 'shell.unknown-program.destructive', `${inv.name} ${joined}`);
  } else if (!known && DESTRUCTIVE_VERB.test(inv.name))
    emit(inv.session, 'shell.unknown-program.destructive', inv.name);
}

function runInner(session: Session, inner: Word[], label: string, scope: Scope, stdin: Stream): Stream {
  const innerText = inner.map((w) => w.text).join(' ');
  return runArgv(session, inner, innerText, { depth: scope.depth, via: [...scope.via, label] }, stdin);
}
