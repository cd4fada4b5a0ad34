/**
 * Path knowledge: how much is at stake when a command touches a path. Paths are normalised
 * lexically (no file system access): `//`, `/./` and `..` are folded, `$HOME` is `~`.
 */

export type PathClass =
  | 'root'
  | 'system'
  | 'home'
  | 'credential'
  | 'history'
  | 'log'
  | 'persistence'
  | 'privilege'
  | 'device'
  | 'other_absolute'
  | 'tmp'
  | 'cwd'
  | 'parent'
  | 'regenerable'
  | 'project'
  | 'dynamic';

const SYSTEM_ROOTS = [
  '/bin',
  '/boot',
  '/dev',
  '/etc',
  '/home',
  '/lib',
  '/lib32',
  '/lib64',
  '/opt',
  '/proc',
  '/root',
  '/sbin',
  '/srv',
  '/sys',
  '/usr',
  '/var',
  '/Applications',
  '/Library',
  '/System',
  '/Users',
  '/private',
  '/mnt',
  '/media',
  '/snap',
];

const CREDENTIAL_PATTERNS: RegExp[] = [
  /(^|\/)\.ssh\/(id_[a-z0-9_]+|[^/]*_key|identity)(\.pub)?$/,
  /(^|\/)\.ssh(\/?|\/\*)$/,
  /(^|\/)id_(rsa|dsa|ecdsa|ed25519)$/,
  /(^|\/)\.aws(\/|$)/,
  /(^|\/)\.azure(\/|$)/,
  /(^|\/)\.config\/gcloud(\/|$)/,
  /(^|\/)\.kube\/config$/,
  /(^|\/)\.docker\/config\.json$/,
  /(^|\/)\.gnupg(\/|$)/,
  /(^|\/)\.password-store(\/|$)/,
  /(^|\/)\.netrc$/,
  /(^|\/)\.pgpass$/,
  /(^|\/)\.my\.cnf$/,
  /(^|\/)\.git-credentials$/,
  /(^|\/)\.npmrc$/,
  /(^|\/)\.pypirc$/,
  /(^|\/)\.vault-token$/,
  /(^|\/)\.config\/gh\/hosts\.yml$/,
  /^\/etc\/(shadow|gshadow|master\.passwd)(-|$)/,
  /^\/etc\/ssl\/private(\/|$)/,
  /^\/etc\/ssh\/ssh_host_[a-z0-9_]+_key$/,
  /^\/proc\/[^/]+\/environ$/,
  /^\/var\/run\/secrets(\/|$)/,
  /^\/run\/secrets(\/|$)/,
  /(^|\/)Library\/Keychains(\/|$)/,
  /(^|\/)\.mozilla\/firefox\/.*(logins\.json|key4\.db)$/,
  /(^|\/)(Login Data|Cookies|cookies\.sqlite|key[34]\.db|logins\.json)$/,
  /(^|\/)[^/]*\.(pem|key|p12|pfx|keystore|jks)$/,
  /(^|\/)\.env(\.(?!example$|sample$|template$|dist$|defaults$)[a-z]+)?$/,
];

const HISTORY_PATTERNS: RegExp[] = [
  /(^|\/)\.(bash|zsh|sh|python|mysql|psql|node_repl|lesshst)_?history$/,
  /(^|\/)\.zsh_history$/,
];

const LOG_PATTERN = /^\/var\/log(\/|$)|^\/var\/audit(\/|$)|(^|\/)wtmp$|(^|\/)btmp$|(^|\/)lastlog$/;

const PERSISTENCE_PATTERNS: RegExp[] = [
  /(^|\/)\.ssh\/authorized_keys2?$/,
  /^\/etc\/cron/,
  /^\/var\/spool\/cron/,
  /^\/etc\/anacrontab$/,
  /(^|\/)systemd\/(system|user)(\/|$)/,
  /^\/etc\/init\.d(\/|$)/,
  /^\/etc\/rc\.local$/,
  /^\/etc\/profile(\.d)?(\/|$)/,
  /^\/etc\/(bash\.bashrc|bashrc|zshrc|environment)$/,
  /^\/etc\/ld\.so\.preload$/,
  /(^|\/)\.(bashrc|bash_profile|bash_login|profile|zshrc|zprofile|zshenv|zlogin|cshrc|tcshrc)$/,
  /(^|\/)\.config\/fish\/config\.fish$/,
  /(^|\/)\.config\/autostart(\/|$)/,
  /(^|\/)Library\/(LaunchAgents|LaunchDaemons)(\/|$)/,
  /(^|\/)\.git\/hooks(\/|$)/,
  // core.hooksPath, core.fsmonitor and core.sshCommand in it run programs.
  /(^|\/)\.git\/config$/,
  /^\/etc\/update-motd\.d(\/|$)/,
  /^\/etc\/xdg\/autostart(\/|$)/,
];

