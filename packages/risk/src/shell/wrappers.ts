import { own } from '../own.ts';
import { basename, firstPositionalIndex, optionValues } from './argv.ts';
import type { Invocation, Stream, Word } from './context.ts';
import { emit, literalWord } from './context.ts';
import { checkAssignment } from './knowledge/environment.ts';
import { reparseHook } from './knowledge/hooks.ts';
import { classifyPath } from './paths.ts';

export interface Unwrapped {
  /** The inner command's words, when the wrapper runs one. */
  inner?: Word[];
  /** How the wrapper appears in `via`, e.g. `sudo` or `ssh db1`. */
  label: string;
  /** Replacement stdin for the inner command. */
  stdin?: Stream;
  /** Output when the wrapper handled everything itself. */
  output?: Stream;
  /** Record the wrapper itself as a parsed command (when it ran nothing inside). */
  record?: boolean;
}

type Unwrapper = (inv: Invocation) => Unwrapped | undefined;

/** Skips options (with the listed ones taking a value) and returns the words from the command on. */
function after(inv: Invocation, valued: readonly string[], label = inv.name): Unwrapped {
  const index = firstPositionalIndex(inv.argv, valued);
  if (index === -1) return { label, record: true };
  return { inner: inv.args.slice(index), label };
}

const SUDO_VALUED = [
  '-u',
  '-g',
  '-C',
  '-D',
  '-h',
  '-p',
  '-r',
  '-t',
  '-U',
  '-T',
  '-R',
  '--user',
  '--group',
  '--chdir',
  '--host',
  '--prompt',
  '--role',
  '--type',
  '--other-user',
  '--close-from',
  '--command-timeout',
  '--chroot',
];

const sudo: Unwrapper = (inv) => {
  const index = firstPositionalIndex(inv.argv, SUDO_VALUED);
  // Only sudo's own options: `-e` after the command name belongs to it (`sudo perl -e …`).
  const options = index === -1 ? inv.argv : inv.argv.slice(0, index);
  const interactive = options.some(
    (a) => /^-[a-zA-Z]*[is][a-zA-Z]*$/.test(a) || a === '--login' || a === '--shell',
  );
  if (options.some((a) => a === '-e' || a === '--edit') || inv.name === 'sudoedit') {
    sudoEdit(inv, index === -1 ? [] : inv.argv.slice(index));
    return { label: inv.name, record: true };
  }
  if (index === -1) {
    if (interactive) emit(inv.session, 'shell.privilege.root-shell', inv.text);
    else if (inv.argv.some((a) => a === '-l' || a === '-v' || a === '-k' || a === '-K'))
      return { label: inv.name, record: true };
    return { label: inv.name, record: true };
  }
  emit(inv.session, 'shell.sudo', `${inv.name} ${inv.argv.slice(0, index).join(' ')}`.trim());
  // `sudo VAR=value cmd` sets the variable for cmd (LD_PRELOAD=… is judged like any assignment).
  let start = index;
  while (start < inv.argv.length && /^[A-Za-z_][A-Za-z0-9_]*=/.test(inv.argv[start] as string)) {
    const [name = '', ...value] = (inv.argv[start] as string).split('=');
    checkAssignment(inv.session, name, value.join('='), 'sudo', inv.scope);
    start++;
  }
  if (start >= inv.argv.length) return { label: inv.name, record: true };
  if (isBareShell(inv.argv.slice(start))) emit(inv.session, 'shell.privilege.root-shell', inv.text);
  return { inner: inv.args.slice(start), label: inv.name };
};

/** `sudoedit FILE`: editing sudoers, PAM or a start-up file as root is the privilege change itself. */
function sudoEdit(inv: Invocation, files: readonly string[]): void {
  const classes = files.map((f) => classifyPath(f));
  if (classes.includes('privilege') || classes.includes('credential'))
    emit(inv.session, 'shell.privilege.write', inv.text);
  else if (classes.includes('persistence')) emit(inv.session, 'shell.persistence.write', inv.text);
  else emit(inv.session, 'shell.sudo.edit', inv.text);
}

