import { isNode, LineCounter, parseDocument } from 'yaml';
import { PolicyError } from '../errors.ts';
import { DEFAULT_PRODUCTION_NAMES } from '../shell/production.ts';
import { strengthenProduction } from './strictest.ts';
import type { Policy, PolicyDocument, PolicyRule, WhitelistEntry, WhitelistProfile } from './types.ts';
import type { Path } from './validate.ts';
import { ValidationIssue, validatePolicyDocument } from './validate.ts';

const MAX_POLICY_BYTES = 2 * 1024 * 1024;
const DEFAULT_DEADLINE_SECONDS = 900;

/**
 * Parses and validates a policy file. Invalid files are rejected with a `PolicyError` that
 * names the line and the reason. A document that `extends: default` is returned unmerged;
 * `resolvePolicy` merges it onto the default policy.
 */
export function loadPolicy(yamlText: string, options: { source?: string } = {}): PolicyDocument {
  const source = options.source;
  if (typeof yamlText !== 'string')
    throw new PolicyError('ERR_POLICY_SYNTAX', 'policy must be YAML text', { source });
  if (yamlText.length > MAX_POLICY_BYTES) {
    throw new PolicyError('ERR_POLICY_SYNTAX', `policy is larger than ${MAX_POLICY_BYTES} bytes`, { source });
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(yamlText, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const syntax = doc.errors[0];
  if (syntax) {
    const { line, col } = syntax.linePos?.[0] ?? lineCounter.linePos(syntax.pos[0]);
    throw new PolicyError('ERR_POLICY_SYNTAX', syntax.message.split('\n')[0] ?? 'invalid YAML', {
      line,
      column: col,
      source,
    });
  }
  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    throw new PolicyError('ERR_POLICY_SYNTAX', (error as Error).message, { source });
  }
  try {
    return { ...validatePolicyDocument(raw), ...(source ? { source } : {}) };
  } catch (error) {
    if (!(error instanceof ValidationIssue)) throw error;
    throw new PolicyError('ERR_POLICY_INVALID', error.reason, {
      ...positionOf(doc, lineCounter, error.path),
      source,
    });
  }
}

/** Where the deepest node of `path` that exists in the document starts (1-based). */
function positionOf(
  doc: ReturnType<typeof parseDocument>,
  counter: LineCounter,
  path: Path,
): { line?: number; column?: number } {
  for (let depth = path.length; depth >= 0; depth--) {
    const node = depth === 0 ? doc.contents : doc.getIn(path.slice(0, depth), true);
    if (isNode(node) && node.range) {
      const { line, col } = counter.linePos(node.range[0]);
      return { line, column: col };
    }
  }
  return {};
}

/**
 * The default entries the document keeps (`defaultWhitelist`), then its own entries; an entry
 * with the id of a default entry replaces it in place, which is how a team narrows one.
 */
function mergeWhitelist(doc: PolicyDocument, parent: PolicyDocument | undefined): WhitelistEntry[] {
  const inherited = parent?.whitelist ?? [];
  const keep = doc.defaultWhitelist ?? true;
  if (Array.isArray(keep)) {
    const known = new Set(inherited.map((e) => e.id));
    const unknown = keep.find((id) => !known.has(id));
    if (unknown !== undefined) {
      throw new PolicyError(
        'ERR_POLICY_INVALID',
        `defaultWhitelist names ${unknown}, which is not an entry of the default policy`,
        { source: doc.source },
      );
    }
  }
  const kept = inherited.filter((e) => keep === true || (Array.isArray(keep) && keep.includes(e.id)));
  const own = new Map((doc.whitelist ?? []).map((e) => [e.id, e]));
  const merged = kept.map((e) => own.get(e.id) ?? e);
  const replaced = new Set(kept.map((e) => e.id));
  for (const entry of doc.whitelist ?? []) if (!replaced.has(entry.id)) merged.push(entry);
  return merged;
}

/**
 * The entries of the whitelist profiles the document switches on (`useWhitelistProfiles`),
 * from its own `whitelistProfiles` or the default's. Profiles are opt-in: the default policy
 * defines `coding-workstation` and switches nothing on.
 */
function enabledProfileEntries(
  doc: PolicyDocument,
  parent: PolicyDocument | undefined,
): { entries: WhitelistEntry[]; enabled: string[] } {
  const defined: Record<string, WhitelistProfile> = {
    ...(parent?.whitelistProfiles ?? {}),
    ...(doc.whitelistProfiles ?? {}),
  };
  const enabled = doc.useWhitelistProfiles ?? [];
  const entries: WhitelistEntry[] = [];
  for (const name of enabled) {
    const profile = defined[name];
    if (!profile) {
      throw new PolicyError(
        'ERR_POLICY_INVALID',
        `useWhitelistProfiles names ${name}, which no whitelistProfiles section defines (known: ${Object.keys(defined).join(', ') || 'none'})`,
        { source: doc.source },
      );
    }
    entries.push(...profile.whitelist);
  }
  return { entries, enabled };
}

/**
 * Turns a document into the policy the engine uses. `extends: default` semantics:
 * thresholds and the approval deadline are taken from the document when present, else from
 * the default; environment and agent-type profiles merge by name (a named profile replaces the
 * default's profile of that name); whitelist entries are appended after the default entries
 * the document keeps (`defaultWhitelist`), one with the id of a default entry replaces it; a
 * rule with the id of a default rule replaces it entirely, other rules are added.
 */
export function resolvePolicy(doc: PolicyDocument, base?: PolicyDocument): Policy {
  if (doc.extends && !base) {
    throw new PolicyError('ERR_POLICY_EXTENDS', 'policy extends default but no default policy was provided', {
      source: doc.source,
    });
  }
  const parent = doc.extends ? base : undefined;
  const rules = new Map<string, PolicyRule>();
  for (const rule of parent?.rules ?? []) rules.set(rule.id, rule);
  for (const rule of doc.rules) rules.set(rule.id, rule);
  const thresholds = doc.thresholds ?? parent?.thresholds;
  if (!thresholds)
    throw new PolicyError('ERR_POLICY_INVALID', 'policy has no thresholds', { source: doc.source });
  const { entries: profileEntries, enabled } = enabledProfileEntries(doc, parent);
  const whitelist = mergeWhitelist(doc, parent);
  const ids = new Set(whitelist.map((e) => e.id));
  for (const entry of profileEntries) if (!ids.has(entry.id)) whitelist.push(entry);
  const productionNames = doc.production?.names ?? parent?.production?.names ?? [...DEFAULT_PRODUCTION_NAMES];
  const environments = { ...(parent?.environments ?? {}), ...(doc.environments ?? {}) };
  return {
    version: parent ? `${doc.version}+default.${parent.version}` : doc.version,
    thresholds,
    approvalDeadlineSeconds:
      doc.approvalDeadlineSeconds ?? parent?.approvalDeadlineSeconds ?? DEFAULT_DEADLINE_SECONDS,
    environments: strengthenProduction(environments, productionNames),
    agentTypes: { ...(parent?.agentTypes ?? {}), ...(doc.agentTypes ?? {}) },
    whitelist,
    rules,
    productionNames,
    whitelistProfiles: enabled,
    ...(doc.masking !== undefined || parent?.masking !== undefined
      ? { masking: doc.masking ?? parent?.masking }
      : {}),
    ...(doc.insights !== undefined || parent?.insights !== undefined
      ? { insights: doc.insights ?? parent?.insights }
      : {}),
    ...(doc.whitelistReview !== undefined || parent?.whitelistReview !== undefined
      ? { whitelistReview: doc.whitelistReview ?? parent?.whitelistReview }
      : {}),
  };
}
