import { own } from '../../own.ts';
import { positionals } from '../argv.ts';
import type { Invocation } from '../context.ts';
import { emit } from '../context.ts';
import type { Handler } from './types.ts';

/**
 * Deploys. A deploy whose target is production — by name (namespace, context, workspace, remote,
 * stage, app; names from the policy) or by a `--prod` flag — is `shell.deploy.production`
 * (multi_party). Any other deploy is `shell.deploy` (review), which the policy's production
 * environment profile raises to multi_party when the agent itself is bound to production.
 */
export function emitDeploy(inv: Invocation, detail: string, targets: readonly (string | undefined)[]): void {
  const prod = targets.find((t) => t !== undefined && inv.session.production.test(t));
  if (prod !== undefined) emit(inv.session, 'shell.deploy.production', `${detail} (production: ${prod})`);
  else emit(inv.session, 'shell.deploy', detail);
}

/** Every option value and positional of the argv: where a platform CLI names its target. */
function targetWords(argv: readonly string[]): string[] {
  return argv.flatMap((a) => (a.startsWith('--') && a.includes('=') ? [a.slice(a.indexOf('=') + 1)] : [a]));
}

const PROD_FLAG = /^--?(prod|production)$/;

/** Platform CLIs: the verb that ships code, and whether the bare command deploys too. */
const PLATFORMS: Record<string, { verbs: RegExp; bare?: boolean }> = {
  vercel: { verbs: /^(deploy|promote|redeploy|rollback|alias)$/, bare: true },
  netlify: { verbs: /^(deploy)$/ },
  fly: { verbs: /^(deploy|launch|scale|machine|releases)$/ },
  flyctl: { verbs: /^(deploy|launch|scale|machine|releases)$/ },
  firebase: { verbs: /^(deploy|hosting:channel:deploy|functions:delete|hosting:disable)$/ },
  serverless: { verbs: /^(deploy|remove|rollback)$/ },
  sls: { verbs: /^(deploy|remove|rollback)$/ },
  wrangler: { verbs: /^(deploy|publish|rollback|delete|versions)$/ },
  railway: { verbs: /^(up|deploy|redeploy|down)$/ },
  eb: { verbs: /^(deploy|swap|terminate|scale|setenv|restore)$/ },
  amplify: { verbs: /^(publish|push)$/ },
  cdk: { verbs: /^(deploy|destroy)$/ },
  sst: { verbs: /^(deploy|remove)$/ },
  render: { verbs: /^(deploy|deploys)$/ },
  surge: { verbs: /./, bare: true },
  heroku: {
    verbs:
      /^(releases:rollback|container:release|container:push|ps:scale|pg:reset|apps:destroy|maintenance:on)$/,
  },
};

const platform: Handler = (inv) => {
  const spec = own(PLATFORMS, inv.name);
  if (!spec) return;
  const [verb] = positionals(inv.argv);
  const deploying =
    verb === undefined
      ? Boolean(spec.bare) && !inv.argv.some((a) => /^(-h|--help|-v|--version)$/.test(a))
      : spec.verbs.test(verb);
  if (!deploying) return;
  const detail = `${inv.name} ${inv.argv.join(' ')}`.trim();
  if (inv.argv.some((a) => PROD_FLAG.test(a))) {
    emit(inv.session, 'shell.deploy.production', `${detail} (--prod)`);
    return;
  }
  emitDeploy(inv, detail, targetWords(inv.argv));
};

export const DEPLOY_HANDLERS: Record<string, Handler> = Object.fromEntries(
  Object.keys(PLATFORMS).map((name) => [name, platform]),
);
