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
  // Private keys only: a `.pub` file is the public half and safe to show.
  /(^|\/)\.ssh\/(id_[a-z0-9_]+|[^/]*_key|identity)$/,
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
  /(^|\/)\.(bashrc|bash_profile|bash_login|bash_logout|profile|zshrc|zprofile|zshenv|zlogin|zlogout|cshrc|tcshrc|login|logout)$/,
  /(^|\/)\.config\/fish\/config\.fish$/,
  /(^|\/)\.config\/autostart(\/|$)/,
  /(^|\/)Library\/(LaunchAgents|LaunchDaemons)(\/|$)/,
  /(^|\/)\.git\/hooks(\/|$)/,
  // core.hooksPath, core.fsmonitor and core.sshCommand in it run programs.
  /(^|\/)\.git\/config$/,
  /^\/etc\/update-motd\.d(\/|$)/,
  // Hook directories whose entries root runs on its own: apt (Pre-/Post-Invoke), udev (RUN+=),
  // NetworkManager dispatcher scripts.
  /^\/etc\/apt\/apt\.conf\.d(\/|$)/,
  /^\/(etc|lib|usr\/lib)\/udev\/rules\.d(\/|$)/,
  /^\/etc\/NetworkManager\/dispatcher\.d(\/|$)/,
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

/**
 * A top-level system directory or everything in it (`/usr`, `/etc/`, `/var/*`, `/home`), or an
 * essential second-level one (`/usr/lib`): deleting it recursively destroys the host, not one of
 * its parts. `/tmp` is scratch.
 */
export function isTopLevelSystemDirectory(raw: string): boolean {
  const path = container(normalizePath(raw));
  return (SYSTEM_ROOTS.includes(path) && path !== '/tmp') || ESSENTIAL_DIRECTORIES.has(path);
}

/** Second-level directories without which the host does not boot or run (`/usr/lib`, `/var/lib`). */
const ESSENTIAL_DIRECTORIES = new Set([
  '/usr/bin',
  '/usr/sbin',
  '/usr/lib',
  '/usr/lib32',
  '/usr/lib64',
  '/usr/libexec',
  '/usr/share',
  '/var/lib',
  '/etc/systemd',
  '/lib/modules',
]);

/**
 * Files whose content is a database or a service's state: `*.db`, `*.sqlite`, anything under
 * `/var/lib`. Truncating or overwriting one (`truncate -s 0`, `cp /dev/null`, `: >`) destroys
 * the data as surely as `rm` does, with no file disappearing.
 */
export function isDataFile(raw: string): boolean {
  const path = normalizePath(raw);
  return (
    /^\/var\/lib\/./.test(path) ||
    /\.(db|sqlite|sqlite3|db3|s3db|sl3|mdb|accdb|ibd|frm|myd|myi|rdb|aof|wal|mdf|ldf|ndf|dbf|kdbx|realm|leveldb|ldb)$/i.test(
      path,
    ) ||
    /(^|\/)(ibdata\d*|ib_logfile\d*|pg_wal|PG_VERSION|dump\.rdb|appendonly\.aof)$/.test(path)
  );
}

/** Files and directories that configure the host's network (DNS, hosts, interfaces, firewall rules). */
const NETWORK_CONFIG_PATHS =
  /^\/etc\/(resolv\.conf|hosts|hosts\.(allow|deny)|network(s)?|netplan|NetworkManager\/(system-connections|conf\.d|NetworkManager\.conf)|sysconfig\/network(-scripts)?|systemd\/(network|resolved\.conf)|iptables|nftables\.conf|nftables\.d|ufw|firewalld|dhcp|dhclient\.conf|wpa_supplicant|iproute2|ppp|wireguard|openvpn|dnsmasq\.(conf|d)|nsswitch\.conf|sysctl\.d\/[^/]*net)(\/|$|\.)|^\/proc\/sys\/net(\/|$)|^\/run\/systemd\/resolve(\/|$)/;

export function isNetworkConfigPath(raw: string): boolean {
  return NETWORK_CONFIG_PATHS.test(normalizePath(raw));
}

