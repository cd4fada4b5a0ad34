import { GatehouseError, refusalMessage, SqlRefusedError, type SqlResult } from '@gatehouse/sdk';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';
import { table } from '../table.ts';
import { NOT_RUN, startWaitingCall } from './waiting.ts';

/** The gateway ran it, but the target refused it, timed out, or its result was withheld. */
export const TARGET_FAILED = 1;

export interface SqlOptions {
  connection: string;
  json?: boolean;
  justification?: string;
}

function cellText(value: unknown): string {
  if (value === null || value === undefined) return 'NULL';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

function render(result: SqlResult, json: boolean): string {
  if (json)
    return `${JSON.stringify({
      columns: result.columns,
      rows: result.rows,
      rowCount: result.rowCount,
      truncated: result.truncated,
      affectedRows: result.affectedRows,
      requestId: result.decision.requestId,
    })}\n`;
  const count = `(${result.rowCount} row${result.rowCount === 1 ? '' : 's'}${
    result.truncated ? '; truncated: the statement returned more rows than the gateway returns' : ''
  }${result.affectedRows === null ? '' : `; ${result.affectedRows} affected`})`;
  if (result.columns.length === 0) return `${count}\n`;
  return `${table(
    [...result.columns],
    result.rows.map((row) => row.map(cellText)),
    '',
  )}\n${count}\n`;
}

/** `gatehouse sql --connection NAME "statement"`: the gateway runs it once Gatehouse allows it. */
export async function sqlCommand(statement: string, options: SqlOptions, io: CommandIO): Promise<number> {
  if (!statement?.trim()) throw new CliError('no statement given (see `gatehouse sql --help`)');
  const call = startWaitingCall(io);
  if (call === NOT_RUN) return NOT_RUN;
  const { client, progress, signal } = call;
  try {
    const result = await client.sql(options.connection, statement, {
      context: {
        tool: 'gatehouse sql',
        ...(options.justification ? { justification: options.justification } : {}),
      },
      signal: signal,
      onPending: (pending) => progress.start(pending),
    });
    progress.stop();
    io.stdout.write(render(result, options.json === true));
    return 0;
  } catch (error) {
    progress.stop();
    if (error instanceof SqlRefusedError) {
      io.stderr.write(`gatehouse: not run — ${refusalMessage(error.decision)}\n`);
      return signal.aborted ? 130 : NOT_RUN;
    }
    if (error instanceof GatehouseError) {
      io.stderr.write(`gatehouse: ${error.serverCode ?? error.code} — ${error.message}\n`);
      return error.serverCode === 'TARGET_UNREACHABLE' || !error.serverCode ? NOT_RUN : TARGET_FAILED;
    }
    throw error;
  } finally {
    call.release();
    client.close();
  }
}