const SHELL_NAMES = /^(sh|bash|zsh|dash|ksh|fish|ash|csh|tcsh|su|python[0-9.]*|perl|ruby|node)$/;

/** `sudo bash`, `sudo /bin/sh -i`, `sudo su -`: an interactive shell as another user. */
function isBareShell(argv: string[]): boolean {
  const [program = '', ...rest] = argv;
  if (!SHELL_NAMES.test(basename(program))) return false;
  if (basename(program) === 'su') return !rest.includes('-c');
  return rest.every((a) => /^-[ilsp]+$|^--login$|^-$/.test(a));
}

const env: Unwrapper = (inv) => {
  const valued = ['-u', '--unset', '-C', '--chdir', '-S', '--split-string'];
  let i = 0;
  for (; i < inv.argv.length; i++) {
    const arg = inv.argv[i] as string;
    if (arg === '-S' || arg === '--split-string' || arg.startsWith('--split-string=')) {
      // `env -S 'rm -rf /'` splits its argument into a command line.
      const text = arg.startsWith('--split-string=') ? arg.slice(15) : (inv.argv[i + 1] ?? '');
      inv.session.reparse(text, { depth: inv.scope.depth + 1, via: [...inv.scope.via, 'env -S'] }, inv.stdin);
      return { label: 'env -S' };
    }
    if (valued.includes(arg)) {
      i++;
      continue;
    }
    if (arg === '--') {
      i++;
      break;
    }
    if (arg.startsWith('-')) continue;
    if (/^[A-Za-z_][A-Za-z0-9_]*=/.test(arg)) {
      const eq = arg.indexOf('=');
      inv.session.vars.delete(arg.slice(0, eq));
      const name = arg.slice(0, eq);
      checkAssignment(inv.session, name, arg.slice(eq + 1), 'env', inv.scope);
      // `env` is also how a library search path is pointed at planted libraries.
      if (/^(LD|DYLD)_LIBRARY_PATH$/.test(name)) emit(inv.session, 'shell.env.preload', arg);
      continue;
    }
    break;
  }
  if (i >= inv.argv.length) {
    emit(inv.session, 'shell.env.dump', inv.text);
    return { label: 'env', output: { kind: 'sensitive', what: 'environment variables' } };
  }
  return { inner: inv.args.slice(i), label: 'env' };
};

const timeout: Unwrapper = (inv) => {
  const index = firstPositionalIndex(inv.argv, ['-s', '--signal', '-k', '--kill-after']);
  if (index === -1) return { label: 'timeout', record: true };
  return { inner: inv.args.slice(index + 1), label: 'timeout' };
};

const xargs: Unwrapper = (inv) => {
  const valued = [
    '-I',
    '-i',
    '-n',
    '-P',
    '-d',
    '-E',
    '-e',
    '-L',
    '-l',
    '-s',
    '-a',
    '--max-args',
    '--max-procs',
    '--delimiter',
    '--arg-file',
    '--replace',
    '--max-lines',
    '--max-chars',
    '--eof',
  ];
  const index = firstPositionalIndex(inv.argv, valued);
  if (index === -1) return { label: 'xargs', record: true };
  const replace =
    optionAfter(inv.argv, ['-I', '--replace']) ??
    inv.argv.find((a) => a.startsWith('-I') && a.length > 2)?.slice(2);
  const command = inv.args.slice(index);
  const items = xargsItems(inv, replace !== undefined);
  if (items === undefined) {
    const unknown: Word = { ...literalWord('{xargs input}'), dynamic: true, unresolved: true };
    const inner = replace ? command.map((w) => substitute(w, replace, unknown)) : [...command, unknown];
    return { inner, label: 'xargs', stdin: { kind: 'unknown' } };
  }
  if (!replace) {
    // Without -I every input item is appended (in batches): `echo a / | xargs rm -rf` removes both.
    const words = items.map((item): Word => ({ ...literalWord(item), dynamic: true }));
    return { inner: [...command, ...words], label: 'xargs', stdin: { kind: 'unknown' } };
  }
  // With -I the command runs once per input line, the line in place of the placeholder.
  const [first = '', ...others] = items;
  for (const item of others) {
    const words = command.map((w) => substitute(w, replace, { ...literalWord(item), dynamic: true }));
    inv.session.run(
      words,
      words.map((w) => w.value).join(' '),
      { depth: inv.scope.depth, via: [...inv.scope.via, 'xargs'] },
      { kind: 'unknown' },
    );
  }
  const inner = command.map((w) => substitute(w, replace, { ...literalWord(first), dynamic: true }));
  return { inner, label: 'xargs', stdin: { kind: 'unknown' } };
};

