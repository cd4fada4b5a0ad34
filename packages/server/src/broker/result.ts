import { createHash } from 'node:crypto';
import { type MaskingConfig, maskTable } from '@gatehouse/mask';
import { canonicalJson } from '../audit/canonical-json.ts';
import { GatehouseError } from '../errors.ts';

/** What a target returned, before masking: the last result set of the text that ran. */
export interface RawResult {
  columns: string[];
  rows: unknown[][];
  truncated: boolean;
  affectedRows: number | null;
}

export interface MaskedResult extends RawResult {
  rowCount: number;
  masked: Record<string, number>;
  /** SHA-256 (hex) over the canonical JSON of the masked columns and rows. */
  sha256: string;
}

/**
 * A cell as JSON carries it. Drivers hand back Dates, Buffers and bigints; they become text
 * here, before masking, so what is masked is exactly what is sent and recorded (a card number
 * in a bytea cell is masked as the text the client would see).
 */
export function jsonCell(value: unknown): unknown {
  if (value === null || value === undefined) return null;
  if (typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? String(value) : value.toISOString();
  if (Buffer.isBuffer(value)) return `\\x${value.toString('hex')}`;
  if (Array.isArray(value)) return value.map(jsonCell);
  if (typeof value === 'object') {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) return String(value);
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, jsonCell(v)]));
  }
  return String(value);
}

export function resultDigest(columns: readonly string[], rows: readonly unknown[][]): string {
  return createHash('sha256').update(canonicalJson({ columns, rows })).digest('hex');
}

/**
 * Masks a result through the masking package, fail closed: if masking throws for any reason,
 * nothing of the result leaves this function, and the caller rolls the statement back.
 */
export function maskResult(raw: RawResult, config?: MaskingConfig): MaskedResult {
  let table: ReturnType<typeof maskTable>;
  try {
    table = maskTable({ columns: raw.columns, rows: raw.rows.map((row) => row.map(jsonCell)) }, config);
  } catch {
    // The error is not passed on: built from the cells, its message could carry what was not masked.
    throw new GatehouseError(
      'RESULT_WITHHELD',
      'the result could not be masked, so it was withheld and the transaction rolled back',
    );
  }
  const masked: Record<string, number> = {};
  for (const [type, n] of Object.entries(table.counts)) if (n) masked[type] = n;
  return {
    columns: table.columns,
    rows: table.rows,
    rowCount: table.rows.length,
    truncated: raw.truncated,
    affectedRows: raw.affectedRows,
    masked,
    sha256: resultDigest(table.columns, table.rows),
  };
}
