import { own } from '../../own.ts';
import type { Invocation, Scope, Word } from '../context.ts';
import { emit, literalWord, wasDownloaded } from '../context.ts';
import { classifyPath } from '../paths.ts';
import { deleteTarget } from './files.ts';
import { PACKAGE_HANDLERS } from './packages.ts';
import { judgeScriptSource, nested } from './stdin.ts';
import { checkWriteTarget } from './targets.ts';
import type { Handler } from './types.ts';

const SHELL_VALUED = ['-o', '+o', '-O', '+O', '--rcfile', '--init-file'];

/** `bash -c '…'`, `sh script`, `bash` reading stdin, `bash -i`. */
const shell: Handler = (inv) => {
  let commandIndex = -1;
  let operandIndex = -1;
  let interactive = false;
  let readStdin = false;
  for (let i = 0; i < inv.argv.length; i++) {
    const arg = inv.argv[i] as string;
    if (arg === '--') {
      operandIndex = i + 1 < inv.argv.length ? i + 1 : -1;
      break;
    }
    if ((arg.startsWith('-') || arg.startsWith('+')) && arg.length > 1 && !arg.startsWith('--')) {
      if (SHELL_VALUED.includes(arg)) {
        i++;
        continue;
      }
      if (arg.includes('c') && arg.startsWith('-')) commandIndex = i + 1;
      if (arg.includes('i') && arg.startsWith('-')) interactive = true;
      if (arg.includes('s') && arg.startsWith('-')) readStdin = true;
      continue;
    }
    if (arg.startsWith('--')) continue;
    if (commandIndex !== -1 && i < commandIndex) continue;
    operandIndex = i;
    break;
  }
  if (commandIndex !== -1) {
    const script = inv.args[commandIndex];
    if (!script) return void emit(inv.session, 'shell.parse-error', `${inv.name} -c without a command`);
    return void runScriptWord(inv, script, `${inv.name} -c`);
  }
  if (operandIndex !== -1 && !readStdin) {
    const script = inv.args[operandIndex] as Word;
    return void runScriptFile(inv, script, inv.name);
  }
  judgeScriptSource(
    inv,
    inv.stdin,
    inv.name,
    (text) => inv.session.reparse(text, nested(inv, `${inv.name} stdin`), { kind: 'unknown' }),
    () =>
      emit(
        inv.session,
        runsAsOtherUser(inv.scope)
          ? 'shell.privilege.root-shell'
          : interactive
            ? 'shell.interactive-shell'
            : 'shell.stdin-script-unknown',
        `${inv.name} ${inv.argv.join(' ')}`.trim(),
      ),
  );
};

/** Wrappers that run the rest as root or another user. */
const AS_OTHER_USER = /^(sudo|doas|pkexec|runuser|su -c)$/;
/** Wrappers after which the command runs on another machine or in a container. */
const ELSEWHERE = /^(ssh |docker |podman |docker-compose |kubectl |oc |gcloud compute ssh)/;

/**
 * Whether a shell started here runs as another user: `sudo env /bin/sh`, `sudo find . -exec
 * /bin/sh \;`, `sudo awk 'BEGIN{system("/bin/sh")}'` are all `sudo bash` by another route.
 */
export function runsAsOtherUser(scope: Scope): boolean {
  const privileged = scope.via.findLastIndex((label) => AS_OTHER_USER.test(label));
  return privileged !== -1 && !scope.via.slice(privileged + 1).some((label) => ELSEWHERE.test(label));
}

/** Runs shell text held in one word (`bash -c WORD`, `eval WORD…`). */
function runScriptWord(inv: Invocation, word: Word, label: string) {
  for (const stream of word.streams) {
    if (stream.kind === 'remote')
      emit(inv.session, 'shell.download-exec', `${label} runs what ${stream.from} downloads`);
    else if (stream.kind === 'decoded')
      emit(inv.session, 'shell.decode-exec', `${label} runs a decoded payload`);
  }
  if (word.unresolved) emit(inv.session, 'shell.dynamic-script', `${label} ${word.text}`);
  inv.session.reparse(word.value, nested(inv, label), inv.stdin);
}

