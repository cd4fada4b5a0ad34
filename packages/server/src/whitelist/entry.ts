import type { RequestKind, WhitelistScope } from '@gatehouse/contract';
import type { CommandMatch } from '@gatehouse/risk';
import { GatehouseError } from '../errors.ts';

/** Longest an entry added from a decision may live: a standing exception needs a policy change. */
export const MAX_WHITELIST_DAYS = 366;

/** An exception one approver grants reaches no further than the agent they looked at, unless they say so. */
export const DEFAULT_WHITELIST_SCOPE: WhitelistScope = 'agent';

export interface WhitelistInput {
  /** The exact command text, or a pattern over parsed commands. */
  pattern: string | CommandMatch;
  expiresAt: string;
  reason: string;
  scope?: WhitelistScope;
}

/** What a scope is read from: the request the entry is added on, and its agent. */
export interface ScopeSource {
  agentId: string;
  agentType: string;
  environment: string | null;
}

export interface EntryScope {
  scope: WhitelistScope;
  /** The agent id, agent type or environment; null for `global`. */
  scopeValue: string | null;
}

export interface WhitelistRecord extends EntryScope {
  id: string;
  kind: RequestKind;
  command: string | null;
  match: Record<string, unknown> | null;
  reason: string;
  expiresAt: Date;
}

/**
 * The agent, agent type or environment a scope names, taken from the request, never from the
 * caller: an approver can scope an entry to what they are looking at, not to anything else.
 */
export function resolveScope(scope: WhitelistScope, source: ScopeSource): EntryScope {
  switch (scope) {
    case 'agent':
      return { scope, scopeValue: source.agentId };
    case 'agent_type':
      return { scope, scopeValue: source.agentType };
    case 'environment':
      if (!source.environment)
        throw new GatehouseError(
          'WHITELIST_INVALID',
          'this request names no environment: scope the entry to its agent, its agent type, or everyone',
        );
      return { scope, scopeValue: source.environment };
    case 'global':
      return { scope, scopeValue: null };
  }
}

/** The exact command (trimmed, as the engine compares it) or the match object. */
export function patternFields(pattern: string | CommandMatch): Pick<WhitelistRecord, 'command' | 'match'> {
  if (typeof pattern !== 'string') return { command: null, match: { ...pattern } };
  const command = pattern.trim();
  if (command === '') throw new GatehouseError('WHITELIST_INVALID', 'the pattern is empty');
  return { command, match: null };
}

/**
 * Checks what an approver asked to whitelist, before anything is stored: a pattern, an
 * expiry in the future and at most a year away, a reason, and a scope this request can
 * fill in. Whether the pattern itself is well formed is the engine's call (`withWhitelist`
 * validates entries like policy entries).
 */
export function whitelistRecord(
  id: string,
  kind: RequestKind,
  input: WhitelistInput,
  now: Date,
  source: ScopeSource,
): WhitelistRecord {
  const reason = input.reason.trim();
  if (reason === '') throw new GatehouseError('WHITELIST_INVALID', 'a whitelist entry needs a reason');
  const expiresAt = new Date(input.expiresAt);
  if (Number.isNaN(expiresAt.getTime()))
    throw new GatehouseError('WHITELIST_INVALID', 'expiresAt must be an ISO 8601 date-time');
  if (expiresAt.getTime() <= now.getTime())
    throw new GatehouseError('WHITELIST_INVALID', 'expiresAt must be in the future');
  if (expiresAt.getTime() > now.getTime() + MAX_WHITELIST_DAYS * 86_400_000)
    throw new GatehouseError('WHITELIST_INVALID', 'a whitelist entry may last at most one year');
  return {
    id,
    kind,
    ...patternFields(input.pattern),
    reason,
    expiresAt,
    ...resolveScope(input.scope ?? DEFAULT_WHITELIST_SCOPE, source),
  };
}

/** The engine's entry field each scope fills in. */
const SCOPE_FIELD = { agent: 'agents', agent_type: 'agentTypes', environment: 'environments' } as const;

/** The entry as the risk engine reads it (the shape of a policy file's `whitelist:` item). */
export function engineEntry(record: WhitelistRecord): Record<string, unknown> {
  return {
    id: record.id,
    kind: record.kind,
    ...(record.command !== null ? { command: record.command } : { match: record.match }),
    // A scoped entry without its value is refused by the engine (and skipped), never widened.
    ...(record.scope === 'global' ? {} : { [SCOPE_FIELD[record.scope]]: [record.scopeValue] }),
    expires: record.expiresAt.toISOString(),
    reason: record.reason,
  };
}

/** The scope source of a stored request: its agent and the environment it was scored in. */
export function scopeSourceOf(
  request: { agentId: string; context: Record<string, unknown> },
  agentType: string,
): ScopeSource {
  const environment = request.context.environment;
  return {
    agentId: request.agentId,
    agentType,
    environment: typeof environment === 'string' && environment !== '' ? environment : null,
  };
}
