import { hasOption, optionValue, positionals } from '../argv.ts';
import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';
import { emitDeploy } from './deploy.ts';
import type { Handler } from './types.ts';

const KUBE_VALUED = [
  '-n',
  '--namespace',
  '--context',
  '--kubeconfig',
  '-s',
  '--server',
  '--cluster',
  '--user',
  '-o',
  '--output',
  '-l',
  '--selector',
  '-f',
  '--filename',
  '-c',
  '--container',
  '--field-selector',
  '--token',
  '--as',
  '--as-group',
  '--grace-period',
  '--timeout',
  '-p',
  '--patch',
  '--type',
  '--image',
  '--replicas',
  '-k',
  '--kustomize',
  '--for',
  '--sort-by',
  '--template',
  '--tail',
  '--since',
  '--request-timeout',
  '-L',
  '--label-columns',
  '--overrides',
  '--profile',
  '--target',
  '--restart',
  '--env',
  '--port',
];
const KUBE_READ = new Set([
  'get',
  'describe',
  'logs',
  'top',
  'explain',
  'api-resources',
  'api-versions',
  'version',
  'cluster-info',
  'diff',
  'events',
  'wait',
  'completion',
  'plugin',
  'kustomize',
  'auth',
  'options',
  'help',
]);
const KUBE_WIDE_KINDS =
  /^(ns|namespaces?|pv|persistentvolumes?|pvc|persistentvolumeclaims?|crds?|customresourcedefinitions?|nodes?|no|statefulsets?|sts|deployments?|deploy|daemonsets?|ds|services?|svc|clusterroles?|clusterrolebindings?|storageclass(es)?|sc|secrets?|configmaps?|cm|all)(\/.*)?$/;

function prodTarget(inv: Invocation): string | undefined {
  const context = optionValue(inv.argv, '--context', '--cluster', '--kube-context');
  if (context && inv.session.production.test(context)) return `context ${context}`;
  const namespace = optionValue(inv.argv, '-n', '--namespace');
  if (namespace && (inv.session.production.test(namespace) || /^kube-system$/.test(namespace)))
    return `namespace ${namespace}`;
  return undefined;
}

/** Verbs that change what runs in the cluster: a deploy, judged by where it lands. */
const KUBE_DEPLOY_VERBS = new Set([
  'apply',
  'replace',
  'patch',
  'scale',
  'rollout',
  'delete',
  'set',
  'create',
  'edit',
  'autoscale',
  'expose',
  'run',
  'drain',
  'label',
  'annotate',
]);

const kubectl: Handler = (inv) => {
  const s = inv.session;
  const prod = prodTarget(inv);
  if (prod) emit(s, 'shell.kube.prod-target', prod);
  const args = positionals(inv.argv, KUBE_VALUED);
  const [verb, ...rest] = args;
  const all = inv.argv.some((a) => a === '--all' || a === '-A' || a === '--all-namespaces');
  const detail = `${inv.name} ${inv.argv.join(' ')}`;
  if (
    verb &&
    KUBE_DEPLOY_VERBS.has(verb) &&
    !(verb === 'rollout' && /^(status|history)$/.test(rest[0] ?? ''))
  )
    emitDeploy(inv, detail, [
      optionValue(inv.argv, '--context', '--cluster'),
      optionValue(inv.argv, '-n', '--namespace'),
    ]);
  switch (verb) {
    case undefined:
      return;
    case 'get':
      if (/^secrets?(\/|$)/.test(rest[0] ?? '') && hasOption(inv.argv, '-o', '--output'))
        emit(s, 'shell.kube.read-secret', detail);
      return;
    case 'config':
      if (rest[0] === 'view' && inv.argv.includes('--raw')) emit(s, 'shell.kube.read-secret', detail);
      else if (
        rest[0] === 'use-context' ||
        rest[0] === 'set-context' ||
        rest[0] === 'set' ||
        rest[0] === 'set-credentials' ||
        rest[0] === 'delete-context'
      ) {
        emit(s, 'shell.kube.config', detail);
      }
      return;
    case 'delete':
      if (
        /falco|auditd|osquery|sysdig|wazuh|crowdstrike|falcon|datadog|fluent|gatekeeper|kyverno|sentinel/i.test(
          inv.argv.join(' '),
        )
      ) {
        emit(s, 'shell.evasion.security-service', detail);
        return;
      }
      if (
        all ||
        KUBE_WIDE_KINDS.test(rest[0] ?? '') ||
        hasOption(inv.argv, '-l', '--selector') ||
        hasOption(inv.argv, '-f', '--filename', '-k')
      ) {
        emit(s, 'shell.kube.delete-wide', detail);
      } else emit(s, 'shell.kube.delete', detail);
      return;
    case 'drain':
    case 'replace':
      if (verb === 'replace' && !inv.argv.includes('--force')) {
        emit(s, 'shell.kube.write', detail);
        return;
      }
      emit(s, 'shell.kube.drain', detail);
      return;
    case 'scale':
      if (inv.argv.some((a) => a === '--replicas=0') || optionValue(inv.argv, '--replicas') === '0')
        emit(s, 'shell.kube.scale-zero', detail);
      else emit(s, 'shell.kube.write', detail);
      return;
    case 'apply':
      if (inv.argv.includes('--prune') || all) emit(s, 'shell.kube.delete-wide', detail);
      else emit(s, 'shell.kube.write', detail);
      return;
    case 'create':
      if (
        /^(clusterrolebinding|rolebinding)$/.test(rest[0] ?? '') ||
        /cluster-admin/.test(inv.argv.join(' '))
      ) {
        emit(s, 'shell.kube.rbac', detail);
      } else if (rest[0] === 'token') emit(s, 'shell.kube.read-secret', detail);
      else emit(s, 'shell.kube.write', detail);
      return;
    case 'rollout':
      if (rest[0] === 'status' || rest[0] === 'history') return;
      emit(s, 'shell.kube.write', detail);
      return;
    case 'debug':
      if (hostAccess(inv, rest)) emit(s, 'shell.privilege.escalate', `${detail} (host namespaces)`);
      // The command run inside the pod is judged on its own (see the kubectl wrapper).
      if (inv.argv.includes('--')) return;
      emit(s, 'shell.kube.write', detail);
      return;
    case 'exec':
    case 'attach':
      if (inv.argv.includes('--')) return;
      emit(s, 'shell.kube.write', detail);
      return;
    case 'run':
      if (privilegedPod(inv)) emit(s, 'shell.docker.privileged', detail);
      emit(s, 'shell.kube.write', detail);
      return;
    case 'cp':
    case 'port-forward':
    case 'proxy':
      emit(s, 'shell.kube.write', detail);
      return;
    case 'taint':
      // NoExecute evicts the pods already running there; removing a taint (`…-`) does not.
      if (rest.some((t) => /:NoExecute$/.test(t))) emit(s, 'shell.kube.drain', detail);
      else emit(s, 'shell.kube.write', detail);
      return;
    case 'patch':
      if (scalesToZero(optionValue(inv.argv, '-p', '--patch') ?? ''))
        emit(s, 'shell.kube.scale-zero', detail);
      else emit(s, 'shell.kube.write', detail);
      return;
    case 'cordon':
    case 'uncordon':
      emit(s, 'shell.kube.write', detail);
      return;
    default:
      if (KUBE_READ.has(verb)) return;
      emit(s, 'shell.kube.write', detail);
  }
};

