import { basename, hasFlag, optionValue, optionValues, positionals } from '../argv.ts';
import type { Invocation, Stream, Word } from '../context.ts';
import { emit, literalWord } from '../context.ts';
import { resolveAgainstCwd } from '../cwd.ts';
import {
  classifyPath,
  credentialNameMatch,
  isNetworkConfigPath,
  isTopLevelSystemDirectory,
} from '../paths.ts';
import { decodeAnsiC } from '../words.ts';
import { commandHook, reparseHook } from './hooks.ts';
import { checkWriteTarget } from './targets.ts';
import type { Handler } from './types.ts';

/** Words after the options (`--` ends options), keeping the Word so dynamic parts stay visible. */
export function operandWords(inv: Invocation, valued: readonly string[] = []): Word[] {
  const out: Word[] = [];
  let options = true;
  for (let i = 0; i < inv.args.length; i++) {
    const word = inv.args[i] as Word;
    const value = word.value;
    if (options && value === '--') {
      options = false;
      continue;
    }
    if (options && value.startsWith('-') && value.length > 1) {
      if (valued.includes(value)) i++;
      continue;
    }
    out.push(word);
  }
  return out;
}

const rm: Handler = (inv) => {
  const recursive = hasFlag(inv.argv, 'rR', ['--recursive']);
  if (inv.argv.includes('--no-preserve-root')) emit(inv.session, 'shell.rm.no-preserve-root', inv.text);
  for (const target of operandWords(inv)) deleteTarget(inv, target, recursive);
};

/** Judges one deletion by how much lives under the path. */
export function deleteTarget(inv: Invocation, target: Word, recursive: boolean): void {
  const s = inv.session;
  const where = resolveAgainstCwd(s, target.value);
  const path = where.path;
  const shown = path === target.value ? path : `${target.value} (in ${s.cwd}: ${path})`;
  const detail = `${inv.name}${recursive ? ' -r' : ''} ${shown}`;
  const resolved = `${inv.name}${recursive ? ' -r' : ''} ${path}`;
  if (isNetworkConfigPath(path)) return void emit(s, 'shell.net.config', detail, resolved);
  switch (classifyPath(path, target.unresolved || where.dynamic)) {
    case 'root':
      emit(s, 'shell.rm.root', detail, resolved);
      return;
    case 'system':
    case 'privilege':
    case 'persistence':
      if (recursive && isTopLevelSystemDirectory(path))
        emit(s, 'shell.rm.system-root', detail, `${resolved} (a top-level system directory)`);
      else emit(s, recursive ? 'shell.rm.system-recursive' : 'shell.rm.system', detail, resolved);
      return;
    case 'home':
      emit(s, 'shell.rm.home', detail);
      return;
    case 'credential':
      emit(s, 'shell.rm.credential', detail);
      return;
    case 'history':
      emit(s, 'shell.evasion.history', detail);
      return;
    case 'log':
      emit(s, 'shell.evasion.logs', detail);
      return;
    case 'device':
      emit(s, 'shell.disk.device-write', detail);
      return;
    case 'cwd':
      emit(s, recursive ? 'shell.rm.cwd' : 'shell.rm.files', detail);
      return;
    case 'parent':
    case 'other_absolute':
      emit(s, recursive ? 'shell.rm.outside-project-recursive' : 'shell.rm.outside-project', detail);
      return;
    case 'dynamic':
      emit(s, recursive ? 'shell.rm.dynamic-recursive' : 'shell.rm.dynamic', detail);
      return;
    case 'tmp':
      emit(s, 'shell.rm.temp', detail);
      return;
    case 'regenerable':
      emit(s, 'shell.rm.regenerable', detail);
      return;
    default:
      emit(s, recursive ? 'shell.rm.project-recursive' : 'shell.rm.files', detail);
  }
}