/** Input items xargs builds command lines from, when the analyzer knows them (at most 20). */
function xargsItems(inv: Invocation, lines: boolean): string[] | undefined {
  if (optionAfter(inv.argv, ['-a', '--arg-file']) !== undefined) return undefined;
  if (inv.stdin.kind === 'file') return [inv.stdin.path];
  if (inv.stdin.kind !== 'literal') return undefined;
  const text = inv.stdin.text;
  const items = lines
    ? text.split('\n').map((l) => l.trim())
    : text.split(inv.argv.some((a) => a === '-0' || a === '--null') ? '\0' : /\s+/);
  const known = items.filter((item) => item !== '');
  return known.length > 0 ? known.slice(0, 20) : undefined;
}

function substitute(word: Word, placeholder: string, item: Word): Word {
  if (!word.value.includes(placeholder)) return word;
  return {
    ...word,
    value: word.value.split(placeholder).join(item.value),
    dynamic: true,
    unresolved: item.unresolved,
  };
}

const command: Unwrapper = (inv) => {
  if (inv.argv.some((a) => a === '-v' || a === '-V'))
    return { label: 'command', record: true, output: { kind: 'unknown' } };
  return after(inv, []);
};

const watch: Unwrapper = (inv) => {
  const index = firstPositionalIndex(inv.argv, ['-n', '--interval', '-d', '-q', '--chgexit']);
  if (index === -1) return { label: 'watch', record: true };
  // watch joins its arguments and runs them with `sh -c`.
  const text = inv.argv.slice(index).join(' ');
  inv.session.reparse(text, { depth: inv.scope.depth + 1, via: [...inv.scope.via, 'watch'] }, inv.stdin);
  return { label: 'watch' };
};

const su: Unwrapper = (inv) => {
  const commandText = optionAfter(inv.argv, ['-c', '--command']);
  if (commandText === undefined) {
    emit(inv.session, 'shell.privilege.root-shell', inv.text);
    return { label: 'su', record: true };
  }
  emit(inv.session, 'shell.sudo', inv.text);
  inv.session.reparse(
    commandText,
    { depth: inv.scope.depth + 1, via: [...inv.scope.via, 'su -c'] },
    inv.stdin,
  );
  return { label: 'su -c' };
};

function optionAfter(argv: readonly string[], names: string[]): string | undefined {
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (names.includes(arg)) return argv[i + 1] ?? '';
    for (const name of names)
      if (name.startsWith('--') && arg.startsWith(`${name}=`)) return arg.slice(name.length + 1);
  }
  return undefined;
}

