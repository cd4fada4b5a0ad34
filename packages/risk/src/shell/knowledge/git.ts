import { hasFlag, positionals } from '../argv.ts';
import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';
import { normalizePath } from '../paths.ts';
import { reparseHook } from './hooks.ts';
import type { Handler } from './types.ts';

const GLOBAL_VALUED = ['-C', '-c', '--git-dir', '--work-tree', '--namespace', '--exec-path', '--config-env'];
const PROTECTED_BRANCH =
  /^(main|master|trunk|develop|development|dev|release([/-].*)?|prod(uction)?([/-].*)?|stable|live|HEAD)$/;
const READ_ONLY = new Set([
  'status',
  'log',
  'diff',
  'show',
  'rev-parse',
  'ls-files',
  'ls-tree',
  'ls-remote',
  'blame',
  'describe',
  'grep',
  'shortlog',
  'cat-file',
  'help',
  'version',
  'whatchanged',
  'reflog',
  'rev-list',
  'name-rev',
  'merge-base',
  'show-ref',
  'for-each-ref',
  'count-objects',
  'fsck',
  'check-ignore',
  'var',
  'cherry',
  'range-diff',
  'annotate',
  'bisect',
  'difftool',
  'format-patch',
  'request-pull',
  'verify-commit',
  'verify-tag',
  'archive',
  'bundle',
  'instaweb',
  'show-branch',
  'get-tar-commit-id',
  'check-attr',
]);
const EXEC_CONFIG =
  /^(core\.(sshcommand|pager|editor|fsmonitor|hookspath|gitproxy|askpass)|alias\..*|.*\.textconv|.*\.driver|.*\.clean|.*\.smudge|.*\.process|sequence\.editor|credential\.helper|url\..*|http\.proxy|uploadpack\.packobjectshook|protocol\.allow|diff\.external|merge\.tool|gpg\.program)$/i;