const PRIVILEGE_PATTERNS: RegExp[] = [
  /^\/etc\/sudoers(\.d)?(\/|$)/,
  /^\/etc\/(passwd|group)$/,
  /^\/etc\/ssh\/sshd_config(\.d)?/,
  /^\/etc\/selinux(\/|$)/,
  /^\/etc\/pam\.d(\/|$)/,
  /^\/etc\/security(\/|$)/,
  /^\/etc\/doas\.conf$/,
];

const REGENERABLE = new Set([
  'build',
  'dist',
  'out',
  'target',
  'node_modules',
  '.next',
  '.nuxt',
  '.turbo',
  '.cache',
  '.parcel-cache',
  'coverage',
  '.nyc_output',
  '__pycache__',
  '.pytest_cache',
  '.mypy_cache',
  '.ruff_cache',
  '.tox',
  '.venv',
  'venv',
  '.gradle',
  'tmp',
  '.tmp',
  'temp',
  'bin',
  'obj',
  '.eggs',
  '.svelte-kit',
  'storybook-static',
  '.terraform',
]);

/** Lexical normalisation: `$HOME`→`~`, folds `//`, `/./`, `..`; keeps a trailing `/*` as `/*`. */
export function normalizePath(raw: string): string {
  let path = raw.trim();
  path = path.replace(/^\$\{?HOME\}?(?=\/|$)/, '~');
  if (path === '' || path === '.') return '.';
  const absolute = path.startsWith('/');
  const parts: string[] = [];
  for (const part of path.split('/')) {
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (parts.length > 0 && parts[parts.length - 1] !== '..' && parts[parts.length - 1] !== '~')
        parts.pop();
      else if (!absolute) parts.push('..');
      continue;
    }
    parts.push(part);
  }
  const joined = parts.join('/');
  if (absolute) return `/${joined}`;
  return joined === '' ? '.' : joined;
}

/** Path of the thing a glob or trailing slash names: `/*` → `/`, `~/` → `~`. */
function container(path: string): string {
  const trimmed = path.replace(/\/\*+$/, '').replace(/\/\.\*$/, '');
  return trimmed === '' ? '/' : trimmed;
}

export function classifyPath(raw: string, dynamic = false): PathClass {
  const path = normalizePath(raw);
  const base = container(path);
  if (PRIVILEGE_PATTERNS.some((re) => re.test(path))) return 'privilege';
  if (CREDENTIAL_PATTERNS.some((re) => re.test(path))) return 'credential';
  if (HISTORY_PATTERNS.some((re) => re.test(path))) return 'history';
  if (PERSISTENCE_PATTERNS.some((re) => re.test(path))) return 'persistence';
  if (LOG_PATTERN.test(path)) return 'log';
  if (dynamic) {
    // `$DIR/` or `$DIR/*` with DIR empty is the root directory.
    const stripped = raw.replace(/\$\{?[A-Za-z_][A-Za-z0-9_]*\}?|\$\([^)]*\)/g, '');
    if (stripped === '/' || stripped === '/*') return 'root';
    if (/^[^$]*\$/.test(raw) && raw.startsWith('$')) return 'dynamic';
  }
  if (base === '/' || /^\/\*?$/.test(path)) return 'root';
  if (/^\/dev\/(sd|hd|vd|xvd|nvme|mmcblk|disk|dm-|md|mapper|loop|rdisk)/.test(path)) return 'device';
  if (
    path === '/dev/null' ||
    path.startsWith('/dev/std') ||
    path.startsWith('/dev/fd/') ||
    path === '/dev/tty'
  )
    return 'tmp';
  if (base === '~' || base === '~root' || /^~[a-z_][a-z0-9_-]*$/.test(base)) return 'home';
  if (
    path.startsWith('/tmp/') ||
    path.startsWith('/var/tmp/') ||
    path === '/tmp' ||
    path.startsWith('/dev/shm')
  ) {
    return path === '/tmp' || path === '/tmp/*' ? 'system' : 'tmp';
  }
  if (path.startsWith('/')) {
    const top = `/${path.split('/')[1] ?? ''}`;
    return SYSTEM_ROOTS.includes(top) ? 'system' : 'other_absolute';
  }
  if (path.startsWith('~')) return 'other_absolute';
  if (base === '.' || path === '*' || path === '.*' || path === './*' || path === '.git') return 'cwd';
  if (path.startsWith('..')) return 'parent';
  if (dynamic) return 'dynamic';
  const first = path.split('/')[0] ?? '';
  if (REGENERABLE.has(first) || /\.(pyc|pyo|o|class|log|tmp)$/.test(path) || first.endsWith('.egg-info')) {
    return 'regenerable';
  }
  return 'project';
}

/** Whether the path is one an agent should never read: keys, tokens, password stores. */
export function isCredentialPath(raw: string): boolean {
  return classifyPath(raw) === 'credential';
}
