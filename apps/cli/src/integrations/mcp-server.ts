import { isAbsolute, resolve } from 'node:path';
import type { GatehouseClient, PendingRequest, RunResult } from '@gatehouse/sdk';
import { refusalMessage } from '@gatehouse/sdk';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { AgentConfig } from './config.ts';
import { waitingMessage } from './describe.ts';
import { registerRunSql } from './mcp-sql.ts';

export const SERVER_NAME = 'gatehouse';
const OUTPUT_LIMIT_BYTES = 256 * 1024;
const PROGRESS_EVERY_MS = 10_000;
/** Failures after which a retry may still find the same request decided. */
const KEEP_WAITING = new Set(['ERR_TIMEOUT', 'ERR_NETWORK', 'ERR_SERVER']);

const DESCRIPTION = `Run a shell command (/bin/sh -c) after Gatehouse approves it.
Read-only commands usually run at once; risky ones wait for a person, and some are always denied.
Returns the exit code and the output, with secrets masked. A refusal or a pending approval comes
back as an error that says what to do; never try to reach the same effect another way.`;

interface Waiting {
  requestId: string;
  expiresAt: number;
}

/**
 * The `run_shell` MCP server. A request still pending when the wait ends is remembered by
 * command and directory, so the model's retry waits on it again instead of starting over —
 * an approval given in between is what lets the retry run.
 */
export function createMcpServer(client: GatehouseClient, config: AgentConfig, version: string): McpServer {
  const server = new McpServer({ name: SERVER_NAME, version });
  const waiting = new Map<string, Waiting>();

  server.registerTool(
    'run_shell',
    {
      title: 'Run a shell command (Gatehouse-approved)',
      description: DESCRIPTION,
      inputSchema: {
        command: z
          .string()
          .min(1)
          .max(64 * 1024)
          .describe('the exact command line to run'),
        cwd: z.string().min(1).optional().describe('working directory (absolute); default: the server’s'),
        justification: z
          .string()
          .max(2000)
          .optional()
          .describe('why this command is needed, for the approver'),
      },
      annotations: { destructiveHint: true, openWorldHint: true },
    },
    async ({ command, cwd, justification }, extra): Promise<CallToolResult> => {
      const directory = cwd ? (isAbsolute(cwd) ? cwd : resolve(cwd)) : process.cwd();
      const key = JSON.stringify([command, directory, justification ?? '']);
      const now = Date.now();
      for (const [k, entry] of waiting) if (entry.expiresAt < now) waiting.delete(k);

      const progressToken = extra._meta?.progressToken;
      let pending: PendingRequest | undefined;
      let ticker: NodeJS.Timeout | undefined;
      const onPending = (info: PendingRequest) => {
        pending = info;
        if (progressToken === undefined) return;
        // Progress lets clients that reset their request timeout on progress keep waiting.
        const started = Date.now();
        ticker = setInterval(() => {
          void extra
            .sendNotification({
              method: 'notifications/progress',
              params: {
                progressToken,
                progress: Math.round((Date.now() - started) / 1000),
                message: `waiting for approval of Gatehouse request ${info.requestId}`,
              },
            })
            .catch(() => {});
        }, PROGRESS_EVERY_MS);
      };

      const attempt = (resumeRequestId?: string) =>
        client.run(command, {
          cwd: directory,
          stdio: 'pipe',
          maxOutputBytes: OUTPUT_LIMIT_BYTES,
          timeoutMs: config.mcp.timeoutSeconds * 1000,
          authorizeTimeoutMs: config.mcp.waitSeconds * 1000,
          signal: extra.signal,
          context: { tool: 'mcp:run_shell', ...(justification ? { justification } : {}) },
          onPending,
          ...(resumeRequestId === undefined ? {} : { resumeRequestId }),
        });

      let result: RunResult;
      try {
        const prior = waiting.get(key);
        result = await attempt(prior?.requestId);
        if (prior) {
          const { decision } = result;
          const stillWaiting = decision.status === 'error' && KEEP_WAITING.has(decision.error?.code ?? '');
          if (!stillWaiting) waiting.delete(key);
          // Nobody decided in time: the retry is a new request, with a new round of approvals.
          if (decision.status === 'expired') result = await attempt();
        }
      } finally {
        if (ticker) clearInterval(ticker);
      }

      if (!result.allowed) {
        const { decision } = result;
        if (decision.status === 'error' && decision.error?.code === 'ERR_TIMEOUT' && decision.requestId) {
          const expiresAt = (pending?.deadline?.getTime() ?? now + 15 * 60_000) + 60_000;
          waiting.set(key, { requestId: decision.requestId, expiresAt });
          return toolError(waitingMessage(decision.requestId, 'shell', pending, config.mcp.waitSeconds));
        }
        return toolError(refusalMessage(decision));
      }
      if (result.spawnError)
        return toolError(`The command was approved but could not start: ${result.spawnError}`);
      return { content: [{ type: 'text', text: describeRun(result, config.mcp.timeoutSeconds) }] };
    },
  );
  registerRunSql(server, client, config);
  return server;
}

function describeRun(result: RunResult, timeoutSeconds: number): string {
  // The SDK has masked both streams (or withheld them) before they reach this model's context.
  const stdout = result.stdout ?? '';
  const stderr = result.stderr ?? '';
  const status = result.timedOut
    ? `killed after ${timeoutSeconds} s (timeout)`
    : result.signal
      ? `killed by ${result.signal}`
      : `exit code ${result.exitCode}`;
  return [
    `${status} (Gatehouse request ${result.decision.requestId}, ${result.decision.status})`,
    `--- stdout ---\n${stdout}`,
    ...(stderr ? [`--- stderr ---\n${stderr}`] : []),
    ...(result.truncated ? [`(output truncated at ${OUTPUT_LIMIT_BYTES} bytes per stream)`] : []),
  ].join('\n');
}

function toolError(text: string): CallToolResult {
  return { isError: true, content: [{ type: 'text', text }] };
}
