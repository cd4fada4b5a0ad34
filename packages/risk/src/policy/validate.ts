import { type Category, TIERS, type Tier } from '../types.ts';
import type {
  Adjustment,
  CommandMatch,
  CompiledMatch,
  PolicyDocument,
  PolicyRule,
  RuleOverride,
  Thresholds,
  WhitelistEntry,
  WhitelistProfile,
} from './types.ts';

export const CATEGORIES: readonly Category[] = [
  'read_only',
  'idempotent_write',
  'side_effect',
  'irreversible',
  'privilege',
  'credential_access',
  'exfiltration',
  'remote_code',
  'persistence',
  'defense_evasion',
  'network_config',
  'sabotage',
  'uncertainty',
  'context',
];

export type Path = (string | number)[];

/** A validation failure at a path of the document; the loader turns the path into a line number. */
export class ValidationIssue extends Error {
  constructor(
    readonly path: Path,
    readonly reason: string,
  ) {
    super(reason);
  }
}

const RULE_ID = /^[a-z0-9][a-z0-9_.-]*$/;
const TOP_LEVEL = new Set([
  'version',
  'extends',
  'thresholds',
  'approvalDeadlineSeconds',
  'environments',
  'agentTypes',
  'whitelist',
  'defaultWhitelist',
  'production',
  'whitelistProfiles',
  'useWhitelistProfiles',
  'rules',
  // Owned by output masking (@gatehouse/mask validates it); the risk engine only carries it.
  'masking',
]);

type Raw = Record<string, unknown>;

function isObject(value: unknown): value is Raw {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function object(value: unknown, path: Path, what: string): Raw {
  if (!isObject(value)) throw new ValidationIssue(path, `${what} must be a mapping`);
  return value;
}

function onlyKeys(value: Raw, allowed: readonly string[], path: Path, what: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new ValidationIssue(
        [...path, key],
        `unknown key "${key}" in ${what} (allowed: ${allowed.join(', ')})`,
      );
    }
  }
}

function string(value: unknown, path: Path, what: string): string {
  if (typeof value !== 'string' || value.trim() === '') {
    throw new ValidationIssue(path, `${what} must be a non-empty string`);
  }
  return value;
}

function stringList(value: unknown, path: Path, what: string): string[] {
  if (typeof value === 'string') return [value];
  if (!Array.isArray(value) || value.length === 0) {
    throw new ValidationIssue(path, `${what} must be a string or a non-empty list of strings`);
  }
  return value.map((item, i) => {
    if (typeof item !== 'string') throw new ValidationIssue([...path, i], `${what} entries must be strings`);
    return item;
  });
}

function score(value: unknown, path: Path, what: string, min = 0): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min || value > 100) {
    throw new ValidationIssue(path, `${what} must be a number between ${min} and 100`);
  }
  return value;
}

function tier(value: unknown, path: Path, what: string): Tier {
  if (typeof value !== 'string' || !TIERS.includes(value as Tier)) {
    throw new ValidationIssue(path, `${what} must be one of ${TIERS.join(', ')}`);
  }
  return value as Tier;
}

function category(value: unknown, path: Path): Category {
  if (typeof value !== 'string' || !CATEGORIES.includes(value as Category)) {
    throw new ValidationIssue(path, `category must be one of ${CATEGORIES.join(', ')}`);
  }
  return value as Category;
}

function regex(value: unknown, path: Path): RegExp {
  const source = string(value, path, 'regex');
  try {
    return new RegExp(source);
  } catch (error) {
    throw new ValidationIssue(path, `invalid regular expression: ${(error as Error).message}`);
  }
}

export function validateMatch(value: unknown, path: Path): CompiledMatch {
  const raw = object(value, path, 'match');
  onlyKeys(raw, ['kind', 'program', 'first', 'subcommand', 'args', 'via', 'viaOnly'], path, 'match');
  const match: CompiledMatch = {};
  if (raw.kind !== undefined) {
    if (raw.kind !== 'shell' && raw.kind !== 'sql')
      throw new ValidationIssue([...path, 'kind'], 'kind must be shell or sql');
    match.kind = raw.kind;
  }
  if (raw.program !== undefined) match.program = stringList(raw.program, [...path, 'program'], 'program');
  if (raw.subcommand !== undefined) {
    match.subcommand = stringList(raw.subcommand, [...path, 'subcommand'], 'subcommand');
  }
  if (raw.first !== undefined) match.first = stringList(raw.first, [...path, 'first'], 'first');
  if (raw.via !== undefined) match.via = string(raw.via, [...path, 'via'], 'via');
  if (raw.viaOnly !== undefined) {
    // An empty list is meaningful here: the command must run without any wrapper.
    match.viaOnly =
      Array.isArray(raw.viaOnly) && raw.viaOnly.length === 0
        ? []
        : stringList(raw.viaOnly, [...path, 'viaOnly'], 'viaOnly');
  }
  if (raw.args !== undefined) {
    const argsPath = [...path, 'args'];
    const args = object(raw.args, argsPath, 'args');
    onlyKeys(args, ['includes', 'includesAny', 'excludes', 'regex'], argsPath, 'args');
    const out: NonNullable<CommandMatch['args']> = {};
    for (const key of ['includes', 'includesAny', 'excludes'] as const) {
      if (args[key] !== undefined) out[key] = stringList(args[key], [...argsPath, key], key);
    }
    if (args.regex !== undefined) {
      match.argRegex = regex(args.regex, [...argsPath, 'regex']);
      out.regex = args.regex as string;
    }
    match.args = out;
  }
  if (Object.keys(match).length === 0)
    throw new ValidationIssue(path, 'match must constrain at least one field');
  return match;
}

