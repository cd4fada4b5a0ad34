import type { CommandMatch } from '@gatehouse/risk';
import { badRequest } from '../errors.ts';

/** Longest an entry added from a decision may live: a standing exception needs a policy change. */
export const MAX_WHITELIST_DAYS = 366;

export interface WhitelistInput {
  /** The exact command text, or a pattern over parsed commands. */
  pattern: string | CommandMatch;
  expiresAt: string;
  reason: string;
}

export interface WhitelistRecord {
  id: string;
  kind: 'shell' | 'sql';
  command: string | null;
  match: Record<string, unknown> | null;
  reason: string;
  expiresAt: Date;
}

/**
 * Checks what an approver asked to whitelist, before anything is stored: a pattern, an
 * expiry in the future and at most a year away, and a reason. Whether the pattern itself is
 * well formed is the engine's call (`withWhitelist` validates entries like policy entries).
 */
export function whitelistRecord(
  id: string,
  kind: 'shell' | 'sql',
  input: WhitelistInput,
  now: Date,
): WhitelistRecord {
  const reason = input.reason.trim();
  if (reason === '') throw badRequest('WHITELIST_INVALID', 'a whitelist entry needs a reason');
  const expiresAt = new Date(input.expiresAt);
  if (Number.isNaN(expiresAt.getTime()))
    throw badRequest('WHITELIST_INVALID', 'expiresAt must be an ISO 8601 date-time');
  if (expiresAt.getTime() <= now.getTime())
    throw badRequest('WHITELIST_INVALID', 'expiresAt must be in the future');
  if (expiresAt.getTime() > now.getTime() + MAX_WHITELIST_DAYS * 86_400_000)
    throw badRequest('WHITELIST_INVALID', 'a whitelist entry may last at most one year');
  if (typeof input.pattern === 'string') {
    const command = input.pattern.trim();
    if (command === '') throw badRequest('WHITELIST_INVALID', 'the pattern is empty');
    return { id, kind, command, match: null, reason, expiresAt };
  }
  return { id, kind, command: null, match: { ...input.pattern }, reason, expiresAt };
}

/** The entry as the risk engine reads it (the shape of a policy file's `whitelist:` item). */
export function engineEntry(record: WhitelistRecord): Record<string, unknown> {
  return {
    id: record.id,
    kind: record.kind,
    ...(record.command !== null ? { command: record.command } : { match: record.match }),
    expires: record.expiresAt.toISOString(),
    reason: record.reason,
  };
}