const shred: Handler = (inv) => {
  for (const target of operandWords(inv, ['-n', '--iterations', '-s', '--size', '--random-source'])) {
    if (target.substituted) {
      emit(
        inv.session,
        'shell.disk.device-write',
        `shred ${target.text} (target known only when it runs: assumed a disk)`,
      );
      continue;
    }
    const cls = classifyPath(target.value, target.unresolved);
    if (cls === 'history') emit(inv.session, 'shell.evasion.history', `shred ${target.value}`);
    else if (cls === 'log') emit(inv.session, 'shell.evasion.logs', `shred ${target.value}`);
    else if (cls === 'device') emit(inv.session, 'shell.disk.device-write', `shred ${target.value}`);
    else emit(inv.session, 'shell.shred', `shred ${target.value}`);
  }
};

const dd: Handler = (inv) => {
  for (const word of inv.args) {
    const arg = word.value;
    if (arg.startsWith('of=') && word.substituted) {
      // `of=$(findmnt -no SOURCE /)`: the device is computed when it runs; assume the worst.
      emit(
        inv.session,
        'shell.disk.device-write',
        `dd ${word.text} (output known only when it runs: assumed a disk)`,
      );
    } else if (arg.startsWith('of=')) {
      const path = arg.slice(3);
      const cls = classifyPath(path);
      if (cls === 'device') emit(inv.session, 'shell.disk.device-write', `dd ${arg}`);
      else checkWriteTarget(inv.session, path, false, `dd ${arg}`);
    } else if (arg.startsWith('if=') && classifyPath(arg.slice(3)) === 'device') {
      emit(inv.session, 'shell.disk.device-read', `dd ${arg}`);
    }
  }
};

const format: Handler = (inv) => {
  if (
    inv.argv.length === 0 ||
    inv.argv.every((a) => a === '-l' || a === '--list' || a === '-h' || a === '--help')
  )
    return;
  // mkfs, wipefs, blkdiscard and friends only ever operate on block devices: whatever the
  // operand (a literal disk, a partition, a device computed by a substitution), the host's data
  // on it is gone.
  emit(inv.session, 'shell.disk.format', `${inv.name} ${inv.argv.join(' ')}`);
};

const SETUID_SYMBOLIC = /^[ugoa]*[+=][rwxXt]*s/;
const SETUID_NUMERIC = /^[2-7][0-7]{3}$/;

function isSetuidMode(mode: string): boolean {
  return mode.split(',').some((m) => SETUID_SYMBOLIC.test(m)) || SETUID_NUMERIC.test(mode);
}

/** `install -m 4755 /bin/bash /tmp/x` copies and sets the mode in one step. */
const install: Handler = (inv) => {
  const mode = optionValue(inv.argv, '-m', '--mode');
  if (mode !== undefined && isSetuidMode(mode))
    emit(inv.session, 'shell.privilege.setuid', `install -m ${mode} ${inv.argv.join(' ')}`);
  return cp(inv);
};

const chmod: Handler = (inv) => {
  const recursive = hasFlag(inv.argv, 'R', ['--recursive']);
  const operands = operandWords(inv, ['--reference']);
  // chmod accepts a symbolic mode that starts with `-` (e.g. `-x`); operandWords drops it, so look again.
  const modeWord = inv.args.find(
    (w) => !w.value.startsWith('--') && /^[-+=ugoa0-7rwxXst,]+$/.test(w.value) && w.value !== '-R',
  );
  const mode = operands[0]?.value ?? modeWord?.value ?? '';
  const targets = operands[0]?.value === mode ? operands.slice(1) : operands;
  if (isSetuidMode(mode)) {
    emit(inv.session, 'shell.privilege.setuid', `chmod ${mode} ${targets.map((t) => t.value).join(' ')}`);
  }
  permissionTargets(inv, targets, recursive, 'chmod');
  if (/^0?777$|^a\+w|^o\+w|^\+w/.test(mode)) emit(inv.session, 'shell.chmod.world-writable', `chmod ${mode}`);
};

const chown: Handler = (inv) => {
  const recursive = hasFlag(inv.argv, 'R', ['--recursive']);
  const operands = operandWords(inv, ['--reference', '--from']);
  permissionTargets(inv, operands.slice(1), recursive, inv.name);
};