/** Lexical normalisation: `$HOME`→`~`, folds `//`, `/./`, `..`; keeps a trailing `/*` as `/*`. */
export function normalizePath(raw: string): string {
  let path = raw.trim();
  if (path.startsWith('$')) path = path.replace(/^\$\{?HOME\}?(?=\/|$)/, '~');
  if (path === '' || path === '.') return '.';
  // No empty, `.` or `..` segment to fold: the path is already normal (the common case).
  if (!path.startsWith('.') && !path.includes('/.') && !path.includes('//') && !path.endsWith('/'))
    return path;
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

/**
 * Classification is pure and the same few paths recur across the commands of a request and
 * across requests (`.`, `/tmp/x`, `~/.ssh/id_rsa`), while it runs some sixty regexes: memoise it,
 * bounded so that adversarial input cannot grow the cache without limit.
 */
const CLASS_CACHE_LIMIT = 4096;
/** One cache per value of `dynamic`, keyed by the raw path itself (no key string to build per call). */
const CLASS_CACHES = { literal: new Map<string, PathClass>(), dynamic: new Map<string, PathClass>() };

export function classifyPath(raw: string, dynamic = false): PathClass {
  const cache = dynamic ? CLASS_CACHES.dynamic : CLASS_CACHES.literal;
  const cached = cache.get(raw);
  if (cached !== undefined) return cached;
  const cls = classifyUncached(raw, dynamic);
  if (cache.size >= CLASS_CACHE_LIMIT) cache.clear();
  cache.set(raw, cls);
  return cls;
}

function classifyUncached(raw: string, dynamic: boolean): PathClass {
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

/**
 * Representative credential files, for deciding what a glob can expand to. A glob in a path
 * (`~/.ssh/id_*`, `~/.aws/cred*`, any user's home) is expanded by the shell before the program
 * runs, so it reads a credential when one of these matches it.
 */
const CREDENTIAL_EXAMPLES = [
  ...['id_rsa', 'id_dsa', 'id_ecdsa', 'id_ed25519', 'identity'].flatMap((k) => [
    `~/.ssh/${k}`,
    `/root/.ssh/${k}`,
    `/home/user/.ssh/${k}`,
    `/Users/user/.ssh/${k}`,
  ]),
  '~/.aws/credentials',
  '/root/.aws/credentials',
  '/home/user/.aws/credentials',
  '~/.kube/config',
  '~/.docker/config.json',
  '~/.netrc',
  '~/.pgpass',
  '~/.my.cnf',
  '~/.git-credentials',
  '~/.npmrc',
  '~/.pypirc',
  '~/.vault-token',
  '~/.config/gh/hosts.yml',
  '~/.config/gcloud/application_default_credentials.json',
  '~/.config/gcloud/credentials.db',
  '~/.azure/accessTokens.json',
  '/etc/shadow',
  '/etc/gshadow',
  '/etc/ssh/ssh_host_rsa_key',
  '/etc/ssh/ssh_host_ed25519_key',
  '/proc/1/environ',
  '/run/secrets/db_password',
  '/var/run/secrets/kubernetes.io/serviceaccount/token',
];

/**
 * A glob pattern as a regular expression over paths, as bash expands it: `*` and `?` never
 * cross `/` and do not match the leading `.` of a hidden name.
 */
export function globRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i] as string;
    const segmentStart = i === 0 || glob[i - 1] === '/';
    if (c === '*') re += `${segmentStart ? '(?!\\.)' : ''}[^/]*`;
    else if (c === '?') re += `${segmentStart ? '(?!\\.)' : ''}[^/]`;
    else if (c === '[') {
      const end = glob.indexOf(']', i + 2);
      if (end === -1) re += '\\[';
      else {
        re += `[${glob
          .slice(i + 1, end)
          .replace(/^!/, '^')
          .replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else re += c.replace(/[.+^${}()|\\/]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** The credential file a glob path can expand to, if any (`cat ~/.ssh/id_*`). */
export function credentialGlobMatch(raw: string): string | undefined {
  if (!/[*?[]/.test(raw)) return undefined;
  const re = globRegExp(normalizePath(raw));
  return CREDENTIAL_EXAMPLES.find((example) => re.test(example));
}

/** File names that are credentials wherever they are found (`config` or `token` alone are not). */
const CREDENTIAL_NAMES = [
  'id_rsa',
  'id_dsa',
  'id_ecdsa',
  'id_ed25519',
  'credentials',
  '.netrc',
  '.pgpass',
  '.my.cnf',
  '.git-credentials',
  '.npmrc',
  '.pypirc',
  '.vault-token',
  'shadow',
  'gshadow',
  'application_default_credentials.json',
  'accessTokens.json',
  'ssh_host_rsa_key',
  'ssh_host_ecdsa_key',
  'ssh_host_ed25519_key',
];

/**
 * The credential file name a `find -name` pattern can match (`id_*`, `cred*`). The pattern
 * must start with at least two literal characters: `*.db` or `*.json` name no credential in
 * particular and match far more than keys.
 */
export function credentialNameMatch(pattern: string): string | undefined {
  if (!/^[^*?[]{2}/.test(pattern)) return undefined;
  const re = globRegExp(pattern);
  return CREDENTIAL_NAMES.find((name) => re.test(name));
}

/** Whether the path is one an agent should never read: keys, tokens, password stores. */
export function isCredentialPath(raw: string): boolean {
  return classifyPath(raw) === 'credential';
}