function validateRule(value: unknown, path: Path): PolicyRule {
  const raw = object(value, path, 'rule');
  onlyKeys(raw, ['id', 'category', 'weight', 'floor', 'explanation', 'match'], path, 'rule');
  const id = string(raw.id, [...path, 'id'], 'id');
  if (!RULE_ID.test(id)) {
    throw new ValidationIssue([...path, 'id'], `rule id "${id}" must be lowercase words separated by dots`);
  }
  if (raw.weight === undefined && raw.floor === undefined) {
    throw new ValidationIssue(path, `rule ${id} needs a weight or a floor`);
  }
  const rule: PolicyRule = {
    id,
    category: category(raw.category, [...path, 'category']),
    weight: raw.weight === undefined ? 0 : score(raw.weight, [...path, 'weight'], 'weight'),
    explanation: string(raw.explanation, [...path, 'explanation'], 'explanation'),
  };
  if (raw.floor !== undefined) rule.floor = tier(raw.floor, [...path, 'floor'], 'floor');
  if (raw.match !== undefined) rule.match = validateMatch(raw.match, [...path, 'match']);
  return rule;
}

function validateThresholds(value: unknown, path: Path): Thresholds {
  const raw = object(value, path, 'thresholds');
  onlyKeys(raw, ['review', 'multi_party', 'deny'], path, 'thresholds');
  const t: Thresholds = {
    review: score(raw.review, [...path, 'review'], 'thresholds.review', 1),
    multi_party: score(raw.multi_party, [...path, 'multi_party'], 'thresholds.multi_party', 1),
    deny: score(raw.deny, [...path, 'deny'], 'thresholds.deny', 1),
  };
  if (!(t.review < t.multi_party && t.multi_party < t.deny)) {
    throw new ValidationIssue(path, 'thresholds must increase: review < multi_party < deny');
  }
  return t;
}

function validateOverride(value: unknown, path: Path): RuleOverride {
  const raw = object(value, path, 'rule override');
  onlyKeys(raw, ['weight', 'floor'], path, 'rule override');
  const out: RuleOverride = {};
  if (raw.weight !== undefined) out.weight = score(raw.weight, [...path, 'weight'], 'weight');
  if (raw.floor !== undefined) out.floor = tier(raw.floor, [...path, 'floor'], 'floor');
  return out;
}

function validateAdjustment(value: unknown, path: Path): Adjustment {
  const raw = object(value, path, 'profile');
  onlyKeys(raw, ['scoreAdd', 'minimumTier', 'categoryFloors', 'rules', 'allowWhitelist'], path, 'profile');
  const out: Adjustment = {};
  if (raw.scoreAdd !== undefined) {
    if (typeof raw.scoreAdd !== 'number' || raw.scoreAdd < -100 || raw.scoreAdd > 100) {
      throw new ValidationIssue([...path, 'scoreAdd'], 'scoreAdd must be a number between -100 and 100');
    }
    out.scoreAdd = raw.scoreAdd;
  }
  if (raw.minimumTier !== undefined)
    out.minimumTier = tier(raw.minimumTier, [...path, 'minimumTier'], 'minimumTier');
  if (raw.allowWhitelist !== undefined) {
    if (typeof raw.allowWhitelist !== 'boolean') {
      throw new ValidationIssue([...path, 'allowWhitelist'], 'allowWhitelist must be true or false');
    }
    out.allowWhitelist = raw.allowWhitelist;
  }
  if (raw.categoryFloors !== undefined) {
    const floors = object(raw.categoryFloors, [...path, 'categoryFloors'], 'categoryFloors');
    out.categoryFloors = {};
    for (const [key, floor] of Object.entries(floors)) {
      const c = category(key, [...path, 'categoryFloors', key]);
      out.categoryFloors[c] = tier(floor, [...path, 'categoryFloors', key], 'category floor');
    }
  }
  if (raw.rules !== undefined) {
    const rules = object(raw.rules, [...path, 'rules'], 'rules');
    out.rules = {};
    for (const [id, override] of Object.entries(rules)) {
      out.rules[id] = validateOverride(override, [...path, 'rules', id]);
    }
  }
  return out;
}