function permissionTargets(inv: Invocation, targets: Word[], recursive: boolean, verb: string) {
  let reported = false;
  for (const target of targets) {
    const detail = `${verb}${recursive ? ' -R' : ''} ${target.value}`;
    const cls = classifyPath(target.value, target.unresolved);
    if (cls === 'privilege' || cls === 'credential') emit(inv.session, 'shell.privilege.permissions', detail);
    else if (cls === 'root' || cls === 'system' || cls === 'home') {
      emit(
        inv.session,
        recursive ? 'shell.permissions.system-recursive' : 'shell.permissions.system',
        detail,
      );
    } else if (cls === 'persistence') emit(inv.session, 'shell.persistence.write', detail);
    else if (!reported) {
      emit(inv.session, 'shell.permissions.change', detail);
      reported = true;
    }
  }
}

const truncate: Handler = (inv) => {
  for (const target of operandWords(inv, ['-s', '--size', '-r', '--reference'])) {
    checkWriteTarget(inv.session, target.value, target.unresolved, `truncate ${target.value}`);
  }
};

const mv: Handler = (inv) => {
  const operands = operandWords(inv, ['-t', '--target-directory', '-S', '--suffix']);
  const explicitTarget = optionValue(inv.argv, '-t', '--target-directory');
  const destination = explicitTarget ?? operands[operands.length - 1]?.value;
  const sources = explicitTarget ? operands : operands.slice(0, -1);
  for (const source of sources) {
    const cls = classifyPath(source.value, source.unresolved);
    if (cls === 'root' || cls === 'system' || cls === 'home')
      emit(inv.session, 'shell.mv.system', `mv ${source.value}`);
    else if (cls === 'history') emit(inv.session, 'shell.evasion.history', `mv ${source.value}`);
    else if (cls === 'log') emit(inv.session, 'shell.evasion.logs', `mv ${source.value}`);
  }
  if (destination === '/dev/null') {
    for (const source of sources) deleteTarget(inv, source, true);
  } else if (destination !== undefined) {
    checkWriteTarget(inv.session, destination, false, `${inv.name} → ${destination}`);
  }
};

const cp: Handler = (inv) => {
  const operands = operandWords(inv, ['-t', '--target-directory', '-S', '--suffix']);
  const destination =
    optionValue(inv.argv, '-t', '--target-directory') ?? operands[operands.length - 1]?.value;
  if (destination !== undefined && operands.length >= 1) {
    checkWriteTarget(inv.session, destination, false, `${inv.name} → ${destination}`);
  }
};

const ln: Handler = (inv) => {
  const operands = operandWords(inv, ['-t', '--target-directory', '-S', '--suffix']);
  const destination = operands[operands.length - 1]?.value;
  if (destination !== undefined && operands.length >= 2)
    checkWriteTarget(inv.session, destination, false, `ln → ${destination}`);
  else if (destination !== undefined) emit(inv.session, 'shell.write.file', `ln ${destination}`);
};

const tee: Handler = (inv) => {
  const append = hasFlag(inv.argv, 'a', ['--append']);
  for (const target of operandWords(inv)) {
    checkWriteTarget(
      inv.session,
      target.value,
      target.unresolved,
      `tee ${target.value}`,
      append ? 'append' : 'write',
    );
  }
  return inv.stdin;
};

const create: Handler = (inv) => {
  for (const target of operandWords(inv, ['-m', '--mode', '-r', '--reference', '-d', '-t'])) {
    const cls = classifyPath(target.value, target.unresolved);
    if (cls === 'project' || cls === 'regenerable' || cls === 'cwd' || cls === 'tmp' || cls === 'dynamic') {
      emit(inv.session, 'shell.fs.create', `${inv.name} ${target.value}`);
    } else checkWriteTarget(inv.session, target.value, target.unresolved, `${inv.name} ${target.value}`);
  }
};

const sed: Handler = (inv) => {
  if (
    !inv.argv.some(
      (a) => a === '-i' || a.startsWith('-i') || a.startsWith('--in-place') || /^-[a-zA-Z]*i/.test(a),
    )
  )
    return;
  const hasScriptOption = inv.argv.some((a) => a === '-e' || a === '-f' || a.startsWith('--expression'));
  const operands = operandWords(inv, ['-e', '-f', '--expression', '--file', '-l']);
  const files = hasScriptOption ? operands : operands.slice(1);
  for (const file of files)
    checkWriteTarget(inv.session, file.value, file.unresolved, `${inv.name} -i ${file.value}`);
};

