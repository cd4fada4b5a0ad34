import { GatehouseError } from '../errors.ts';

/**
 * Keyset cursors: the sort key of the last row of a page, opaque to clients. Time keys are
 * kept as the database's own text (microseconds), so no row falls between two pages.
 */
export interface CursorKey {
  /** The timestamp the list is ordered by (deadline or creation), as ISO text with microseconds. */
  t: string;
  /** Score, for the pending queue (ties on deadline). */
  s?: number;
  id: string;
}

export function encodeCursor(key: CursorKey): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(cursor: string): CursorKey {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = undefined;
  }
  const k = key as Partial<CursorKey> | undefined;
  if (
    !k ||
    typeof k.t !== 'string' ||
    Number.isNaN(Date.parse(k.t)) ||
    typeof k.id !== 'string' ||
    k.id.length > 64 ||
    (k.s !== undefined && typeof k.s !== 'number')
  ) {
    throw new GatehouseError('BAD_CURSOR', 'cursor is not one this server issued; start again without it');
  }
  return { t: k.t, id: k.id, ...(k.s !== undefined ? { s: k.s } : {}) };
}

/** `LIKE` pattern for a substring search: the user's `%`, `_` and `\` match themselves. */
export function containsPattern(text: string): string {
  return `%${text.replace(/[\\%_]/g, (c) => `\\${c}`)}%`;
}