/** `bash file`, `source file`, `bash <(curl …)`. */
function runScriptFile(inv: Invocation, word: Word, label: string) {
  const remote = word.streams.find((s) => s.kind === 'remote' || s.kind === 'decoded');
  if (remote) {
    judgeScriptSource(
      inv,
      remote,
      label,
      () => undefined,
      () => undefined,
    );
    return;
  }
  const literal = word.streams.find((s) => s.kind === 'literal');
  if (literal?.kind === 'literal' && word.value.startsWith('<(')) {
    inv.session.reparse(literal.text, nested(inv, label), { kind: 'unknown' });
    return;
  }
  if (word.unresolved) emit(inv.session, 'shell.dynamic-script', `${label} ${word.text}`);
  if (/deploy|release|publish|prod|rollout|migrate|destroy|teardown/i.test(word.value))
    emit(inv.session, 'shell.build.deploy-target', `${label} ${word.value}`);
  judgeScriptSource(
    inv,
    { kind: 'file', path: word.value },
    label,
    () => undefined,
    () => undefined,
    false,
  );
}

const source: Handler = (inv) => {
  const script = inv.args[0];
  if (!script) return;
  if (
    /(^|\/)(\.env|\.venv\/bin\/activate|venv\/bin\/activate|\.nvm\/nvm\.sh|\.cargo\/env|\.bashrc|\.zshrc|\.profile)$/.test(
      script.value,
    )
  )
    return;
  runScriptFile(inv, script, inv.name);
};

const evalHandler: Handler = (inv) => {
  emit(inv.session, 'shell.eval', `eval ${inv.argv.join(' ')}`);
  const joined: Word = {
    ...literalWord(inv.args.map((w) => w.value).join(' ')),
    unresolved: inv.args.some((w) => w.unresolved),
    streams: inv.args.flatMap((w) => w.streams),
    text: inv.args.map((w) => w.text).join(' '),
  };
  runScriptWord(inv, joined, 'eval');
};

const alias: Handler = (inv) => {
  for (const arg of inv.argv) {
    const eq = arg.indexOf('=');
    if (eq > 0)
      inv.session.reparse(arg.slice(eq + 1), nested(inv, `alias ${arg.slice(0, eq)}`), { kind: 'unknown' });
  }
};

const trap: Handler = (inv) => {
  const [action] = inv.argv;
  if (action && action !== '-' && action !== '-p' && action !== '-l')
    inv.session.reparse(action, nested(inv, 'trap'), { kind: 'unknown' });
};

const INLINE_OPTIONS: Record<string, string[]> = {
  python: ['-c'],
  node: ['-e', '--eval', '-p', '--print'],
  perl: ['-e', '-E'],
  ruby: ['-e'],
  php: ['-r'],
  lua: ['-e'],
  osascript: ['-e'],
  Rscript: ['-e'],
  pwsh: ['-c', '-Command', '-command'],
};

function family(name: string): string {
  if (/^python[0-9.]*$|^pypy[0-9]*$/.test(name)) return 'python';
  if (name === 'nodejs' || name === 'node') return 'node';
  if (name === 'powershell') return 'pwsh';
  return name;
}

