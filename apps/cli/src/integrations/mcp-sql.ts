import type { GatehouseClient, PendingRequest, SqlResult } from '@gatehouse/sdk';
import { GatehouseError, refusalMessage, SqlRefusedError } from '@gatehouse/sdk';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AgentConfig } from './config.ts';
import { waitingMessage } from './describe.ts';

const DESCRIPTION = `Run one SQL statement on a named database connection, through the Gatehouse gateway.
The gateway holds the credentials and runs the statement only after Gatehouse approves it: reads
usually run at once (in a READ ONLY transaction), writes wait for a person. Returns the columns and
rows as JSON, with secrets masked; a capped result says it was truncated. A refusal or a pending
approval comes back as an error that says what to do; never try to reach the data another way.`;

/** Failures after which a retry may still find the same request decided. */
const KEEP_WAITING = new Set(['ERR_TIMEOUT', 'ERR_NETWORK', 'ERR_SERVER']);

/**
 * Adds `run_sql` to the MCP server: the statement goes through the broker (`client.sql`), so
 * the model never holds a database credential. A statement still waiting for approval is
 * remembered, and the model's retry waits on the same request.
 */
export function registerRunSql(server: McpServer, client: GatehouseClient, config: AgentConfig): void {
  const waiting = new Map<string, { requestId: string; expiresAt: number }>();
  server.registerTool(
    'run_sql',
    {
      title: 'Run SQL on a connection (Gatehouse-brokered)',
      description: DESCRIPTION,
      inputSchema: {
        connection: z.string().min(1).max(64).describe('the connection name, e.g. orders-prod'),
        statement: z
          .string()
          .min(1)
          .max(64 * 1024)
          .describe('the exact SQL to run'),
        justification: z
          .string()
          .max(2000)
          .optional()
          .describe('why this statement is needed, for the approver'),
      },
      annotations: { destructiveHint: true, openWorldHint: false },
    },
    async ({ connection, statement, justification }, extra): Promise<CallToolResult> => {
      const key = JSON.stringify([connection, statement, justification ?? '']);
      const now = Date.now();
      for (const [k, entry] of waiting) if (entry.expiresAt < now) waiting.delete(k);
      let pending: PendingRequest | undefined;
      const prior = waiting.get(key);
      try {
        const result = await client.sql(connection, statement, {
          authorizeTimeoutMs: config.mcp.waitSeconds * 1000,
          signal: extra.signal,
          context: { tool: 'mcp:run_sql', ...(justification ? { justification } : {}) },
          onPending: (info) => {
            pending = info;
          },
          ...(prior ? { resumeRequestId: prior.requestId } : {}),
        });
        waiting.delete(key);
        return { content: [{ type: 'text', text: describeResult(result) }] };
      } catch (error) {
        if (error instanceof SqlRefusedError) {
          const { decision } = error;
          if (
            decision.status === 'error' &&
            KEEP_WAITING.has(decision.error?.code ?? '') &&
            decision.requestId
          ) {
            const expiresAt = (pending?.deadline?.getTime() ?? now + 15 * 60_000) + 60_000;
            waiting.set(key, { requestId: decision.requestId, expiresAt });
            if (decision.error?.code === 'ERR_TIMEOUT')
              return toolError(waitingMessage(decision.requestId, 'sql', pending, config.mcp.waitSeconds));
          } else waiting.delete(key);
          return toolError(refusalMessage(decision));
        }
        waiting.delete(key);
        const failure = error instanceof GatehouseError ? error : undefined;
        return toolError(
          `The statement was approved but the gateway did not return a result (${failure?.serverCode ?? failure?.code ?? 'ERR_INTERNAL'}): ${
            failure?.message ?? String(error)
          }. Nothing partial was returned.`,
        );
      }
    },
  );
}

function describeResult(result: SqlResult): string {
  const lines = [
    `${result.rowCount} row${result.rowCount === 1 ? '' : 's'}${result.truncated ? ' (truncated: the statement returned more, only these are shown)' : ''}` +
      `${result.affectedRows === null ? '' : `, ${result.affectedRows} affected`} (Gatehouse request ${result.decision.requestId}, ${result.decision.status})`,
    JSON.stringify({ columns: result.columns, rows: result.rows }),
  ];
  return lines.join('\n');
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}