const git: Handler = (inv) => {
  const s = inv.session;
  for (let i = 0; i < inv.argv.length; i++) {
    if (inv.argv[i] === '-c' || inv.argv[i]?.startsWith('--config-env')) {
      const [setting = '', ...value] = (inv.argv[i + 1] ?? '').split('=');
      if (EXEC_CONFIG.test(setting)) {
        emit(s, 'shell.exec-option', `git -c ${inv.argv[i + 1]}`);
        const command = configCommand(setting, value.join('='));
        if (command !== undefined) reparseHook(s, inv.scope, command, `git -c ${setting}`);
      }
    }
  }
  const args = positionals(inv.argv, GLOBAL_VALUED);
  const sub = args[0];
  const rest = inv.argv.slice(inv.argv.indexOf(sub ?? '') + 1);
  const restPositionals = positionals(rest, [
    '-m',
    '-F',
    '-o',
    '--repo',
    '--push-option',
    '-u',
    '--set-upstream-to',
  ]);
  if (sub === undefined) return;
  switch (sub) {
    case 'push':
      return push(inv, rest, restPositionals);
    case 'reset':
      if (rest.includes('--hard') || rest.includes('--merge') || rest.includes('--keep'))
        emit(s, 'shell.git.reset-hard', `git reset ${rest.join(' ')}`);
      else emit(s, 'shell.git.write', `git reset ${rest.join(' ')}`);
      return;
    case 'clean':
      if (hasFlag(rest, 'n', ['--dry-run'])) return;
      emit(s, 'shell.git.clean', `git clean ${rest.join(' ')}`);
      return;
    case 'checkout':
    case 'restore':
    case 'switch':
      if (
        hasFlag(rest, 'f', ['--force', '--discard-changes']) ||
        (rest.includes('--') && rest.some((a) => a === '.' || a === '*')) ||
        (sub === 'restore' && restPositionals.some((a) => a === '.' || a === ':/'))
      ) {
        emit(s, 'shell.git.discard-changes', `git ${sub} ${rest.join(' ')}`);
      } else if (sub === 'checkout' && restPositionals.length === 1 && restPositionals[0] === '.') {
        emit(s, 'shell.git.discard-changes', `git checkout .`);
      } else emit(s, 'shell.git.write', `git ${sub}`);
      return;
    case 'branch':
      if (hasFlag(rest, 'D') || (hasFlag(rest, 'd', ['--delete']) && hasFlag(rest, 'f', ['--force']))) {
        emit(s, 'shell.git.branch-force-delete', `git branch ${rest.join(' ')}`);
      } else if (hasFlag(rest, 'd', ['--delete']))
        emit(s, 'shell.git.branch-delete', `git branch ${rest.join(' ')}`);
      else if (
        hasFlag(rest, 'mMcC', ['--move', '--copy', '--set-upstream-to', '--unset-upstream']) ||
        restPositionals.length > 0
      ) {
        emit(s, 'shell.git.write', `git branch ${rest.join(' ')}`);
      }
      return;
    case 'tag':
      if (hasFlag(rest, 'd', ['--delete'])) emit(s, 'shell.git.branch-delete', `git tag ${rest.join(' ')}`);
      else if (
        restPositionals.length > 0 &&
        !hasFlag(rest, 'l', ['--list', '--contains', '--points-at', '--merged'])
      ) {
        emit(s, 'shell.git.write', `git tag ${rest.join(' ')}`);
      }
      return;
    case 'stash':
      if (restPositionals[0] === 'list' || restPositionals[0] === 'show') return;
      if (restPositionals[0] === 'drop' || restPositionals[0] === 'clear')
        emit(s, 'shell.git.discard-changes', `git stash ${restPositionals[0]}`);
      else emit(s, 'shell.git.write', `git stash ${rest.join(' ')}`);
      return;
    case 'filter-branch':
    case 'filter-repo':
      emit(s, 'shell.git.history-rewrite', `git ${sub}`);
      return;
    case 'reflog':
      if (restPositionals[0] === 'expire' || restPositionals[0] === 'delete')
        emit(s, 'shell.git.history-rewrite', `git reflog ${rest.join(' ')}`);
      return;
    case 'gc':
    case 'prune':
      if (rest.some((a) => a.startsWith('--prune=now') || a === '--expire=now' || a.startsWith('--expire'))) {
        emit(s, 'shell.git.history-rewrite', `git ${sub} ${rest.join(' ')}`);
      } else emit(s, 'shell.git.write', `git ${sub}`);
      return;
    case 'update-ref':
      emit(
        s,
        hasFlag(rest, 'd') ? 'shell.git.branch-force-delete' : 'shell.git.write',
        `git update-ref ${rest.join(' ')}`,
      );
      return;
    case 'rebase':
    case 'commit':
      if (sub === 'commit' && rest.includes('--amend')) emit(s, 'shell.git.amend', `git commit --amend`);
      else if (sub === 'rebase') emit(s, 'shell.git.rebase', `git rebase ${rest.join(' ')}`);
      else emit(s, 'shell.git.write', `git ${sub}`);
      return;
    case 'config':
      return config(inv, rest, restPositionals);
    case 'remote':
      if (restPositionals.length === 0 || restPositionals[0] === 'show' || restPositionals[0] === 'get-url')
        return;
      emit(s, 'shell.git.write', `git remote ${rest.join(' ')}`);
      return;
    case 'worktree':
    case 'submodule':
      if (restPositionals[0] === 'list' || restPositionals[0] === 'status' || restPositionals.length === 0)
        return;
      emit(s, 'shell.git.write', `git ${sub} ${restPositionals[0]}`);
      return;
    case 'fetch':
      emit(s, 'shell.git.fetch', `git fetch ${rest.join(' ')}`);
      return;
    case 'clone':
      emit(s, 'shell.git.clone', `git clone ${rest.join(' ')}`);
      markCloned(inv, rest);
      return;
    case 'credential':
    case 'credential-store':
    case 'credential-cache':
      // `git credential fill` prints stored passwords and tokens.
      emit(s, 'shell.credential.dump', `git ${sub} ${rest.join(' ')}`);
      return;
    case 'send-email':
      emit(s, 'shell.net.upload-file', 'git send-email');
      return;
    default:
      if (READ_ONLY.has(sub)) return;
      emit(s, 'shell.git.write', `git ${sub}`);
  }
};

const CLONE_VALUED = [
  '-b',
  '--branch',
  '--depth',
  '-o',
  '--origin',
  '-c',
  '--config',
  '--reference',
  '--reference-if-able',
  '--separate-git-dir',
  '--filter',
  '-j',
  '--jobs',
  '--template',
  '--shallow-since',
  '--shallow-exclude',
  '-u',
  '--upload-pack',
];