/** `python -c`, `node -e`, `perl -e`, … and scripts run by them. */
const interpreter: Handler = (inv) => {
  const lang = family(inv.name);
  const inline = own(INLINE_OPTIONS, lang) ?? [];
  const codes: string[] = [];
  let operand: Word | undefined;
  for (let i = 0; i < inv.argv.length; i++) {
    const arg = inv.argv[i] as string;
    const opt = inline.find(
      (o) =>
        arg === o ||
        (o.length === 2 && arg.startsWith(o) && !arg.startsWith('--') && lang !== 'python' && arg.length > 2),
    );
    if (opt) {
      if (arg === opt && inv.args[i + 1]?.unresolved)
        emit(inv.session, 'shell.dynamic-script', `${inv.name} ${opt} ${inv.args[i + 1]?.text}`);
      codes.push(arg === opt ? (inv.argv[++i] ?? '') : arg.slice(opt.length));
      continue;
    }
    if (lang === 'python' && /^-[a-zA-Z]*c$/.test(arg)) {
      if (inv.args[i + 1]?.unresolved)
        emit(inv.session, 'shell.dynamic-script', `${inv.name} -c ${inv.args[i + 1]?.text}`);
      codes.push(inv.argv[++i] ?? '');
      break;
    }
    if (lang === 'python' && arg === '-m') {
      const module = inv.argv[i + 1] ?? '';
      if (module === 'pip')
        PACKAGE_HANDLERS.pip?.({ ...inv, args: inv.args.slice(i + 2), argv: inv.argv.slice(i + 2) });
      else if (module === 'ensurepip')
        emit(inv.session, 'shell.packages.install', `${inv.name} -m ${module}`);
      else if (/^(http\.server|SimpleHTTPServer|smtpd|pty)$/.test(module))
        emit(inv.session, 'shell.net.listen', `${inv.name} -m ${module}`);
      else if (module === 'venv') emit(inv.session, 'shell.fs.create', `${inv.name} -m venv`);
      else if (
        /^(pytest|unittest|doctest|compileall|py_compile|mypy|black|ruff|isort|flake8|pylint|coverage|tox|nox|build)$/.test(
          module,
        )
      )
        emit(inv.session, 'shell.build.run', `${inv.name} -m ${module}`);
      else if (!/^(json\.tool|pydoc|this|site|platform|sysconfig|tabnanny)$/.test(module))
        // The project's own module (or timeit with code): content not shown here.
        emit(inv.session, 'shell.script.run', `${inv.name} -m ${module}`);
      return;
    }
    if (arg.startsWith('-') && arg !== '-') continue;
    operand = inv.args[i];
    break;
  }
  if (codes.length > 0) {
    for (const code of codes) analyzeCode(inv, code, lang);
    return;
  }
  if (inv.argv.length === 1 && /^(--version|-V|-v|--help|-h)$/.test(inv.argv[0] as string)) return;
  if (operand && operand.value !== '-') return void runCodeFile(inv, operand);
  judgeScriptSource(
    inv,
    inv.stdin,
    inv.name,
    (text) => analyzeCode(inv, text, lang),
    () => emit(inv.session, 'shell.stdin-script-unknown', `${inv.name} reads a program from stdin`),
  );
};

function runCodeFile(inv: Invocation, word: Word) {
  const remote = word.streams.find((s) => s.kind === 'remote' || s.kind === 'decoded');
  if (remote)
    return judgeScriptSource(
      inv,
      remote,
      inv.name,
      () => undefined,
      () => undefined,
    );
  if (wasDownloaded(inv.session, word.value)) {
    return void emit(
      inv.session,
      'shell.download-exec',
      `${inv.name} runs ${word.value}, downloaded earlier`,
    );
  }
  if (/deploy|release|publish|prod|rollout|destroy|teardown/i.test(word.value))
    emit(inv.session, 'shell.build.deploy-target', `${inv.name} ${word.value}`);
  emit(inv.session, 'shell.script.run', `${inv.name} ${word.value}`);
}

