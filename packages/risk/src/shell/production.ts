/**
 * Recognising production from names. A deploy is judged by where it lands, and the name of a
 * namespace, kube context, workspace, git remote, stage or app is all the command shows of it.
 * The names come from the policy (`production.names`, default prod, production, live, prd) so
 * that a team whose production cluster is called `blue` can say so.
 */
export const DEFAULT_PRODUCTION_NAMES: readonly string[] = ['prod', 'production', 'live', 'prd'];

/** Matches a name that has one of `names` as a whole token (`api-prod`, `prod/eu`, `k8s.live`, not `product`). */
export function productionMatcher(names: readonly string[] = DEFAULT_PRODUCTION_NAMES): RegExp {
  const alternatives = names
    .filter((n) => n.trim() !== '')
    .map((n) => n.trim().replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&'));
  if (alternatives.length === 0) return /(?!)/;
  return new RegExp(`(^|[-_.:/@=])(${alternatives.join('|')})([-_.:/@]|$)`, 'i');
}