const tar: Handler = (inv) => {
  const first = inv.argv[0] ?? '';
  if (
    inv.argv.some(
      (a) =>
        a.startsWith('--to-command') ||
        a.startsWith('--checkpoint-action') ||
        a.startsWith('--use-compress-program') ||
        a === '-I',
    )
  ) {
    emit(inv.session, 'shell.exec-option', `tar ${inv.argv.join(' ')}`);
    for (const text of tarCommands(inv.argv)) reparseHook(inv.session, inv.scope, text, 'tar');
  }
  const extract = /^-?[a-zA-Z]*x/.test(first) || inv.argv.includes('--extract') || inv.argv.includes('-x');
  if (extract) {
    const dir = optionValue(inv.argv, '-C', '--directory') ?? '.';
    checkWriteTarget(inv.session, dir === '.' ? 'extracted-files' : dir, false, `tar extracts into ${dir}`);
  }
  const create = /^-?[a-zA-Z]*c/.test(first) || inv.argv.includes('--create') || inv.argv.includes('-c');
  const file =
    optionValue(inv.argv, '-f', '--file') ?? (/^-?[a-zA-Z]*f$/.test(first) ? inv.argv[1] : undefined);
  const update =
    /^-?[a-zA-Z]*[ru]/.test(first) || inv.argv.includes('--append') || inv.argv.includes('--update');
  if ((create || update) && file !== undefined && file !== '-')
    checkWriteTarget(inv.session, file, false, `tar writes the archive ${file}`);
  return create && (file === undefined || file === '-') ? { kind: 'file', path: 'archive' } : undefined;
};

/** The shell commands tar's options run: `--to-command`, `--checkpoint-action=exec=`, `-I`. */
function tarCommands(argv: readonly string[]): string[] {
  const actions = optionValues(argv, '--checkpoint-action')
    .filter((a) => a.startsWith('exec='))
    .map((a) => a.slice(5));
  return [...optionValues(argv, '--to-command', '--use-compress-program', '-I'), ...actions];
}

/** zip tests archives with a command of the caller's choosing (`-TT`, `--unzip-command`). */
const zip: Handler = (inv) => {
  emit(inv.session, 'shell.write.file', `zip ${inv.argv.join(' ')}`);
  for (const text of optionValues(inv.argv, '-TT', '--unzip-command'))
    commandHook(inv.session, inv.scope, text, 'zip -TT', /^unzip$/);
};

const unzip: Handler = (inv) => {
  if (inv.argv.some((a) => a === '-l' || a === '-t' || a === '-Z')) return;
  const dir = optionValue(inv.argv, '-d');
  if (dir) checkWriteTarget(inv.session, dir, false, `${inv.name} -d ${dir}`);
  else emit(inv.session, 'shell.write.file', `${inv.name} ${inv.argv.join(' ')}`);
};

const echo: Handler = (inv) => {
  const args = [...inv.argv];
  let interpret = false;
  while (args[0] && /^-[neE]+$/.test(args[0])) {
    if ((args[0] as string).includes('e')) interpret = true;
    args.shift();
  }
  if (inv.args.some((w) => w.unresolved)) return { kind: 'unknown' };
  const text = `${args.join(' ')}\n`;
  if (interpret && /\\(x|[0-7]|u)/.test(text)) return { kind: 'decoded', text: decodeAnsiC(text) };
  return { kind: 'literal', text };
};