function validateProfiles(value: unknown, path: Path): Record<string, Adjustment> {
  const raw = object(value, path, path.join('.'));
  const out: Record<string, Adjustment> = {};
  for (const [name, adjustment] of Object.entries(raw))
    out[name] = validateAdjustment(adjustment, [...path, name]);
  return out;
}

function date(value: unknown, path: Path): Date {
  const parsed = value instanceof Date ? value : typeof value === 'string' ? new Date(value) : undefined;
  if (!parsed || Number.isNaN(parsed.getTime())) {
    throw new ValidationIssue(path, 'expires must be an ISO 8601 date or date-time');
  }
  return parsed;
}

export function validateWhitelistEntry(value: unknown, path: Path = []): WhitelistEntry {
  const raw = object(value, path, 'whitelist entry');
  onlyKeys(
    raw,
    ['id', 'command', 'match', 'rules', 'kind', 'environments', 'agentTypes', 'agents', 'expires', 'reason'],
    path,
    'whitelist entry',
  );
  const id = string(raw.id, [...path, 'id'], 'id');
  if (raw.expires === undefined)
    throw new ValidationIssue(path, `whitelist entry ${id} needs an expires date`);
  const entry: WhitelistEntry = { id, expires: date(raw.expires, [...path, 'expires']) };
  if ((raw.command === undefined) === (raw.match === undefined)) {
    throw new ValidationIssue(path, `whitelist entry ${id} needs exactly one of command or match`);
  }
  if (raw.command !== undefined) entry.command = string(raw.command, [...path, 'command'], 'command').trim();
  if (raw.match !== undefined) entry.match = validateMatch(raw.match, [...path, 'match']);
  if (raw.rules !== undefined) {
    entry.rules = stringList(raw.rules, [...path, 'rules'], 'rules');
    entry.rules.forEach((rule, i) => {
      if (!RULE_ID.test(rule)) throw new ValidationIssue([...path, 'rules', i], `"${rule}" is not a rule id`);
    });
  }
  if (raw.kind !== undefined) {
    if (raw.kind !== 'shell' && raw.kind !== 'sql')
      throw new ValidationIssue([...path, 'kind'], 'kind must be shell or sql');
    entry.kind = raw.kind;
  }
  if (raw.environments !== undefined) {
    entry.environments = stringList(raw.environments, [...path, 'environments'], 'environments');
  }
  if (raw.agentTypes !== undefined)
    entry.agentTypes = stringList(raw.agentTypes, [...path, 'agentTypes'], 'agentTypes');
  if (raw.agents !== undefined) entry.agents = stringList(raw.agents, [...path, 'agents'], 'agents');
  if (raw.reason !== undefined) entry.reason = string(raw.reason, [...path, 'reason'], 'reason');
  return entry;
}

/**
 * Named, opt-in bundles of whitelist entries (`whitelistProfiles: {coding-workstation: {…}}`),
 * enabled with `useWhitelistProfiles: [coding-workstation]`. Each documents what it lets run.
 */
function validateWhitelistProfiles(value: unknown, path: Path): Record<string, WhitelistProfile> {
  const raw = object(value, path, 'whitelistProfiles');
  const out: Record<string, WhitelistProfile> = {};
  for (const [name, body] of Object.entries(raw)) {
    const where = [...path, name];
    if (!RULE_ID.test(name)) throw new ValidationIssue(where, `invalid whitelist profile name ${name}`);
    const profile = object(body, where, 'whitelist profile');
    onlyKeys(profile, ['description', 'blastRadius', 'whitelist'], where, 'whitelist profile');
    if (!Array.isArray(profile.whitelist))
      throw new ValidationIssue([...where, 'whitelist'], 'a whitelist profile needs a whitelist list');
    const entries = profile.whitelist.map((entry, i) =>
      validateWhitelistEntry(entry, [...where, 'whitelist', i]),
    );
    const seen = new Set<string>();
    entries.forEach((entry, i) => {
      if (seen.has(entry.id))
        throw new ValidationIssue([...where, 'whitelist', i, 'id'], `duplicate whitelist id ${entry.id}`);
      seen.add(entry.id);
    });
    out[name] = {
      description: string(profile.description, [...where, 'description'], 'description'),
      ...(profile.blastRadius !== undefined
        ? { blastRadius: string(profile.blastRadius, [...where, 'blastRadius'], 'blastRadius') }
        : {}),
      whitelist: entries,
    };
  }
  return out;
}