const ssh: Unwrapper = (inv) => {
  const valued = [
    '-p',
    '-i',
    '-l',
    '-o',
    '-F',
    '-J',
    '-L',
    '-R',
    '-D',
    '-b',
    '-c',
    '-E',
    '-e',
    '-I',
    '-m',
    '-O',
    '-Q',
    '-S',
    '-W',
    '-w',
    '-B',
  ];
  const index = firstPositionalIndex(inv.argv, valued);
  if (index === -1) return { label: 'ssh', record: true };
  const host = inv.argv[index] as string;
  const rest = inv.args.slice(index + 1);
  const label = `ssh ${host}`;
  if (inv.argv.some((a) => /^-[a-zA-Z]*[LRD]/.test(a) || a === '-w'))
    emit(inv.session, 'shell.ssh.tunnel', inv.text);
  const backdoor = optionValues(inv.argv.slice(0, index), '-R').find(remoteAccessForward);
  if (backdoor)
    emit(inv.session, 'shell.net.reverse-shell', `ssh -R ${backdoor} lets ${host} reach this machine`);
  for (const option of optionValues(inv.argv.slice(0, index), '-o')) {
    // ProxyCommand and LocalCommand are shell commands ssh runs on this machine.
    const m = option.match(/^(ProxyCommand|LocalCommand)[\s=]+(.*)$/is);
    if (m && !isPlainProxy(m[2] as string))
      reparseHook(inv.session, inv.scope, m[2] as string, `ssh -o ${m[1]}`);
  }
  if (rest.length === 0) {
    if (inv.stdin.kind !== 'unknown') {
      interpretStdinRemote(inv, label);
      return { label };
    }
    emit(inv.session, 'shell.ssh.interactive', `interactive session on ${host}`);
    return { label, record: true };
  }
  emit(inv.session, 'shell.ssh.remote', `runs on ${host}`);
  if (inv.stdin.kind === 'file' || inv.stdin.kind === 'sensitive') {
    emit(
      inv.session,
      inv.stdin.kind === 'sensitive' ? 'shell.exfiltration.sensitive' : 'shell.exfiltration.raw-socket',
      `local data piped to ${host}`,
    );
  }
  // The remote shell re-parses the arguments joined with spaces.
  const text = rest.map((w) => w.value).join(' ');
  if (rest.some((w) => w.unresolved)) emit(inv.session, 'shell.dynamic-script', `remote command ${text}`);
  inv.session.reparse(text, { depth: inv.scope.depth + 1, via: [...inv.scope.via, label] }, inv.stdin);
  return { label };
};

/**
 * The usual proxy commands (`nc %h %p`, `ssh -W %h:%p jump`, `connect -H proxy:3128 %h %p`):
 * one program that only relays the connection, no shell syntax, no exec option.
 */