const printf: Handler = (inv) => {
  const args = inv.argv[0] === '-v' ? inv.argv.slice(2) : inv.argv;
  if (inv.args.some((w) => w.unresolved)) return { kind: 'unknown' };
  const [formatText = '', ...rest] = args;
  let i = 0;
  const formatted = formatText.replace(/%[-+ #0-9.]*[sdbqc%]/g, (spec) =>
    spec === '%%' ? '%' : (rest[i++] ?? ''),
  );
  const text = rest.length > i ? `${formatted}${rest.slice(i).join('')}` : formatted;
  if (/\\(x|[0-7]|u)/.test(text)) return { kind: 'decoded', text: decodeAnsiC(text) };
  return { kind: 'literal', text: decodeAnsiC(text) };
};

const cat: Handler = (inv) => {
  const files = operandWords(inv);
  if (files.length === 0 || (files.length === 1 && files[0]?.value === '-')) return inv.stdin;
  if (files.length === 1) return { kind: 'file', path: (files[0] as Word).value };
  return { kind: 'unknown' };
};

const DECODE_BASE64: Handler = (inv) => {
  const decoding = inv.argv.some(
    (a) => a === '-d' || a === '-D' || a === '--decode' || /^-[a-zA-Z]*d/.test(a),
  );
  if (!decoding) return passthrough(inv);
  const source =
    inv.stdin.kind === 'literal' ? inv.stdin.text : inv.args.length === 0 ? undefined : undefined;
  let text: string | undefined;
  if (source !== undefined) {
    try {
      text = Buffer.from(source.replace(/\s+/g, ''), 'base64').toString('utf8');
    } catch {
      text = undefined;
    }
  }
  return text === undefined ? { kind: 'decoded' } : { kind: 'decoded', text };
};

const decoder: Handler = (inv) => {
  const decoding =
    inv.name === 'xxd'
      ? inv.argv.some((a) => a === '-r' || /^-[a-z]*r/.test(a))
      : inv.name === 'openssl'
        ? inv.argv.includes('-d') || (inv.argv.includes('-base64') && inv.argv.includes('-d'))
        : true;
  if (!decoding) return undefined;
  if (inv.name === 'rev' && inv.stdin.kind === 'literal') {
    return {
      kind: 'decoded',
      text: inv.stdin.text
        .split('\n')
        .map((l) => [...l].reverse().join(''))
        .join('\n'),
    };
  }
  return { kind: 'decoded' };
};

const tr: Handler = (inv) => {
  const [from = '', to = ''] = positionals(inv.argv);
  // rot13 and friends: `tr 'A-Za-z' 'N-ZA-Mn-za-m'` turns a payload back into commands.
  if (/^['"]?[A-Za-z]-[A-Za-z]/.test(from) && /^[A-Za-z]-[A-Za-z]/.test(to) && from !== to) {
    if (inv.stdin.kind === 'literal' && from === 'A-Za-z' && to === 'N-ZA-Mn-za-m') {
      const text = inv.stdin.text.replace(/[A-Za-z]/g, (c) => {
        const base = c <= 'Z' ? 65 : 97;
        return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
      });
      return { kind: 'decoded', text };
    }
    return { kind: 'decoded' };
  }
  return inv.stdin.kind === 'literal' ? { kind: 'unknown' } : undefined;
};

/**
 * Filters and compressors pass on what they read: a download stays a download, secrets stay
 * secrets, and local data stays local data (`mysqldump | gzip | nc host` still ships the dump).
 */
function passthrough(inv: Invocation): Stream | undefined {
  return inv.stdin.kind === 'remote' ||
    inv.stdin.kind === 'sensitive' ||
    inv.stdin.kind === 'decoded' ||
    inv.stdin.kind === 'file'
    ? inv.stdin
    : undefined;
}

const FIND_VALUED = [
  '-name',
  '-iname',
  '-path',
  '-ipath',
  '-regex',
  '-iregex',
  '-type',
  '-maxdepth',
  '-mindepth',
  '-mtime',
  '-mmin',
  '-atime',
  '-amin',
  '-ctime',
  '-cmin',
  '-newer',
  '-size',
  '-user',
  '-group',
  '-perm',
  '-printf',
  '-fprint',
  '-fprintf',
  '-fls',
  '-wholename',
  '-iwholename',
  '-links',
  '-inum',
  '-samefile',
  '-uid',
  '-gid',
  '-fstype',
  '-context',
  '-used',
  '-newermt',
  '-lname',
  '-ilname',
];

/** Tests that select some entries of the tree; without one, find matches every entry. */
const NARROWING_TESTS =
  /^-(name|iname|path|ipath|regex|iregex|wholename|iwholename|newer\w*|[acm](time|min)|size|user|group|nouser|nogroup|perm|empty|links|inum|samefile|uid|gid|lname|ilname|used|fstype|context|readable|writable|executable)$/;

/** Programs that, run once per match, delete or destroy the match. */
const PER_MATCH_DELETERS = /^(rm|unlink|rmdir|shred|truncate|srm|wipe)$/;

/** `find -delete` and `find -exec cmd {} ;`: the inner command runs once per match under the search roots. */
const find: Handler = (inv) => {
  const roots: Word[] = [];
  let i = 0;
  while (i < inv.args.length && !/^[-(!]/.test((inv.args[i] as Word).value))
    roots.push(inv.args[i++] as Word);
  if (roots.length === 0) roots.push(literalWord('.'));
  const wide = roots.some((r) =>
    ['root', 'system', 'home', 'other_absolute'].includes(classifyPath(r.value, r.unresolved)),
  );
  const nameIndex = inv.argv.findIndex((a) => a === '-name' || a === '-iname');
  const filtered = inv.argv.some((a) => NARROWING_TESTS.test(a));
  // What `{}` stands for: the matches under the first root (`./*.log`), or every entry (`./*`).
  const found = `${(roots[0]?.value ?? '.').replace(/\/$/, '')}/${nameIndex === -1 ? '*' : (inv.argv[nameIndex + 1] ?? '*')}`;
  for (; i < inv.args.length; i++) {
    const arg = (inv.args[i] as Word).value;
    if ((arg === '-name' || arg === '-iname' || arg === '-path') && wide)
      huntsCredentials(inv, inv.args[i + 1]?.value ?? '');
    if (FIND_VALUED.includes(arg)) {
      if (arg === '-fprint' || arg === '-fprintf' || arg === '-fls') {
        const target = inv.args[i + 1];
        if (target)
          checkWriteTarget(inv.session, target.value, target.unresolved, `find ${arg} ${target.value}`);
      }
      i++;
      continue;
    }
    if (arg === '-delete') {
      for (const root of roots) {
        const cls = classifyPath(root.value, root.unresolved);
        if (cls === 'history' || cls === 'log')
          emit(inv.session, 'shell.evasion.logs', `find ${root.value} -delete`);
        else if (!filtered) deleteTarget({ ...inv, name: 'find -delete' }, root, true);
        else if (!wide && onlyNames(inv.argv) && ['regenerable', 'tmp'].includes(classifyPath(found)))
          // `find . -name '*.pyc' -delete`: one name pattern of build output or caches.
          emit(
            inv.session,
            classifyPath(found) === 'tmp' ? 'shell.rm.temp' : 'shell.rm.regenerable',
            `find ${found} -delete`,
          );
        else
          emit(
            inv.session,
            wide ? 'shell.find.delete-wide' : 'shell.find.delete',
            `find ${root.value} -delete`,
          );
      }
      continue;
    }
    if (/^-(exec|execdir|ok|okdir)$/.test(arg)) {
      // The program runs once per match with `{}` replaced by the matched path. Unfiltered,
      // the matches are every entry of the tree, so the program's target is the tree itself.
      const inner: Word[] = [];
      let j = i + 1;
      for (; j < inv.args.length; j++) {
        const w = inv.args[j] as Word;
        if (w.value === ';' || w.value === '+') break;
        if (w.value.includes('{}')) {
          inner.push({ ...w, value: w.value.replace(/\{\}/g, found), dynamic: true });
        } else inner.push(w);
      }
      i = j;
      const head = basename(inner[0]?.value ?? '');
      if (!filtered && PER_MATCH_DELETERS.test(head)) {
        for (const root of roots) deleteTarget({ ...inv, name: `find ${arg} ${head}` }, root, true);
      } else if (wide && /^(rm|shred|unlink|rmdir|mv|chmod|chown|truncate|dd)$/.test(head)) {
        emit(
          inv.session,
          'shell.find.delete-wide',
          `find ${roots.map((r) => r.value).join(' ')} ${arg} ${head}`,
        );
      }
      if (inner.length > 0)
        inv.session.run(
          inner,
          inner.map((w) => w.text).join(' '),
          { depth: inv.scope.depth, via: [...inv.scope.via, `find ${arg}`] },
          { kind: 'unknown' },
        );
    }
  }
  return { kind: 'file', path: found };
};

const CREDENTIAL_NAMES =
  /id_(rsa|dsa|ecdsa|ed25519)|\.pem|\.key\b|credentials|\.env\b|\.netrc|\.pgpass|shadow|\.kube|\.aws|wallet|\.p12|authorized_keys/;

/**
 * `find / -name id_rsa`, `find ~ -name 'id_*'`: searching the host or a home directory for key
 * and credential file names is credential hunting (the pattern is a glob over file names).
 */
function huntsCredentials(inv: Invocation, pattern: string): void {
  const base = pattern.slice(pattern.lastIndexOf('/') + 1);
  if (CREDENTIAL_NAMES.test(pattern) || credentialNameMatch(base) !== undefined)
    emit(inv.session, 'shell.credential.read', `find hunts for ${pattern}`);
}

/** The search is narrowed by exactly one `-name` and nothing that could widen it (`-o`, `!`). */
function onlyNames(argv: string[]): boolean {
  const names = argv.filter((a) => a === '-name' || a === '-iname').length;
  return names === 1 && !argv.some((a) => /^(-o|-or|!|-not|,|\(|-path|-regex)$/.test(a));
}

export const FILE_HANDLERS: Record<string, Handler> = {
  find,
  rm,
  unlink: (inv) => {
    for (const target of operandWords(inv)) deleteTarget(inv, target, false);
  },
  rmdir: (inv) => {
    for (const target of operandWords(inv)) deleteTarget(inv, target, false);
  },
  shred,
  srm: shred,
  wipe: shred,
  dd,
  mkfs: format,
  'mkfs.ext2': format,
  'mkfs.ext3': format,
  'mkfs.ext4': format,
  'mkfs.xfs': format,
  'mkfs.btrfs': format,
  'mkfs.vfat': format,
  'mkfs.fat': format,
  'mkfs.ntfs': format,
  mke2fs: format,
  mkswap: format,
  wipefs: format,
  fdisk: format,
  sfdisk: format,
  sgdisk: format,
  gdisk: format,
  parted: (inv) => {
    if (inv.argv.some((a) => /^(mklabel|mkpart|rm|resizepart|mkfs)$/.test(a))) format(inv);
  },
  blkdiscard: format,
  diskutil: (inv) => {
    if (
      inv.argv.some((a) =>
        /^(eraseDisk|eraseVolume|zeroDisk|randomDisk|secureErase|partitionDisk|reformat)$/.test(a),
      )
    ) {
      format(inv);
    }
  },
  chmod,
  chown,
  chgrp: chown,
  truncate,
  mv,
  cp,
  install,
  ln,
  tee,
  touch: create,
  mkdir: create,
  sed,
  gsed: sed,
  tar,
  unzip,
  zip,
  patch: (inv) => void emit(inv.session, 'shell.write.file', `patch ${inv.argv.join(' ')}`),
  '7z': (inv) => {
    if (inv.argv[0] === 'x' || inv.argv[0] === 'e') unzip(inv);
  },
  echo,
  printf,
  cat,
  base64: DECODE_BASE64,
  gbase64: DECODE_BASE64,
  xxd: decoder,
  uudecode: decoder,
  openssl: (inv) => {
    if (inv.argv[0] === 'enc' || inv.argv[0] === 'base64') return decoder(inv);
    return undefined;
  },
  rev: decoder,
  gunzip: decoder,
  zcat: decoder,
  gzip: (inv) =>
    inv.argv.some((a) => /^-[a-zA-Z]*d/.test(a) || a === '--decompress')
      ? { kind: 'decoded' }
      : passthrough(inv),
  bzip2: (inv) => (inv.argv.some((a) => /^-[a-zA-Z]*d/.test(a)) ? { kind: 'decoded' } : passthrough(inv)),
  xz: (inv) => (inv.argv.some((a) => /^-[a-zA-Z]*d/.test(a)) ? { kind: 'decoded' } : passthrough(inv)),
  bunzip2: decoder,
  unxz: decoder,
  printenv: (inv) =>
    inv.argv.length === 0 ? { kind: 'sensitive', what: 'environment variables' } : undefined,
  tr,
  head: passthrough,
  tail: passthrough,
  sort: passthrough,
  grep: passthrough,
  less: passthrough,
};

export const literal = literalWord;