/** Validates a parsed policy object. Throws `ValidationIssue` pointing at the offending path. */
export function validatePolicyDocument(value: unknown): PolicyDocument {
  const raw = object(value, [], 'policy');
  for (const key of Object.keys(raw)) {
    if (!TOP_LEVEL.has(key)) {
      throw new ValidationIssue(
        [key],
        `unknown top-level key "${key}" (allowed: ${[...TOP_LEVEL].join(', ')})`,
      );
    }
  }
  const doc: PolicyDocument = { version: '', rules: [] };
  if (typeof raw.version === 'number') raw.version = String(raw.version);
  doc.version = string(raw.version, ['version'], 'version');
  if (raw.extends !== undefined) {
    if (raw.extends !== 'default') throw new ValidationIssue(['extends'], 'extends only supports "default"');
    doc.extends = 'default';
  }
  if (raw.thresholds !== undefined) doc.thresholds = validateThresholds(raw.thresholds, ['thresholds']);
  else if (!doc.extends)
    throw new ValidationIssue([], 'thresholds are required unless the policy extends default');
  if (raw.approvalDeadlineSeconds !== undefined) {
    const s = raw.approvalDeadlineSeconds;
    if (typeof s !== 'number' || !Number.isInteger(s) || s < 10 || s > 7 * 24 * 3600) {
      throw new ValidationIssue(
        ['approvalDeadlineSeconds'],
        'approvalDeadlineSeconds must be an integer from 10 to 604800',
      );
    }
    doc.approvalDeadlineSeconds = s;
  }
  if (raw.masking !== undefined) doc.masking = raw.masking;
  if (raw.environments !== undefined) doc.environments = validateProfiles(raw.environments, ['environments']);
  if (raw.agentTypes !== undefined) doc.agentTypes = validateProfiles(raw.agentTypes, ['agentTypes']);
  if (raw.whitelist !== undefined && raw.whitelist !== null) {
    if (!Array.isArray(raw.whitelist)) throw new ValidationIssue(['whitelist'], 'whitelist must be a list');
    doc.whitelist = raw.whitelist.map((entry, i) => validateWhitelistEntry(entry, ['whitelist', i]));
    const seen = new Set<string>();
    doc.whitelist.forEach((entry, i) => {
      if (seen.has(entry.id))
        throw new ValidationIssue(['whitelist', i, 'id'], `duplicate whitelist id ${entry.id}`);
      seen.add(entry.id);
    });
  }
  if (raw.defaultWhitelist !== undefined) {
    if (!doc.extends) {
      throw new ValidationIssue(['defaultWhitelist'], 'defaultWhitelist only applies with extends: default');
    }
    doc.defaultWhitelist =
      typeof raw.defaultWhitelist === 'boolean'
        ? raw.defaultWhitelist
        : Array.isArray(raw.defaultWhitelist) && raw.defaultWhitelist.length === 0
          ? false
          : stringList(raw.defaultWhitelist, ['defaultWhitelist'], 'defaultWhitelist');
  }
  if (raw.production !== undefined) {
    const production = object(raw.production, ['production'], 'production');
    onlyKeys(production, ['names'], ['production'], 'production');
    doc.production = { names: stringList(production.names, ['production', 'names'], 'production.names') };
  }
  if (raw.whitelistProfiles !== undefined)
    doc.whitelistProfiles = validateWhitelistProfiles(raw.whitelistProfiles, ['whitelistProfiles']);
  if (raw.useWhitelistProfiles !== undefined)
    doc.useWhitelistProfiles = stringList(
      raw.useWhitelistProfiles,
      ['useWhitelistProfiles'],
      'useWhitelistProfiles',
    );
  if (raw.rules !== undefined && raw.rules !== null) {
    if (!Array.isArray(raw.rules)) throw new ValidationIssue(['rules'], 'rules must be a list');
    const seen = new Set<string>();
    doc.rules = raw.rules.map((rule, i) => {
      const validated = validateRule(rule, ['rules', i]);
      if (seen.has(validated.id))
        throw new ValidationIssue(['rules', i, 'id'], `duplicate rule id ${validated.id}`);
      seen.add(validated.id);
      return validated;
    });
  } else if (!doc.extends) {
    throw new ValidationIssue([], 'rules are required unless the policy extends default');
  }
  return doc;
}
