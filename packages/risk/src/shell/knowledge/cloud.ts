import { hasOption, optionValue, optionValues, positionals } from '../argv.ts';
import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';
import { emitDeploy } from './deploy.ts';
import { reparseHook } from './hooks.ts';
import { checkWriteTarget } from './targets.ts';
import type { Handler } from './types.ts';

const terraform: Handler = (inv) => {
  const s = inv.session;
  const args = positionals(inv.argv, [
    '-chdir',
    '-var',
    '-var-file',
    '-target',
    '-state',
    '-lock-timeout',
    '-parallelism',
    '-out',
  ]);
  const [verb, sub] = args;
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  const autoApprove = inv.argv.some(
    (a) => a === '-auto-approve' || a === '--auto-approve' || a === '-auto-approve=true' || a === '-force',
  );
  const workspace = optionValue(inv.argv, '-chdir');
  if (workspace && inv.session.production.test(workspace))
    emit(s, 'shell.cloud.prod-target', `-chdir=${workspace}`);
  if (verb === 'workspace' && (sub === 'select' || sub === 'new') && args[2] !== undefined)
    s.terraformWorkspace = args[2];
  if (verb === 'apply' || verb === 'destroy' || verb === 'import')
    emitDeploy(inv, detail, [
      s.terraformWorkspace ?? s.vars.get('TF_WORKSPACE'),
      workspace,
      optionValue(inv.argv, '-var-file'),
      sub,
    ]);
  switch (verb) {
    case 'destroy':
      emit(s, 'shell.terraform.destroy', detail);
      return;
    case 'apply':
      if (inv.argv.includes('-destroy') || inv.argv.includes('--destroy'))
        emit(s, 'shell.terraform.destroy', detail);
      else if (autoApprove || sub !== undefined) emit(s, 'shell.terraform.apply-auto-approve', detail);
      else emit(s, 'shell.terraform.apply', detail);
      return;
    case 'state':
      if (sub === 'rm' || sub === 'push' || sub === 'replace-provider')
        emit(s, 'shell.terraform.state-rewrite', detail);
      else if (sub === 'mv') emit(s, 'shell.terraform.state-change', detail);
      else if (sub === 'pull') emit(s, 'shell.terraform.state-read', detail);
      return;
    case 'import':
    case 'taint':
    case 'untaint':
    case 'force-unlock':
    case 'refresh':
      emit(s, 'shell.terraform.state-change', detail);
      return;
    case 'workspace':
      if (sub === 'delete') emit(s, 'shell.terraform.state-rewrite', detail);
      else if (sub === 'new') emit(s, 'shell.terraform.state-change', detail);
      else if (sub === 'select') emit(s, 'shell.terraform.init', detail);
      return;
    case 'init':
    case 'get':
    case 'login':
      emit(s, 'shell.terraform.init', detail);
      return;
    case 'output':
      if (inv.argv.some((a) => a === '-raw' || a === '-json')) emit(s, 'shell.terraform.state-read', detail);
      return;
    default:
      return;
  }
};

const AWS_VALUED = [
  '--profile',
  '--region',
  '--output',
  '--query',
  '--endpoint-url',
  '--cli-input-json',
  '--color',
  '--ca-bundle',
  '--cli-read-timeout',
  '--cli-connect-timeout',
];
const AWS_EVASION =
  /^(cloudtrail:(stop-logging|delete-trail|update-trail|put-event-selectors)|guardduty:(delete-detector|disassociate-.*|update-detector)|config:(stop-configuration-recorder|delete-.*)|logs:delete-.*|securityhub:disable-.*|cloudwatch:delete-alarms|macie2:disable-.*|inspector2:disable)$/;
const AWS_SECRETS =
  /^(secretsmanager:get-secret-value|ssm:get-parameters?(-by-path)?|sts:get-session-token|sts:assume-role.*|sts:get-federation-token|ecr:get-login-password|ecr:get-authorization-token|iam:create-access-key|iam:create-login-profile|iam:update-login-profile|codeartifact:get-authorization-token|kms:decrypt|rds:generate-db-auth-token|eks:get-token|configure:export-credentials)$/;