/** Settings whose value git runs as a shell command (an alias or helper only with a leading `!`). */
const COMMAND_CONFIG =
  /^(core\.(sshcommand|pager|editor|fsmonitor|askpass|gitproxy)|sequence\.editor|diff\.external|gpg\.program|uploadpack\.packobjectshook|.*\.textconv|filter\..*\.(clean|smudge|process)|merge\..*\.driver)$/i;

/** The shell text a `git -c key=value` setting runs, if it runs one. */
function configCommand(key: string, value: string): string | undefined {
  if (/^(alias\..*|credential\.helper)$/i.test(key))
    return value.startsWith('!') ? value.slice(1) : undefined;
  if (/^core\.fsmonitor$/i.test(key) && /^(true|false)$/i.test(value)) return undefined;
  return COMMAND_CONFIG.test(key) ? value : undefined;
}

/**
 * Remembers where a clone lands (`git clone URL [DIR]`), so that running a script from it later
 * in the same input counts as download-and-execute, like `curl -o x.sh … && sh x.sh`.
 */
function markCloned(inv: Invocation, rest: string[]) {
  const [url = '', dir] = positionals(rest, CLONE_VALUED);
  const target =
    dir ??
    url
      .replace(/\/+$/, '')
      .split(/[/:]/)
      .pop()
      ?.replace(/\.git$/, '');
  if (target) inv.session.downloaded.add(`${normalizePath(target)}/`);
}

/** Remotes whose push is a deploy by convention of the platform. */
const DEPLOY_REMOTES = /^(heroku|dokku|flynn|deis|piku)([-_].*)?$|^(ssh:\/\/)?dokku@|git\.heroku\.com/;

function push(inv: Invocation, rest: string[], positional: string[]) {
  const s = inv.session;
  const refspecs = positional.slice(1);
  const lease = rest.some((a) => a.startsWith('--force-with-lease') || a === '--force-if-includes');
  const force = hasFlag(rest, 'f', ['--force']) || refspecs.some((r) => r.startsWith('+'));
  const deleting = rest.includes('--delete') || hasFlag(rest, 'd') || refspecs.some((r) => r.startsWith(':'));
  const targets = refspecs.map((r) =>
    (r.replace(/^\+/, '').split(':').pop() ?? '').replace(/^refs\/heads\//, ''),
  );
  const protectedTarget = targets.length === 0 || targets.some((t) => PROTECTED_BRANCH.test(t) || t === '');
  const detail = `git push ${rest.join(' ')}`;
  // Pushing to a deploy remote (Heroku, Dokku, a remote named for production) ships the code.
  const remote = positional[0];
  if (remote !== undefined && (DEPLOY_REMOTES.test(remote) || s.production.test(remote)))
    emit(s, 'shell.deploy.production', `${detail} (deploy remote ${remote})`);
  if (rest.includes('--mirror') || (rest.includes('--all') && (force || lease)) || rest.includes('--prune')) {
    emit(s, 'shell.git.push-mirror', detail);
  } else if (deleting) {
    emit(
      s,
      targets.some((t) => PROTECTED_BRANCH.test(t))
        ? 'shell.git.delete-protected-branch'
        : 'shell.git.delete-remote-branch',
      detail,
    );
  } else if (force) {
    emit(s, protectedTarget ? 'shell.git.force-push-protected' : 'shell.git.force-push', detail);
  } else if (lease) {
    emit(
      s,
      targets.some((t) => PROTECTED_BRANCH.test(t))
        ? 'shell.git.force-push-protected'
        : 'shell.git.force-push-lease',
      detail,
    );
  } else {
    emit(s, 'shell.git.push', detail);
  }
}

function config(inv: Invocation, rest: string[], positional: string[]) {
  const reading =
    rest.some((a) => /^--(get|get-all|get-regexp|list|get-urlmatch)$/.test(a) || a === '-l') ||
    (positional.length <= 1 && !rest.some((a) => a === '--unset' || a === '--unset-all'));
  if (reading) return;
  const key = positional[0] ?? '';
  if (EXEC_CONFIG.test(key) && !(key.startsWith('alias.') && !(positional[1] ?? '').startsWith('!'))) {
    emit(inv.session, 'shell.git.config-exec', `git config ${rest.join(' ')}`);
    return;
  }
  emit(
    inv.session,
    rest.includes('--global') || rest.includes('--system') ? 'shell.git.config-global' : 'shell.git.write',
    `git config ${rest.join(' ')}`,
  );
}

export const GIT_HANDLERS: Record<string, Handler> = { git };
