import type { FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';

declare global {
  interface String {
    /** ES2024; in every Node version Gatehouse runs on (≥ 20). */
    isWellFormed(): boolean;
  }
}

/**
 * Deeper JSON than any body of the contract needs (a recording chunk is 4 levels down). A
 * deeper document is refused before anything walks it recursively (the schema validator,
 * JSON.stringify, the audit's canonical JSON), which would exhaust the stack.
 */
export const MAX_JSON_DEPTH = 32;

/** Headers the server reads; the others are passed over, never stored or compared. */
const HEADERS_READ = ['authorization', 'cookie', 'x-csrf-token', 'origin', 'content-type'] as const;

/** The first character of `text` that PostgreSQL cannot store as text: NUL, or a lone surrogate. */
export function badCharacter(text: string): { offset: number; what: string } | undefined {
  const nul = text.indexOf('\0');
  if (text.isWellFormed()) return nul === -1 ? undefined : { offset: nul, what: 'a NUL character (U+0000)' };
  for (let i = 0; i < text.length; i++) {
    const unit = text.charCodeAt(i);
    if (unit === 0) return { offset: i, what: 'a NUL character (U+0000)' };
    if (unit >= 0xd800 && unit <= 0xdbff) {
      const next = text.charCodeAt(i + 1);
      if (next >= 0xdc00 && next <= 0xdfff) {
        i++;
        continue;
      }
    } else if (unit < 0xdc00 || unit > 0xdfff) continue;
    return {
      offset: i,
      what: `an unpaired UTF-16 surrogate (U+${unit.toString(16).toUpperCase()})`,
    };
  }
  return undefined;
}

/** One JSON pointer segment (RFC 6901), shortened and made printable for a message. */
function segment(key: string | number): string {
  if (typeof key === 'number') return String(key);
  const short = key.length > 40 ? `${key.slice(0, 40)}…` : key;
  let out = '';
  for (let i = 0; i < short.length; i++) {
    const unit = short.charCodeAt(i);
    const paired =
      (unit >= 0xd800 && unit <= 0xdbff && isLow(short.charCodeAt(i + 1))) ||
      (isLow(unit) && i > 0 && isHigh(short.charCodeAt(i - 1)));
    if (unit < 0x20 || unit === 0x7f || (unit >= 0xd800 && unit <= 0xdfff && !paired))
      out += `\\u${unit.toString(16).padStart(4, '0')}`;
    else if (short[i] === '~') out += '~0';
    else if (short[i] === '/') out += '~1';
    else out += short[i];
  }
  return out;
}

const isHigh = (unit: number) => unit >= 0xd800 && unit <= 0xdbff;
const isLow = (unit: number) => unit >= 0xdc00 && unit <= 0xdfff;

function pointer(path: readonly (string | number)[]): string {
  const shown = path.length > 12 ? [...path.slice(0, 12).map(segment), '…'] : path.map(segment);
  return shown.map((s) => `/${s}`).join('');
}

function refuse(
  part: string,
  path: readonly (string | number)[],
  found: { offset: number; what: string },
  key: boolean,
): never {
  const where = `${part}${pointer(path)}`;
  const which = key ? `${where}: the property name` : where;
  throw new GatehouseError(
    'INVALID_TEXT',
    `${which} holds ${found.what} at offset ${found.offset}; text must be valid Unicode, without NUL characters`,
  );
}

/**
 * Checks every string of a parsed JSON value (keys included), without recursion: a NUL or a
 * lone surrogate would otherwise reach PostgreSQL, which refuses both in text and jsonb.
 */
export function assertText(part: string, value: unknown): void {
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value, path: [] }];
  for (let item = stack.pop(); item !== undefined; item = stack.pop()) {
    const { value: current, path } = item;
    if (typeof current === 'string') {
      const found = badCharacter(current);
      if (found) refuse(part, path, found, false);
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    if (path.length >= MAX_JSON_DEPTH) {
      throw new GatehouseError(
        'VALIDATION_FAILED',
        `${part}${pointer(path)} is nested deeper than ${MAX_JSON_DEPTH} levels`,
      );
    }
    if (Array.isArray(current)) {
      for (let i = current.length - 1; i >= 0; i--) stack.push({ value: current[i], path: [...path, i] });
      continue;
    }
    const keys = Object.keys(current);
    for (let i = keys.length - 1; i >= 0; i--) {
      const key = keys[i]!;
      const found = badCharacter(key);
      if (found) refuse(part, [...path, key], found, true);
      stack.push({ value: (current as Record<string, unknown>)[key], path: [...path, key] });
    }
  }
}

/**
 * The edge check of every request, after authentication and before schema validation: no
 * string the server reads may hold what PostgreSQL cannot store, wherever it came from.
 * Refused with INVALID_TEXT (400) naming the field as `part/json/pointer`.
 */
export async function rejectInvalidText(request: FastifyRequest): Promise<void> {
  for (const name of HEADERS_READ) {
    const value = request.headers[name];
    if (typeof value === 'string') {
      const found = badCharacter(value);
      if (found) refuse('headers', [name], found, false);
    }
  }
  assertText('params', request.params);
  assertText('querystring', request.query);
  assertText('body', request.body);
}