/** `aws configure get KEY` prints a secret only for the credential keys; `region` or `output` is not one. */
const AWS_SECRET_SETTING = /(secret|token|key_id|password|credential)/i;
/** A source range meaning "anyone on the internet". */
const WHOLE_INTERNET = /(^|[\s=,"':[])(0\.0\.0\.0\/0|::\/0|\*|Internet|Any)(?=$|[\s,"'\]}])/;

const aws: Handler = (inv) => {
  const s = inv.session;
  const [service = '', operation = '', ...rest] = positionals(inv.argv, AWS_VALUED);
  const key = `${service}:${operation}`;
  const detail = `aws ${inv.argv.join(' ')}`;
  const profile = optionValue(inv.argv, '--profile');
  if (profile && inv.session.production.test(profile))
    emit(s, 'shell.cloud.prod-target', `--profile ${profile}`);
  if (service === '' || operation === 'help' || service === 'help') return;
  if (AWS_EVASION.test(key)) return void emit(s, 'shell.cloud.defense-evasion', detail);
  if (AWS_SECRETS.test(key)) {
    if (key.startsWith('ssm:') && !inv.argv.includes('--with-decryption')) return;
    return void emit(s, 'shell.cloud.credentials', detail);
  }
  if (service === 'configure') {
    if (operation === 'list' || operation === 'list-profiles') return;
    if (operation === 'get')
      return void (AWS_SECRET_SETTING.test(rest[0] ?? '') && emit(s, 'shell.cloud.credentials', detail));
    return void emit(s, 'shell.cloud.write', detail);
  }
  if (service === 'sts') return;
  if (service === 's3') return s3(inv, operation, rest, detail);
  if (
    service === 'iam' ||
    service === 'organizations' ||
    service === 'sso-admin' ||
    service === 'identitystore'
  ) {
    if (/^(get|list|generate|simulate)-/.test(operation)) return;
    return void emit(s, 'shell.cloud.iam', detail);
  }
  if (
    /^(put|attach|detach|set|add|remove)-.*(policy|permission|grant|acl)$/.test(operation) ||
    /^(create|revoke)-grant$/.test(operation)
  ) {
    // Resource policies and ACLs decide who may read the data (`put-bucket-acl --acl public-read`).
    return void emit(s, 'shell.cloud.iam', detail);
  }
  if (/^authorize-security-group-ingress$/.test(operation) && WHOLE_INTERNET.test(inv.argv.join(' ')))
    return void emit(s, 'shell.cloud.expose-public', detail);
  if (
    /^(describe|list|get|head|lookup|search|batch-get|scan|query|estimate|validate|wait|filter|select|test|tail)(-|$)/.test(
      operation,
    )
  ) {
    if (service === 'lambda' && operation === 'get-function') return;
    return;
  }
  if (
    /^(delete|terminate|remove|purge|deregister|destroy|drop|reset|disable|revoke|cancel|schedule-key-deletion|deactivate|force|release|disassociate|detach)(-|$)/.test(
      operation,
    )
  ) {
    return void emit(s, 'shell.cloud.delete', detail);
  }
  if (service === 'ec2' && operation === 'modify-instance-attribute' && /userData|user-data/i.test(detail)) {
    return void emit(s, 'shell.remote-code.cloud-exec', detail);
  }
  if (
    (service === 'ssm' && operation === 'send-command') ||
    (service === 'ecs' && operation === 'execute-command')
  ) {
    emit(s, 'shell.remote-code.cloud-exec', detail);
    for (const command of remoteCommands(inv))
      reparseHook(s, inv.scope, command, `aws ${service} ${operation}`);
    return;
  }
  emit(s, 'shell.cloud.write', detail);
};

/**
 * The shell commands an SSM or ECS exec request carries: `--parameters commands=["a","b"]`, its
 * JSON form, or `--command "…"`. They run on the instances and are judged like `ssh host '…'`.
 */
function remoteCommands(inv: Invocation): string[] {
  const direct = optionValue(inv.argv, '--command');
  if (direct !== undefined) return [direct];
  const parameters = optionValue(inv.argv, '--parameters') ?? '';
  const list = parameters.match(/commands"?\s*[=:]\s*\[(.*)\]/s);
  if (list)
    return [...(list[1] as string).matchAll(/"((?:[^"\\]|\\.)*)"/g)].map((m) =>
      (m[1] as string).replace(/\\(.)/g, '$1'),
    );
  const shorthand = parameters.match(/^commands=(.*)$/s);
  return shorthand ? (shorthand[1] as string).split(',') : [];
}

function s3(inv: Invocation, operation: string, rest: string[], detail: string) {
  const s = inv.session;
  const recursive = inv.argv.includes('--recursive');
  switch (operation) {
    case 'ls':
    case 'presign':
      return;
    case 'rm':
      emit(s, recursive ? 'shell.cloud.delete' : 'shell.cloud.delete-object', detail);
      return;
    case 'rb':
      emit(s, 'shell.cloud.delete', detail);
      return;
    case 'sync':
    case 'cp':
    case 'mv': {
      if (inv.argv.includes('--delete')) emit(s, 'shell.cloud.delete', detail);
      const [from = '', to = ''] = rest;
      if (!from.startsWith('s3://') && to.startsWith('s3://')) emit(s, 'shell.cloud.upload', detail);
      else if (from.startsWith('s3://') && !to.startsWith('s3://') && operation !== 'mv') {
        emit(s, 'shell.net.download', detail);
        if (to !== '-') checkWriteTarget(s, to, false, `aws s3 ${operation} into ${to}`);
      } else emit(s, 'shell.cloud.write', detail);
      return;
    }
    default:
      emit(s, 'shell.cloud.write', detail);
  }
}

const GCLOUD_VALUED = [
  '--project',
  '--zone',
  '--region',
  '--format',
  '--filter',
  '--account',
  '--configuration',
  '--impersonate-service-account',
  '--member',
  '--role',
  '--limit',
  '--sort-by',
];

const gcloud: Handler = (inv) => {
  const s = inv.session;
  const words = positionals(inv.argv, GCLOUD_VALUED);
  const detail = `gcloud ${inv.argv.join(' ')}`;
  const project = optionValue(inv.argv, '--project');
  if (project && inv.session.production.test(project))
    emit(s, 'shell.cloud.prod-target', `--project ${project}`);
  const joined = words.join(' ');
  const verb = words[words.length - 1] ?? '';
  if (
    /\b(print-access-token|print-identity-token|print-refresh-token)\b/.test(joined) ||
    /secrets versions access/.test(joined) ||
    /service-accounts keys create/.test(joined)
  ) {
    return void emit(s, 'shell.cloud.credentials', detail);
  }
  if (
    /iam-policy-binding|set-iam-policy|\biam\b.*\b(create|delete|update|undelete|enable|disable)\b/.test(
      joined,
    )
  ) {
    return void emit(s, 'shell.cloud.iam', detail);
  }
  if (/logging sinks delete|logging logs delete|scc .*(delete|disable)/.test(joined))
    return void emit(s, 'shell.cloud.defense-evasion', detail);
  if (
    /firewall-rules (create|update)/.test(joined) &&
    optionValues(inv.argv, '--source-ranges').some((r) => WHOLE_INTERNET.test(r))
  )
    return void emit(s, 'shell.cloud.expose-public', detail);
  if (words.includes('ssh') && hasOption(inv.argv, '--command')) {
    const command = optionValue(inv.argv, '--command') ?? '';
    emit(s, 'shell.ssh.remote', detail);
    s.reparse(
      command,
      { depth: inv.scope.depth + 1, via: [...inv.scope.via, 'gcloud compute ssh'] },
      { kind: 'unknown' },
    );
    return;
  }
  if (
    words.some((w) =>
      /^(list|describe|get-.*|read|show.*|info|print-.*-settings|config|version|help|tail)$/.test(w),
    ) &&
    !words.some((w) => /^(delete|set|unset)$/.test(w))
  ) {
    if (words[0] === 'config' && (words[1] === 'set' || words[1] === 'unset'))
      return void emit(s, 'shell.cloud.write', detail);
    return;
  }
  if (words.some((w) => /^(delete|remove|destroy|purge|reset|rm|abandon-instances)$/.test(w)))
    return void emit(s, 'shell.cloud.delete', detail);
  if (words[0] === 'auth' && (words[1] === 'list' || verb === 'list')) return;
  if (words.length === 0) return;
  emit(s, 'shell.cloud.write', detail);
};

const gsutil: Handler = (inv) => {
  const [verb = '', ...rest] = positionals(inv.argv, ['-o', '-h', '-u']);
  const detail = `gsutil ${inv.argv.join(' ')}`;
  if (/^(ls|cat|stat|du|hash|version|help)$/.test(verb)) return;
  if (/^(rm|rb)$/.test(verb) || (verb === 'rsync' && inv.argv.includes('-d')))
    return void emit(inv.session, 'shell.cloud.delete', detail);
  if (verb === 'iam' || verb === 'acl') return void emit(inv.session, 'shell.cloud.iam', detail);
  if (verb === 'cp' || verb === 'rsync') return void cloudCopy(inv, rest, detail);
  emit(inv.session, 'shell.cloud.write', detail);
};

/** `gsutil cp SRC… DST`: from a bucket to a local path is a download, the other way an upload. */
function cloudCopy(inv: Invocation, operands: string[], detail: string) {
  const destination = operands[operands.length - 1] ?? '';
  const sources = operands.slice(0, -1);
  const remote = (p: string) => /^gs:\/\//.test(p);
  if (sources.length === 0 || remote(destination)) {
    emit(
      inv.session,
      sources.some(remote) || sources.length === 0 ? 'shell.cloud.write' : 'shell.cloud.upload',
      detail,
    );
    return;
  }
  if (sources.some((p) => !remote(p))) emit(inv.session, 'shell.cloud.write', detail);
  emit(inv.session, 'shell.net.download', detail);
  if (destination !== '-') checkWriteTarget(inv.session, destination, false, `gsutil into ${destination}`);
}

const AZ_VALUED = [
  '-g',
  '--resource-group',
  '-n',
  '--name',
  '--subscription',
  '-o',
  '--output',
  '--query',
  '--assignee',
  '--role',
  '--scope',
  '-l',
  '--location',
];

const az: Handler = (inv) => {
  const s = inv.session;
  const words = positionals(inv.argv, AZ_VALUED);
  const detail = `az ${inv.argv.join(' ')}`;
  const joined = words.join(' ');
  const subscription = optionValue(inv.argv, '--subscription', '-g', '--resource-group');
  if (subscription && inv.session.production.test(subscription))
    emit(s, 'shell.cloud.prod-target', subscription);
  if (
    /get-access-token|keyvault secret show|keyvault secret download|storage account keys list|credential reset|list-credentials|show-connection-string/.test(
      joined,
    )
  ) {
    return void emit(s, 'shell.cloud.credentials', detail);
  }
  if (
    /^role (assignment|definition) (create|delete|update)|^ad .*(create|delete|update|add|remove|reset)|set-policy|lock delete/.test(
      joined,
    )
  ) {
    return void emit(s, 'shell.cloud.iam', detail);
  }
  if (/monitor (diagnostic-settings|log-analytics.*) delete|security .* (delete|update)/.test(joined))
    return void emit(s, 'shell.cloud.defense-evasion', detail);
  if (
    words.some((w) => /^(list|show|get-.*|version|account)$/.test(w)) &&
    !words.some((w) => w === 'delete' || w === 'set')
  )
    return;
  if (words.includes('run-command') || words.includes('invoke')) {
    emit(s, 'shell.remote-code.cloud-exec', detail);
    for (const script of azScripts(inv.argv)) reparseHook(s, inv.scope, script, 'az run-command');
    return;
  }
  if (
    /network nsg rule (create|update)/.test(joined) &&
    !/^deny$/i.test(optionValue(inv.argv, '--access') ?? '') &&
    azListValues(inv.argv, '--source-address-prefixes').some((p) => WHOLE_INTERNET.test(p))
  )
    return void emit(s, 'shell.cloud.expose-public', detail);
  if (words.some((w) => /^(delete|purge|remove|deallocate|rm)$/.test(w)))
    return void emit(s, 'shell.cloud.delete', detail);
  if (words.length === 0 || words[0] === 'login' || words[0] === 'logout') return;
  emit(s, 'shell.cloud.write', detail);
};

/** az list options take several values: `--scripts 'a' 'b'` runs both. */
function azListValues(argv: readonly string[], name: string): string[] {
  const start = argv.indexOf(name);
  if (start === -1) return optionValues(argv, name);
  const out: string[] = [];
  for (let i = start + 1; i < argv.length && !(argv[i] as string).startsWith('--'); i++)
    out.push(argv[i] as string);
  return out;
}

/** The shell scripts of `az vm run-command invoke --scripts …` (inline ones; `@file` is not shown). */
function azScripts(argv: readonly string[]): string[] {
  return azListValues(argv, '--scripts').filter((script) => !script.startsWith('@'));
}

const pulumi: Handler = (inv) => {
  const [verb = '', sub] = positionals(inv.argv, ['-s', '--stack', '-C', '--cwd']);
  const detail = `pulumi ${inv.argv.join(' ')}`;
  if (verb === 'destroy' || (verb === 'stack' && sub === 'rm') || (verb === 'state' && sub === 'delete'))
    emit(inv.session, 'shell.terraform.destroy', detail);
  else if (verb === 'up' || verb === 'update') {
    emit(
      inv.session,
      inv.argv.some((a) => a === '--yes' || a === '-y')
        ? 'shell.terraform.apply-auto-approve'
        : 'shell.terraform.apply',
      detail,
    );
  } else if (verb === 'preview' || verb === 'stack' || verb === 'whoami' || verb === 'about') return;
  else emit(inv.session, 'shell.cloud.write', detail);
};

export const CLOUD_HANDLERS: Record<string, Handler> = {
  terraform,
  tofu: terraform,
  terragrunt: terraform,
  aws,
  gcloud,
  gsutil,
  az,
  pulumi,
};
