import type { TSchema } from 'typebox';
import { Value } from 'typebox/value';
import {
  type MatchFile,
  type PolicyFile,
  PolicySchema,
  RULE_ID,
  type RuleFile,
  type WhitelistEntryFile,
  WhitelistEntrySchema,
} from './schema.ts';
import type {
  CompiledMatch,
  PolicyDocument,
  PolicyRule,
  Thresholds,
  WhitelistEntry,
  WhitelistProfile,
} from './types.ts';

export { CATEGORIES } from './schema.ts';

export type Path = (string | number)[];

/** A validation failure at a path of the document; the loader turns the path into a line and column. */
export class ValidationIssue extends Error {
  constructor(
    readonly path: Path,
    readonly reason: string,
  ) {
    super(reason);
  }
}

// ---- schema errors as one readable issue -------------------------------------------------

type SchemaError = ReturnType<typeof Value.Errors>[number];
type Node = Record<string, unknown> & {
  errorMessage?: string;
  what?: string;
  properties?: Record<string, Node>;
  patternProperties?: unknown;
  pattern?: string;
};

const pointer = (p: string): string[] =>
  p
    .replace(/^#/, '')
    .split('/')
    .slice(1)
    .map((s) => s.replace(/~1/g, '/').replace(/~0/g, '~'));

/** `b` starts with every segment of `a`. */
const within = (a: string[], b: string[]) => a.length <= b.length && a.every((s, i) => s === b[i]);

function nodeAt(schema: TSchema, schemaPath: string): Node {
  let node = schema as unknown as Record<string, unknown>;
  for (const segment of pointer(schemaPath)) node = (node?.[segment] ?? {}) as Record<string, unknown>;
  return node as Node;
}

/** The instance path as a document path: array indexes as numbers, as YAML's `getIn` wants them. */
function documentPath(value: unknown, segments: string[]): Path {
  const out: Path = [];
  let here = value;
  for (const segment of segments) {
    const key = Array.isArray(here) ? Number(segment) : segment;
    out.push(key);
    here = (here as Record<string | number, unknown> | undefined)?.[key];
  }
  return out;
}

/**
 * The first problem the schema finds, as an issue at the offending node. A union (`program: make`
 * or a list) reports its own message unless the value took one branch and failed deeper in it
 * (an entry of a list), where the deeper problem is the one to report.
 */
function firstIssue(schema: TSchema, value: unknown, errors: SchemaError[], handled = 0): ValidationIssue {
  const first = errors[0] as SchemaError;
  const schemaSegments = pointer(first.schemaPath);
  const at = schemaSegments.indexOf('anyOf', handled);
  if (at >= 0) {
    const unionPath = schemaSegments.slice(0, at);
    const firstInstance = pointer(first.instancePath);
    const union = errors.find(
      (e) =>
        e.keyword === 'anyOf' &&
        pointer(e.schemaPath).join('/') === unionPath.join('/') &&
        within(pointer(e.instancePath), firstInstance),
    );
    const unionInstance = union ? pointer(union.instancePath) : firstInstance;
    const deeper = errors.filter((e) => {
      const instance = pointer(e.instancePath);
      return (
        within(unionPath, pointer(e.schemaPath)) &&
        within(unionInstance, instance) &&
        instance.length > unionInstance.length
      );
    });
    if (deeper.length > 0) return firstIssue(schema, value, deeper, at + 2);
    if (union) return describe(schema, value, union);
  }
  return describe(schema, value, first);
}

function describe(schema: TSchema, value: unknown, error: SchemaError): ValidationIssue {
  const node = nodeAt(schema, error.schemaPath);
  const instance = pointer(error.instancePath);
  const path = documentPath(value, instance);
  const what = node.what ?? 'policy';
  if (error.keyword === 'required') {
    const [key = ''] = (error.params as { requiredProperties: string[] }).requiredProperties;
    const id = valueAt(value, [...instance, 'id']);
    const expected = node.properties?.[key]?.errorMessage?.match(/^\S+ must be (.*)$/)?.[1];
    return new ValidationIssue(
      path,
      `${what}${typeof id === 'string' ? ` ${id}` : ''} needs ${key}${expected ? `: ${expected}` : ''}`,
    );
  }
  if (error.keyword === 'additionalProperties') {
    const [key = ''] = (error.params as { additionalProperties: string[] }).additionalProperties;
    const allowed = Object.keys(node.properties ?? {}).join(', ');
    const reason = node.patternProperties
      ? `invalid ${what} ${key}`
      : instance.length === 0
        ? `unknown top-level key "${key}" (allowed: ${allowed})`
        : `unknown key "${key}" in ${what} (allowed: ${allowed})`;
    return new ValidationIssue([...path, key], reason);
  }
  if (error.keyword === 'minProperties') {
    return new ValidationIssue(path, `${what} must constrain at least one field`);
  }
  const message = node.errorMessage ?? `${instance.at(-1) ?? what} ${error.message}`;
  const got = valueAt(value, instance);
  if (error.keyword === 'pattern' && node.pattern === RULE_ID.source && typeof got === 'string') {
    return new ValidationIssue(path, `${message}, not "${got}"`);
  }
  return new ValidationIssue(path, message);
}

function valueAt(value: unknown, segments: string[]): unknown {
  let here = value;
  for (const segment of segments) {
    if (typeof here !== 'object' || here === null) return undefined;
    here = (here as Record<string, unknown>)[segment];
  }
  return here;
}

/** Throws the first problem the schema finds in `value`, at `base` + its path. */
function check<T>(schema: TSchema, value: unknown, base: Path = []): asserts value is T {
  if (Value.Check(schema, value)) return;
  const errors = Value.Errors(schema, value).filter((e) => e.keyword !== 'boolean');
  if (errors.length === 0) throw new ValidationIssue(base, 'invalid value');
  const issue = firstIssue(schema, value, errors);
  throw new ValidationIssue([...base, ...issue.path], issue.reason);
}

// ---- what JSON Schema cannot say ---------------------------------------------------------

const list = (value: string | string[]): string[] => (typeof value === 'string' ? [value] : value);

function compileRegex(source: string, path: Path): RegExp {
  try {
    return new RegExp(source);
  } catch (error) {
    throw new ValidationIssue(path, `invalid regular expression: ${(error as Error).message}`);
  }
}

function compileMatch(raw: MatchFile, path: Path): CompiledMatch {
  const match: CompiledMatch = {};
  if (raw.kind !== undefined) match.kind = raw.kind;
  if (raw.program !== undefined) match.program = list(raw.program);
  if (raw.subcommand !== undefined) match.subcommand = list(raw.subcommand);
  if (raw.first !== undefined) match.first = list(raw.first);
  if (raw.via !== undefined) match.via = raw.via;
  if (raw.viaOnly !== undefined) match.viaOnly = list(raw.viaOnly);
  if (raw.args !== undefined) {
    const args: NonNullable<CompiledMatch['args']> = {};
    for (const key of ['includes', 'includesAny', 'excludes'] as const) {
      const values = raw.args[key];
      if (values !== undefined) args[key] = list(values);
    }
    if (raw.args.regex !== undefined) {
      match.argRegex = compileRegex(raw.args.regex, [...path, 'args', 'regex']);
      args.regex = raw.args.regex;
    }
    match.args = args;
  }
  return match;
}

function toRule(raw: RuleFile, path: Path): PolicyRule {
  if (raw.weight === undefined && raw.floor === undefined) {
    throw new ValidationIssue(path, `rule ${raw.id} needs a weight or a floor`);
  }
  const rule: PolicyRule = {
    id: raw.id,
    category: raw.category,
    weight: raw.weight ?? 0,
    explanation: raw.explanation,
  };
  if (raw.floor !== undefined) rule.floor = raw.floor;
  if (raw.match !== undefined) rule.match = compileMatch(raw.match, [...path, 'match']);
  return rule;
}

function toWhitelistEntry(raw: WhitelistEntryFile, path: Path): WhitelistEntry {
  const expires = new Date(raw.expires);
  if (Number.isNaN(expires.getTime())) {
    throw new ValidationIssue([...path, 'expires'], 'expires must be an ISO 8601 date or date-time');
  }
  if ((raw.command === undefined) === (raw.match === undefined)) {
    throw new ValidationIssue(path, `whitelist entry ${raw.id} needs exactly one of command or match`);
  }
  const entry: WhitelistEntry = { id: raw.id, expires };
  if (raw.command !== undefined) entry.command = raw.command.trim();
  if (raw.match !== undefined) entry.match = compileMatch(raw.match, [...path, 'match']);
  if (raw.rules !== undefined) entry.rules = list(raw.rules);
  if (raw.kind !== undefined) entry.kind = raw.kind;
  if (raw.environments !== undefined) entry.environments = list(raw.environments);
  if (raw.agentTypes !== undefined) entry.agentTypes = list(raw.agentTypes);
  if (raw.agents !== undefined) entry.agents = list(raw.agents);
  if (raw.reason !== undefined) entry.reason = raw.reason;
  return entry;
}

function unique<T extends { id: string }>(items: T[], path: Path, what: string): T[] {
  const seen = new Set<string>();
  items.forEach((item, i) => {
    if (seen.has(item.id)) throw new ValidationIssue([...path, i, 'id'], `duplicate ${what} id ${item.id}`);
    seen.add(item.id);
  });
  return items;
}

function entries(raw: WhitelistEntryFile[], path: Path): WhitelistEntry[] {
  return unique(
    raw.map((entry, i) => toWhitelistEntry(entry, [...path, i])),
    path,
    'whitelist',
  );
}

function toThresholds(t: Thresholds): Thresholds {
  if (!(t.review < t.multi_party && t.multi_party < t.deny)) {
    throw new ValidationIssue(['thresholds'], 'thresholds must increase: review < multi_party < deny');
  }
  return t;
}

/**
 * Validates one whitelist entry (of a policy file, or kept elsewhere and added with
 * `withWhitelist`). `expires` may already be a `Date`.
 */
export function validateWhitelistEntry(value: unknown, path: Path = []): WhitelistEntry {
  const raw =
    typeof value === 'object' && value !== null && (value as { expires?: unknown }).expires instanceof Date
      ? { ...value, expires: (value as { expires: Date }).expires.toISOString() }
      : value;
  check<WhitelistEntryFile>(WhitelistEntrySchema, raw, path);
  return toWhitelistEntry(raw, path);
}

/** Validates a parsed policy object. Throws `ValidationIssue` pointing at the offending path. */
export function validatePolicyDocument(value: unknown): PolicyDocument {
  check<PolicyFile>(PolicySchema, value);
  const raw = value;
  const doc: PolicyDocument = { version: String(raw.version), rules: [] };
  if (raw.extends !== undefined) doc.extends = raw.extends;
  if (raw.thresholds !== undefined) doc.thresholds = toThresholds(raw.thresholds);
  else if (!doc.extends)
    throw new ValidationIssue([], 'thresholds are required unless the policy extends default');
  if (raw.approvalDeadlineSeconds !== undefined) doc.approvalDeadlineSeconds = raw.approvalDeadlineSeconds;
  if (raw.masking !== undefined) doc.masking = raw.masking;
  if (raw.insights !== undefined) doc.insights = raw.insights;
  if (raw.whitelistReview !== undefined) doc.whitelistReview = raw.whitelistReview;
  if (raw.environments !== undefined) doc.environments = raw.environments;
  if (raw.agentTypes !== undefined) doc.agentTypes = raw.agentTypes;
  if (raw.whitelist) doc.whitelist = entries(raw.whitelist, ['whitelist']);
  if (raw.defaultWhitelist !== undefined) {
    if (!doc.extends) {
      throw new ValidationIssue(['defaultWhitelist'], 'defaultWhitelist only applies with extends: default');
    }
    const keep = raw.defaultWhitelist;
    doc.defaultWhitelist = typeof keep === 'boolean' ? keep : list(keep).length === 0 ? false : list(keep);
  }
  if (raw.production !== undefined) doc.production = { names: list(raw.production.names) };
  if (raw.whitelistProfiles !== undefined) {
    const profiles: Record<string, WhitelistProfile> = {};
    for (const [name, profile] of Object.entries(raw.whitelistProfiles)) {
      profiles[name] = {
        description: profile.description,
        ...(profile.blastRadius !== undefined ? { blastRadius: profile.blastRadius } : {}),
        whitelist: entries(profile.whitelist, ['whitelistProfiles', name, 'whitelist']),
      };
    }
    doc.whitelistProfiles = profiles;
  }
  if (raw.useWhitelistProfiles !== undefined) doc.useWhitelistProfiles = list(raw.useWhitelistProfiles);
  if (raw.rules) {
    doc.rules = unique(
      raw.rules.map((rule, i) => toRule(rule, ['rules', i])),
      ['rules'],
      'rule',
    );
  } else if (!doc.extends) {
    throw new ValidationIssue([], 'rules are required unless the policy extends default');
  }
  return doc;
}