function isPlainProxy(text: string): boolean {
  const [program = '', ...args] = text.trim().split(/\s+/);
  if (
    !/^(nc|ncat|netcat|ssh|connect|connect-proxy|corkscrew|proxytunnel|cloudflared)$/.test(basename(program))
  )
    return false;
  return (
    !/[;&|`<>(){}$\n]/.test(text) && !args.some((a) => /^-[a-zA-Z]*[ec]$|^--(exec|sh-exec|lua-exec)/.test(a))
  );
}

/** Local services that give a shell or a desktop: SSH, RDP, VNC. */
const REMOTE_ACCESS_PORTS = new Set(['22', '3389', '5900']);

/**
 * A remote forward (`-R`) that opens a way back into this machine: to its SSH, RDP or VNC
 * port, or a dynamic one (a SOCKS proxy into the local network). Forwarding a dev server
 * (`-R 80:localhost:3000`) is an ordinary tunnel.
 */
function remoteAccessForward(spec: string): boolean {
  const parts = spec.replace(/\[([^\]]*)\]/g, (_, h: string) => h.replace(/:/g, '.')).split(':');
  if (parts.length <= 2) return /^\d+$/.test(parts[parts.length - 1] ?? '');
  const host = parts[parts.length - 2] ?? '';
  const port = parts[parts.length - 1] ?? '';
  return /^(localhost|127(\.\d+){3}|0\.0\.0\.0|\.\.1|::1)$/.test(host) && REMOTE_ACCESS_PORTS.has(port);
}

function interpretStdinRemote(inv: Invocation, label: string) {
  if (inv.stdin.kind === 'literal') {
    inv.session.reparse(
      inv.stdin.text,
      { depth: inv.scope.depth + 1, via: [...inv.scope.via, label] },
      { kind: 'unknown' },
    );
  } else if (inv.stdin.kind === 'remote')
    emit(inv.session, 'shell.download-exec', `${label} runs a downloaded script`);
  else if (inv.stdin.kind === 'decoded')
    emit(inv.session, 'shell.decode-exec', `${label} runs a decoded script`);
  else emit(inv.session, 'shell.stdin-script-unknown', `${label} reads commands from stdin`);
}

const kubectl: Unwrapper = (inv) => {
  const sub = inv.argv.find((a) => !a.startsWith('-'));
  if (sub !== 'exec' && sub !== 'debug' && sub !== 'run' && sub !== 'attach') return undefined;
  const dash = inv.argv.indexOf('--');
  if (dash === -1) return { label: `${inv.name} ${sub}`, record: true };
  return { inner: inv.args.slice(dash + 1), label: `${inv.name} ${sub}`, record: true };
};

const DOCKER_RUN_VALUED = [
  '-e',
  '--env',
  '-u',
  '--user',
  '-w',
  '--workdir',
  '--env-file',
  '-v',
  '--volume',
  '-p',
  '--publish',
  '--name',
  '--network',
  '--net',
  '--entrypoint',
  '-m',
  '--memory',
  '--cpus',
  '--mount',
  '-l',
  '--label',
  '--platform',
  '--pull',
  '--restart',
  '--hostname',
  '-h',
  '--add-host',
  '--cap-add',
  '--cap-drop',
  '--device',
  '--pid',
  '--ipc',
  '--security-opt',
  '--tmpfs',
  '--ulimit',
  '--log-driver',
  '--log-opt',
  '--gpus',
  '--shm-size',
  '--stop-signal',
  '--runtime',
  '--dns',
  '--link',
  '--volumes-from',
  '--detach-keys',
  '--user',
];

const docker: Unwrapper = (inv) => {
  const sub = inv.argv.find((a) => !a.startsWith('-'));
  const subIndex = sub === undefined ? -1 : inv.argv.indexOf(sub);
  let verb = sub;
  let start = subIndex + 1;
  if (sub === 'compose' || sub === 'container') {
    verb = inv.argv.slice(start).find((a) => !a.startsWith('-'));
    start = verb === undefined ? -1 : inv.argv.indexOf(verb, start) + 1;
  }
  if (inv.name === 'docker-compose') {
    verb = sub;
  }
  if (verb !== 'exec' && verb !== 'run') return undefined;
  if (start <= 0) return undefined;
  const rest = inv.argv.slice(start);
  const targetOffset = firstPositionalIndex(rest, DOCKER_RUN_VALUED);
  if (targetOffset === -1) return undefined;
  const innerStart = start + targetOffset + 1;
  if (innerStart >= inv.argv.length) return undefined;
  // Let the docker knowledge judge the flags too (privileged, host mounts), then score the inner command.
  return {
    inner: inv.args.slice(innerStart),
    label: `${inv.name} ${verb} ${inv.argv[start + targetOffset]}`,
    record: true,
  };
};

const SYSTEMD_RUN_VALUED = [
  '-u',
  '--unit',
  '-p',
  '--property',
  '--description',
  '--slice',
  '-E',
  '--setenv',
  '--uid',
  '--gid',
  '--nice',
  '--working-directory',
  '-M',
  '--machine',
  '-H',
  '--host',
  '--service-type',
  '--on-active',
  '--on-boot',
  '--on-startup',
  '--on-unit-active',
  '--on-unit-inactive',
  '--on-calendar',
  '--timer-property',
  '--path-property',
  '--socket-property',
];

/**
 * `systemd-run [options] CMD`: runs CMD as a transient unit. With a timer (`--on-calendar`,
 * `--on-boot`…) or path/socket activation it is a scheduled job; without `--scope`, `--wait`
 * or a pipe/pty it is a background service that outlives the request. The command is judged too.
 */
const systemdRun: Unwrapper = (inv) => {
  const index = firstPositionalIndex(inv.argv, SYSTEMD_RUN_VALUED);
  const options = index === -1 ? inv.argv : inv.argv.slice(0, index);
  if (options.some((a) => /^--(on-|timer-property|path-property|socket-property)/.test(a)))
    emit(inv.session, 'shell.persistence.cron', inv.text);
  else if (!options.some((a) => /^(--scope|--wait|--pipe|--pty|-[a-zA-Z]*[PtG][a-zA-Z]*)$/.test(a)))
    emit(inv.session, 'shell.service.control', inv.text);
  if (index === -1) return { label: 'systemd-run', record: true };
  return { inner: inv.args.slice(index), label: 'systemd-run' };
};

const find: Unwrapper = () => undefined;

/** Runs `text` as shell text one level deeper (what `sh -c text` would do). */
function runShellText(inv: Invocation, text: string, label: string): Unwrapped {
  inv.session.reparse(text, { depth: inv.scope.depth + 1, via: [...inv.scope.via, label] }, inv.stdin);
  return { label };
}

/** `script [-q] -c 'cmd' [file]`: runs cmd under a pty through the user's shell. */
const script: Unwrapper = (inv) => {
  // `-c cmd`, `-qc cmd` (the value follows a cluster ending in c), `--command=cmd`.
  const at = inv.argv.findIndex((a) => /^-[a-zA-Z]*c$/.test(a) || a === '--command');
  const long = inv.argv.find((a) => a.startsWith('--command='));
  const text = at !== -1 ? inv.argv[at + 1] : long?.slice('--command='.length);
  if (text === undefined) return { label: 'script', record: true };
  return runShellText(inv, text, 'script -c');
};

/** `flock [opts] FILE CMD…` or `flock [opts] FILE -c 'cmd'`; `flock FD` alone runs nothing. */
const flock: Unwrapper = (inv) => {
  const valued = ['-w', '--timeout', '-E', '--conflict-exit-code'];
  const lock = firstPositionalIndex(inv.argv, valued);
  if (lock === -1 || lock + 1 >= inv.argv.length) return { label: 'flock', record: true };
  // `-c` right after the lock file is flock's; anywhere later it belongs to the command.
  const next = inv.argv[lock + 1];
  if ((next === '-c' || next === '--command') && inv.argv[lock + 2] !== undefined)
    return runShellText(inv, inv.argv[lock + 2] as string, 'flock -c');
  return { inner: inv.args.slice(lock + 1), label: 'flock' };
};

/** `chroot [opts] NEWROOT [CMD…]`: without a command it starts a shell (root, in NEWROOT). */
const chroot: Unwrapper = (inv) => {
  const root = firstPositionalIndex(inv.argv, ['--userspec', '--groups']);
  if (root === -1 || root + 1 >= inv.argv.length) {
    emit(inv.session, 'shell.privilege.root-shell', inv.text);
    return { label: 'chroot', record: true };
  }
  return { inner: inv.args.slice(root + 1), label: `chroot ${inv.argv[root]}` };
};

/** `screen -dmS name CMD…` starts CMD detached; plain `screen` is an interactive session. */
const screen: Unwrapper = (inv) => {
  // Option letters that take a value may end a cluster (`-dmS name`).
  let index = -1;
  for (let i = 0; i < inv.argv.length; i++) {
    const a = inv.argv[i] as string;
    if (!a.startsWith('-') || a === '-') {
      index = i;
      break;
    }
    if (/^-[a-zA-Z]*[ScpteTh]$/.test(a) || a === '-Logfile') i++;
  }
  if (index === -1) return { label: 'screen', record: true };
  return { inner: inv.args.slice(index), label: 'screen' };
};

/** `tmux new[-session] [-d] [-s name] 'cmd'` and `tmux send-keys … 'cmd' Enter` run shell text. */
const tmux: Unwrapper = (inv) => {
  const [verb] = inv.argv.filter((a) => !a.startsWith('-'));
  const valued = ['-s', '-n', '-c', '-t', '-x', '-y', '-F', '-e', '-f', '-L', '-S'];
  if (
    verb === 'new' ||
    verb === 'new-session' ||
    verb === 'new-window' ||
    verb === 'neww' ||
    verb === 'split-window' ||
    verb === 'splitw'
  ) {
    const start = inv.argv.indexOf(verb) + 1;
    const rest = inv.argv.slice(start);
    const index = firstPositionalIndex(rest, valued);
    if (index === -1) return { label: 'tmux', record: true };
    return runShellText(inv, rest.slice(index).join(' '), `tmux ${verb}`);
  }
  if (verb === 'send-keys' || verb === 'send') {
    const rest = inv.argv.slice(inv.argv.indexOf(verb) + 1);
    const keys = rest.filter(
      (a, i) => !a.startsWith('-') && !valued.includes(rest[i - 1] ?? '') && !/^(Enter|C-m|KPEnter)$/.test(a),
    );
    if (keys.length > 0) return runShellText(inv, keys.join(' '), `tmux ${verb}`);
  }
  return { label: 'tmux', record: true };
};

/** `ip netns exec NAME CMD…` runs CMD in a network namespace; other `ip` commands are not wrappers. */
const ipNetns: Unwrapper = (inv) => {
  const netns = inv.argv.indexOf('netns');
  if (netns === -1 || inv.argv[netns + 1] !== 'exec' || netns + 3 >= inv.argv.length) return undefined;
  return { inner: inv.args.slice(netns + 3), label: `ip netns exec ${inv.argv[netns + 2]}`, record: true };
};

const SIMPLE: Record<string, readonly string[]> = {
  nice: ['-n', '--adjustment'],
  nohup: [],
  time: ['-f', '--format', '-o', '--output'],
  stdbuf: ['-i', '-o', '-e'],
  setsid: [],
  ionice: ['-c', '-n', '-p', '-t'],
  chrt: [],
  taskset: [],
  builtin: [],
  exec: ['-a'],
  unbuffer: [],
  caffeinate: ['-t', '-w'],
  torsocks: [],
  proxychains: ['-f'],
  proxychains4: ['-f'],
  firejail: [],
  doas: ['-u', '-C'],
  runuser: ['-u', '-g', '-G', '--user', '--group'],
  pkexec: ['--user'],
  catchsegv: [],
  strace: ['-e', '-o', '-p', '-s', '-u'],
  ltrace: ['-e', '-o', '-p', '-s', '-u'],
  chronic: [],
  retry: [],
};

const PRIVILEGED_WRAPPERS = new Set(['doas', 'runuser', 'pkexec']);
SIMPLE.busybox = [];

/** Wrappers that need their own reading; the rest (SIMPLE) just skip options. */
const SPECIAL: Record<string, Unwrapper> = {
  sudo,
  sudoedit: sudo,
  env,
  timeout,
  gtimeout: timeout,
  xargs,
  command,
  watch,
  su,
  ssh,
  kubectl,
  oc: kubectl,
  docker,
  podman: docker,
  'docker-compose': docker,
  'systemd-run': systemdRun,
  find,
  script,
  flock,
  chroot,
  screen,
  tmux,
  ip: ipNetns,
};

/** Every program this module unwraps. */
export const WRAPPER_NAMES: readonly string[] = [...Object.keys(SPECIAL), ...Object.keys(SIMPLE)];

/** Returns how to unwrap `inv` when its program is a wrapper, or undefined for ordinary programs. */
export function unwrap(inv: Invocation): Unwrapped | undefined {
  const special = own(SPECIAL, inv.name);
  if (special) return special(inv);
  const valued = own(SIMPLE, inv.name);
  if (!valued) return undefined;
  if (PRIVILEGED_WRAPPERS.has(inv.name)) {
    const index = firstPositionalIndex(inv.argv, valued);
    if (index === -1 || isBareShell(inv.argv.slice(index)))
      emit(inv.session, 'shell.privilege.root-shell', inv.text);
    else emit(inv.session, 'shell.sudo', inv.text);
  }
  if (inv.name === 'chrt' || inv.name === 'taskset') {
    // Both take one positional (priority or mask) before the command.
    const index = firstPositionalIndex(inv.argv, []);
    if (index === -1 || index + 1 >= inv.argv.length) return { label: inv.name, record: true };
    return { inner: inv.args.slice(index + 1), label: inv.name };
  }
  return after(inv, valued, basename(inv.name));
}
