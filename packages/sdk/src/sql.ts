import { isRecord } from '@gatehouse/contract';
import { type MaskingConfig, maskTable } from '@gatehouse/mask';
import { GatehouseError } from './errors.ts';
import type { AuthorizationDecision } from './types.ts';

/** The verdict target of a brokered request: the server binds the connection's name into it. */
export function connectionTarget(name: string): string {
  return `connection:${name}`;
}

/**
 * The dialects a connection can have. The server picks it from the connection's engine; the
 * SDK does not know the engine, so it accepts a verdict for this exact statement and
 * connection under any of them (the dialect decides only how the statement was scored).
 */
export const CONNECTION_DIALECTS = ['postgresql', 'mysql', 'mariadb'] as const;

/** What `client.sql()` answers: the masked rows of the statement the gateway ran. */
export interface SqlResult {
  readonly columns: readonly string[];
  readonly rows: readonly (readonly unknown[])[];
  readonly rowCount: number;
  /** The statement returned more rows than the server's cap; `rows` holds the first ones. */
  readonly truncated: boolean;
  /** Rows an INSERT, UPDATE or DELETE changed, when the target said. */
  readonly affectedRows: number | null;
  /** Masked values per type. */
  readonly masked: Readonly<Record<string, number>>;
  readonly readOnly: boolean;
  readonly durationMs: number;
  readonly decision: AuthorizationDecision;
}

/** The statement was not allowed, or its authorization failed: nothing ran. `decision` says why. */
export class SqlRefusedError extends GatehouseError {
  constructor(readonly decision: AuthorizationDecision) {
    super(
      decision.error?.code ?? 'ERR_NOT_ALLOWED',
      decision.error?.message ??
        `the statement was not allowed (${decision.status}): ${decision.reasons.map((r) => r.rule).join(', ') || 'no reasons given'}`,
    );
  }
}

function protocol(message: string): GatehouseError {
  return new GatehouseError('ERR_PROTOCOL', message);
}

/**
 * Reads the execute answer, then masks it again here (the server already did): fail closed,
 * so a result this process cannot mask is withheld, never handed over.
 */
export function parseSqlResult(
  body: unknown,
  decision: AuthorizationDecision,
  masking: MaskingConfig | undefined,
  mask: boolean,
): SqlResult {
  if (!isRecord(body)) throw protocol('execute answer is not an object');
  const { columns, rows, rowCount, truncated, affectedRows, masked, readOnly, durationMs } = body;
  if (!Array.isArray(columns) || !columns.every((c) => typeof c === 'string'))
    throw protocol('execute answer has no column list');
  if (!Array.isArray(rows) || !rows.every((r) => Array.isArray(r) && r.length === columns.length))
    throw protocol('execute answer rows do not match its columns');
  if (typeof rowCount !== 'number' || rowCount !== rows.length)
    throw protocol('execute answer row count does not match its rows');
  if (typeof truncated !== 'boolean') throw protocol('execute answer does not say whether it was truncated');
  let table = { columns: columns as string[], rows: rows as unknown[][] };
  if (mask) {
    try {
      const again = maskTable(table, masking);
      table = { columns: again.columns, rows: again.rows };
    } catch {
      throw new GatehouseError('ERR_INTERNAL', 'the result could not be masked here, so it was withheld');
    }
  }
  return Object.freeze({
    columns: Object.freeze(table.columns),
    rows: Object.freeze(table.rows.map((r) => Object.freeze(r))),
    rowCount,
    truncated,
    affectedRows: typeof affectedRows === 'number' ? affectedRows : null,
    masked: Object.freeze(isRecord(masked) ? ({ ...masked } as Record<string, number>) : {}),
    readOnly: readOnly === true,
    durationMs: typeof durationMs === 'number' ? durationMs : 0,
    decision,
  });
}
