import type { Invocation, Stream } from '../context.ts';
import { emit } from '../context.ts';
import { classifyPath, credentialGlobMatch } from '../paths.ts';

/** Programs that name a key or secret file without reading it out (using a key is not stealing it). */
const USES_WITHOUT_READING = new Set([
  'ls',
  'stat',
  'chmod',
  'chown',
  'chgrp',
  'ssh',
  'ssh-add',
  'ssh-keygen',
  'test',
  '[',
  '[[',
  'file',
  'touch',
  'mkdir',
  'cd',
  'realpath',
  'dirname',
  'basename',
  'du',
  'wc',
  'rm',
  'shred',
  'unlink',
  'source',
  '.',
  'git',
  'sftp',
  'mv',
  'ln',
  'echo',
  'printf',
  'docker',
  'kubectl',
  'helm',
  'terraform',
  'npm',
  'pip',
  'gpg',
  'gpg2',
  'openssl',
  'cp',
]);

/**
 * Variable names that hold secrets: the obvious words, and connection strings, which carry the
 * password inside the URL (`DATABASE_URL=postgres://app:pw@db/app`).
 */
const SECRET_NAME =
  /(SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|ACCESS_KEY|PRIVATE_KEY|CREDENTIAL|AUTH|(DATABASE|DB|POSTGRES(QL)?|PG|MYSQL|MONGO(DB)?|REDIS|AMQP|RABBITMQ|BROKER|SENTRY)_?(URL|URI|DSN)$|_DSN$)/i;

/**
 * Variables that cloud CLIs, registries and CI read credentials from, as `env` prints them.
 * A filter that keeps one of these lines (`printenv | grep AWS_`, `env | grep -i gh`) collects
 * that credential; one that keeps `AWS_REGION=` only does not.
 */
const SECRET_VARIABLE_LINES = [
  'AWS_SECRET_ACCESS_KEY=',
  'AWS_SESSION_TOKEN=',
  'AZURE_CLIENT_SECRET=',
  'ARM_CLIENT_SECRET=',
  'GOOGLE_APPLICATION_CREDENTIALS=',
  'GITHUB_TOKEN=',
  'GH_TOKEN=',
  'GITLAB_TOKEN=',
  'NPM_TOKEN=',
  'TWINE_PASSWORD=',
  'DOCKER_PASSWORD=',
  'HEROKU_API_KEY=',
  'VAULT_TOKEN=',
  'OPENAI_API_KEY=',
  'ANTHROPIC_API_KEY=',
  'SLACK_TOKEN=',
  'STRIPE_SECRET_KEY=',
  'DATABASE_URL=',
];

/** Whether a grep pattern keeps the line of a well-known secret variable. */
function keepsSecretVariable(pattern: string): boolean {
  let re: RegExp;
  try {
    re = new RegExp(pattern, 'i');
  } catch {
    return SECRET_VARIABLE_LINES.some((line) => line.toLowerCase().includes(pattern.toLowerCase()));
  }
  return pattern !== '' && SECRET_VARIABLE_LINES.some((line) => re.test(line));
}

/** `.env`, `config/.env.production`; not the templates checked in beside them (`.env.example`). */
const ENV_FILE = /(^|\/)\.env(\.(?!example$|sample$|template$|dist$|defaults$)[a-z]+)?$/;

/** Programs that print files in full: a `.env` shown this way is a secret leak, used elsewhere it is not. */
const DISPLAY = new Set([
  'cat',
  'bat',
  'less',
  'more',
  'head',
  'tail',
  'strings',
  'xxd',
  'hexdump',
  'od',
  'base64',
  'nl',
  'tac',
]);

/**
 * Flags commands that read credential files (keys, cloud credentials, password stores, shadow
 * files). Returns a `sensitive` stream so that piping the output to the network is exfiltration.
 */