/** A patch that sets `replicas` to 0 (JSON or YAML): an outage, like `kubectl scale --replicas=0`. */
function scalesToZero(patch: string): boolean {
  return /(^|[{,\s"'])replicas["']?\s*:\s*["']?0(?![\d.])/.test(patch);
}

/**
 * A pod spec with host privileges: `--privileged`, or overrides that set `privileged`, host
 * namespaces or host paths. Such a pod is root on its node.
 */
function privilegedPod(inv: Invocation): boolean {
  if (inv.argv.some((a) => a === '--privileged' || a === '--privileged=true')) return true;
  const overrides = optionValue(inv.argv, '--overrides') ?? '';
  return /"(privileged|hostPID|hostNetwork|hostIPC)"\s*:\s*true|"hostPath"\s*:/.test(overrides);
}

/** `kubectl debug node/x` runs in the node's namespaces with its root file system at /host. */
function hostAccess(inv: Invocation, rest: string[]): boolean {
  const profile = optionValue(inv.argv, '--profile');
  return rest.some((r) => /^(node|nodes|no)\//.test(r)) || profile === 'sysadmin';
}

const helm: Handler = (inv) => {
  const s = inv.session;
  const context = optionValue(inv.argv, '--kube-context');
  const namespace = optionValue(inv.argv, '-n', '--namespace');
  for (const target of [context, namespace])
    if (target && s.production.test(target)) emit(s, 'shell.kube.prod-target', target);
  const [verb, sub] = positionals(inv.argv, [
    '-n',
    '--namespace',
    '--kube-context',
    '-f',
    '--values',
    '--set',
    '--version',
    '--kubeconfig',
    '-o',
    '--output',
    '--timeout',
    '--set-string',
    '--repo',
  ]);
  const detail = `helm ${inv.argv.join(' ')}`;
  if (verb === undefined) return;
  if (/^(uninstall|delete|del|un|install|upgrade|rollback)$/.test(verb))
    emitDeploy(inv, detail, [context, namespace, sub]);
  if (/^(uninstall|delete|del|un)$/.test(verb)) emit(s, 'shell.helm.uninstall', detail);
  else if (/^(install|upgrade|rollback|plugin|push)$/.test(verb)) emit(s, 'shell.kube.write', detail);
  else if (verb === 'repo' && /^(add|remove|rm|update|up)$/.test(sub ?? ''))
    emit(s, 'shell.packages.install', detail);
  else if (verb === 'registry' && sub === 'login') emit(s, 'shell.kube.config', detail);
};

export const CLUSTER_HANDLERS: Record<string, Handler> = { kubectl, oc: kubectl, k: kubectl, helm };