const awk: Handler = (inv) => {
  if (inv.argv.includes('-f')) return void emit(inv.session, 'shell.script.run', `awk -f`);
  const program = inv.argv.find(
    (a, i) => !a.startsWith('-') && !['-F', '-v'].includes(inv.argv[i - 1] ?? ''),
  );
  // gawk opens network connections through special file names, like bash's /dev/tcp.
  if (program && /["']\/inet[46]?\/(tcp|udp)\//.test(program))
    emit(inv.session, 'shell.net.dev-tcp', `${inv.name} opens a network connection (/inet/…)`);
  if (program && /\bsystem\s*\(|\|\s*getline|print[^;}]*\|\s*"/.test(program))
    analyzeCode(inv, program, 'awk');
  if (program && /print[^;}]*>\s*"/.test(program)) emit(inv.session, 'shell.write.file', `awk writes a file`);
};

/** PowerShell names are case-insensitive: `iwr … | iex`, `IEX (New-Object Net.WebClient).DownloadString(…)`. */
const POWERSHELL_DOWNLOAD =
  /\b(iwr|irm|invoke-webrequest|invoke-restmethod|start-bitstransfer)\b|downloadstring|downloadfile|net\.webclient/i;
const POWERSHELL_EXECUTE = /\b(iex|invoke-expression|invoke-command)\b/i;

const SHELL_OUT =
  /\b(os\.system|os\.popen|subprocess\.\w+|popen|system|exec[a-z]*|spawn[a-zA-Z]*|execSync|execFileSync|shell_exec|passthru|proc_open|check_output|check_call|getoutput|getstatusoutput|pty\.spawn|Runtime\.getRuntime\(\)\.exec|IO\.popen|Open3\.\w+|do shell script)\s*(\(|\s)/g;
const STRING = /("(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'|`(?:[^`\\]|\\.)*`)/g;
const DELETE_CALL =
  /\b(shutil\.rmtree|rmtree|remove_tree|rm_rf|rm_r|FileUtils\.rm\w*|os\.remove|os\.unlink|os\.rmdir|os\.removedirs|unlinkSync|unlink|rmSync|rmdirSync|fs\.rm|fs\.promises\.rm|rimraf|File\.delete|Dir\.delete|rmdir|del)\s*\(/g;
const WRITE_CALL =
  /\b(open\s*\(([^,)]+),\s*['"][wax+]|writeFileSync\s*\(|appendFileSync\s*\(|writeFile\s*\(|File\.write\s*\(|file_put_contents\s*\(|write_text\s*\(|write_bytes\s*\()/g;

/** Process creation in the interpreters the engine reads inline code of. */
const PROCESS_CREATION =
  /\bfork\s*\(|\bos\.fork\b|\bfork\b(?!\s*[=:])|Process\.fork|child_process|\.spawn\s*\(|\bspawn\s*\(|\bexec[lv]p?e?\s*\(|subprocess\.Popen|multiprocessing\.Process|\bsystem\s*\(|pcntl_fork|threading\.Thread|new Worker\(|cluster\.fork/;
/** Loops that never end on their own. */
const ENDLESS_LOOP =
  /\bwhile\s*\(\s*(True|1|true|!0|!false)\s*\)|\bwhile\s+(True|1)\s*:|\bwhile\s+(1|true|True)\b|\bfor\s*\(\s*;\s*;\s*\)|\bloop\s*(do|\{)|\bwhile\s*\(\s*\)|\bwhile\s+1\s*;|\buntil\s+(false|0)\b|\bitertools\.count\(|\biter\s*\(\s*int\s*,\s*1\s*\)|\bsetInterval\s*\(|\bfork\s+while\b|\bwhile\s+fork\b|\b1\s+while\b|\bredo\b|\bgoto\b/;

/**
 * An interpreter fork loop (`while True: os.fork()`, `fork while 1`, `loop { fork }`,
 * `for(;;) spawn(…)`): a fork bomb in another language. Both parts must appear: an endless
 * loop and process creation.
 */
function forksInLoop(code: string): boolean {
  return ENDLESS_LOOP.test(code) && PROCESS_CREATION.test(code);
}

function unquote(literal: string): string {
  return literal.slice(1, -1).replace(/\\(.)/g, '$1');
}

/**
 * Reads inline interpreter code for what reaches the system: shell-outs (whose string arguments
 * are parsed as shell), deletions, writes, sockets, downloads and decoders feeding exec/eval.
 */
export function analyzeCode(inv: Invocation, code: string, lang: string): void {
  const s = inv.session;
  const label = `${inv.name} ${lang === 'awk' ? 'program' : 'inline code'}`;
  const socket =
    /\bsocket\b|fsockopen|TCPSocket|IO::Socket|net\.(Socket|connect|createConnection)|\/dev\/tcp\//.test(
      code,
    );
  const spawns =
    /subprocess|pty\.spawn|os\.dup2|child_process|\bexec\b|\bsystem\b|\/bin\/(ba|z)?sh|spawn|popen|proc_open|cmd\.exe/.test(
      code,
    );
  if (socket && spawns) emit(s, 'shell.net.reverse-shell', label);
  if (
    /setuid\s*\(\s*0|setgid\s*\(\s*0|setresuid\s*\(\s*0|POSIX::setuid\(0|Process::Sys\.setuid\(0|posix_setuid\(0/.test(
      code,
    )
  )
    emit(s, 'shell.privilege.escalate', `${label} switches to uid 0`);
  const downloads =
    /urlopen|urllib|requests\.get|http\.get|https\.get|require\(\s*['"](node:)?https?['"]\s*\)|\bfetch\(|LWP|open-uri|Net::HTTP|file_get_contents\(\s*['"]https?:|curl_exec|wget/.test(
      code,
    ) || POWERSHELL_DOWNLOAD.test(code);
  const executes =
    /\bexec\s*\(|\beval\b|new Function\(|Function\(|\bsystem\b|subprocess|compile\s*\(|vm\.run|instance_eval|\bload\s*\(/.test(
      code,
    ) || POWERSHELL_EXECUTE.test(code);
  if (downloads && executes) emit(s, 'shell.download-exec', `${label} downloads and executes code`);
  const decodes =
    /b64decode|base64|pack\(|atob\(|Buffer\.from\([^)]*['"](base64|hex)['"]|decode\(\s*['"](base64|hex|rot13)|unpack\(|fromCharCode|bytes\.fromhex|codecs\.decode|zlib\.decompress|marshal\.loads|pickle\.loads/.test(
      code,
    );
  if (decodes && executes) emit(s, 'shell.decode-exec', `${label} decodes and executes a payload`);
  if (forksInLoop(code)) emit(s, 'shell.resource.fork-bomb', `${label} starts processes in an endless loop`);
  else if (
    /\b(exec|eval|compile)\s*\(|__import__|getattr\s*\(|new Function|\bFunction\(|vm\.run|importlib|globals\(\)\[|\bload\s*\(/.test(
      code,
    ) &&
    lang !== 'awk'
  ) {
    emit(s, 'shell.interpreter.dynamic-code', label);
  }

  let shellOuts = 0;
  for (const match of code.matchAll(SHELL_OUT)) {
    shellOuts++;
    const rest = code.slice(
      (match.index ?? 0) + match[0].length,
      (match.index ?? 0) + match[0].length + 2000,
    );
    const args = argumentStrings(rest);
    if (args.length === 0) {
      emit(s, 'shell.dynamic-script', `${label}: ${match[1]} with a computed command`);
      continue;
    }
    const list =
      /^\s*\[/.test(rest) ||
      /^\s*['"][^'"]*['"]\s*,\s*\[/.test(rest) ||
      /^spawn|^execFile/.test(match[1] ?? '');
    const text = list ? args.map(quoteForShell).join(' ') : (args[0] ?? '');
    s.reparse(text, nested(inv, label), { kind: 'unknown' });
  }
  // Backticks and qx{} run shell in perl/ruby/php.
  if (lang === 'perl' || lang === 'ruby' || lang === 'php') {
    for (const m of code.matchAll(/`([^`]*)`|qx\{([^}]*)\}|%x\(([^)]*)\)/g)) {
      shellOuts++;
      s.reparse(m[1] ?? m[2] ?? m[3] ?? '', nested(inv, label), { kind: 'unknown' });
    }
  }
  for (const match of code.matchAll(DELETE_CALL)) {
    const name = match[1] ?? '';
    const rest = code.slice((match.index ?? 0) + match[0].length, (match.index ?? 0) + match[0].length + 500);
    const recursive =
      /rmtree|remove_tree|rm_rf|rm_r|removedirs|rimraf/.test(name) ||
      /recursive\s*:\s*true/.test(rest.split(')')[0] ?? '');
    const [path] = argumentStrings(`(${rest}`.slice(1));
    if (path === undefined)
      emit(s, recursive ? 'shell.rm.dynamic-recursive' : 'shell.rm.dynamic', `${label}: ${name}`);
    else deleteTarget(inv, literalWord(path), recursive);
  }
  for (const match of code.matchAll(WRITE_CALL)) {
    const rest = code.slice((match.index ?? 0) + (match[0].startsWith('open') ? 0 : match[0].length));
    const [path] = match[0].startsWith('open')
      ? argumentStrings(rest.slice(rest.indexOf('(') + 1))
      : argumentStrings(rest);
    if (path === undefined) emit(s, 'shell.write.file', `${label} writes a file`);
    else checkWriteTarget(s, path, false, `${label} writes ${path}`);
  }
  for (const m of code.matchAll(STRING)) {
    const value = unquote(m[0]);
    if (value.length < 200 && /^[~/.]/.test(value) && classifyPath(value) === 'credential') {
      emit(s, 'shell.credential.read', `${label} names ${value}`);
      break;
    }
  }
  if (
    /requests\.(post|put|delete|patch)|method\s*:\s*['"](POST|PUT|DELETE|PATCH)|urlopen\([^)]*data=|smtplib|ftplib|paramiko/.test(
      code,
    )
  )
    emit(s, 'shell.net.send', label);
  if (shellOuts === 0 && code.trim() !== '') emit(s, 'shell.interpreter.inline', label);
}

/** String literals at the start of a call's argument list: `("a", "b")`, `(['a', 'b'])`, `"a"`. */
function argumentStrings(rest: string): string[] {
  const head = rest.trimStart();
  const out: string[] = [];
  let i = 0;
  const text = head.replace(/^[([]\s*/, '').replace(/^\[\s*/, '');
  for (const m of text.matchAll(STRING)) {
    const between = text.slice(i, m.index);
    if (!/^[\s,[(]*$/.test(between)) break;
    out.push(unquote(m[0]));
    i = (m.index ?? 0) + m[0].length;
    if (out.length > 50) break;
  }
  return out;
}

function quoteForShell(arg: string): string {
  return /^[A-Za-z0-9_./=:@%+-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`;
}

const SHELLS = ['sh', 'bash', 'zsh', 'dash', 'ksh', 'mksh', 'ash', 'fish', 'csh', 'tcsh', 'rbash'];
const INTERPRETERS = [
  'python',
  'python2',
  'python3',
  'pypy',
  'pypy3',
  'node',
  'nodejs',
  'perl',
  'ruby',
  'php',
  'lua',
  'osascript',
  'Rscript',
  'pwsh',
  'powershell',
  'tclsh',
  'expect',
];

export function interpreterHandlers(): Record<string, Handler> {
  const out: Record<string, Handler> = {
    source,
    '.': source,
    eval: evalHandler,
    alias,
    trap,
    awk,
    gawk: awk,
    mawk: awk,
    nawk: awk,
  };
  for (const name of SHELLS) out[name] = shell;
  for (const name of INTERPRETERS) out[name] = interpreter;
  for (const minor of ['3.8', '3.9', '3.10', '3.11', '3.12', '3.13', '3.14'])
    out[`python${minor}`] = interpreter;
  return out;
}