export function checkCredentialRead(inv: Invocation): Stream | undefined {
  const secret = secretVariable(inv);
  if (secret) {
    emit(inv.session, 'shell.credential.read', `${inv.name} prints ${secret}`);
    return { kind: 'sensitive', what: secret };
  }
  if (inv.name === 'openssl') return opensslRead(inv);
  if (inv.name === 'cp') return copyOut(inv);
  if (USES_WITHOUT_READING.has(inv.name)) return undefined;
  let found: string | undefined;
  for (const word of inv.args) {
    for (const candidate of pathCandidates(word.value)) {
      const cls = credentialGlobMatch(candidate) ? 'credential' : classifyPath(candidate);
      const isEnvFile = candidate.includes('.env') && ENV_FILE.test(candidate);
      if (
        (cls === 'credential' && !isEnvFile) ||
        (isEnvFile && (DISPLAY.has(inv.name) || UPLOADERS.has(inv.name)))
      ) {
        found = candidate;
        break;
      }
      if (cls === 'history' && DISPLAY.has(inv.name)) found = candidate;
    }
    if (found) break;
  }
  if (inv.stdin.kind === 'file' && classifyPath(inv.stdin.path) === 'credential') found = inv.stdin.path;
  if (!found) return undefined;
  emit(inv.session, 'shell.credential.read', `${inv.name} reads ${found}`);
  return { kind: 'sensitive', what: found };
}

/** `echo $AWS_SECRET_ACCESS_KEY`, `printenv GITHUB_TOKEN`, `env | grep -i token`. */
function secretVariable(inv: Invocation): string | undefined {
  if (inv.name === 'echo' || inv.name === 'printf') {
    for (const word of inv.args) {
      const m = word.text.match(/\$\{?([A-Za-z_][A-Za-z0-9_]*)/);
      if (m && SECRET_NAME.test(m[1] as string)) return `$${m[1]}`;
    }
  }
  if (inv.name === 'printenv' && inv.argv.some((a) => SECRET_NAME.test(a))) return inv.argv.join(' ');
  if (inv.name === 'grep' || inv.name === 'rg' || inv.name === 'egrep' || inv.name === 'ag') {
    const pattern = inv.argv.find((a) => !a.startsWith('-')) ?? '';
    const secretPattern =
      SECRET_NAME.test(pattern) ||
      (inv.stdin.kind === 'sensitive' &&
        inv.stdin.what === 'environment variables' &&
        keepsSecretVariable(pattern)) ||
      /key|pass|secret|token|authorization|cookie|BEGIN .*PRIVATE|AKIA/i.test(pattern);
    if (secretPattern && inv.stdin.kind === 'sensitive') return `secrets from ${inv.stdin.what}`;
    const wide = inv.argv
      .slice(1)
      .some(
        (a) => !a.startsWith('-') && ['root', 'system', 'home', 'other_absolute'].includes(classifyPath(a)),
      );
    if (secretPattern && wide && /PRIVATE KEY|password|passwd|secret|token|AKIA|api_?key/i.test(pattern))
      return `secrets searched with ${pattern}`;
  }
  return undefined;
}

function opensslRead(inv: Invocation): Stream | undefined {
  if (
    !/^(rsa|pkey|ec|dsa|pkcs12|pkcs8|enc|base64|x509|asn1parse|cms|smime|rsautl|pkeyutl)$/.test(
      inv.argv[0] ?? '',
    )
  )
    return undefined;
  const input = inv.argv[inv.argv.indexOf('-in') + 1];
  if (!inv.argv.includes('-in') || !input || classifyPath(input) !== 'credential') return undefined;
  if (inv.argv[0] === 'x509' && /\.(crt|pem|cer)$/.test(input) && !/key/.test(input)) return undefined;
  emit(inv.session, 'shell.credential.read', `openssl reads ${input}`);
  return { kind: 'sensitive', what: input };
}

/** Copying a key or credential file elsewhere is reading it out. */
function copyOut(inv: Invocation): Stream | undefined {
  const operands = inv.argv.filter((a) => !a.startsWith('-'));
  const sources = operands.slice(0, -1);
  const found = sources.find((p) => classifyPath(p) === 'credential' && !/(^|\/)\.env/.test(p));
  if (!found) return undefined;
  emit(inv.session, 'shell.credential.read', `cp copies ${found}`);
  return { kind: 'sensitive', what: found };
}

const UPLOADERS = new Set(['curl', 'wget', 'scp', 'rsync', 'nc', 'ncat', 'netcat', 'socat']);

/** `x=@file`, `@file`, `--opt=file`, `host:file` all name a file. */
function pathCandidates(value: string): string[] {
  const out = [value];
  const at = value.lastIndexOf('@');
  if (at !== -1) out.push(value.slice(at + 1));
  const eq = value.indexOf('=');
  if (eq !== -1) out.push(value.slice(eq + 1));
  if (value.startsWith('if=')) out.push(value.slice(3));
  return out.filter(Boolean);
}
