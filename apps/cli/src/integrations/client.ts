import { GatehouseClient, type Logger } from '@gatehouse/sdk';
import type { AgentConfig } from './config.ts';

/**
 * A client for one CLI invocation. The SDK's own log lines go to stderr only with
 * GATEHOUSE_DEBUG=1: the commands print their own, shorter account of what happened, and
 * stdout belongs to the command (run), the hook answer (hook) or the protocol (mcp).
 */
export function createClient(
  config: AgentConfig,
  stderr: NodeJS.WritableStream,
  timeoutMs?: number,
): GatehouseClient {
  return new GatehouseClient({
    url: config.url,
    agentKey: config.agentKey,
    ...(timeoutMs === undefined ? {} : { timeoutMs }),
    ...(process.env.GATEHOUSE_DEBUG === '1' ? { logger: stderrLogger(stderr) } : {}),
  });
}

function stderrLogger(stderr: NodeJS.WritableStream): Logger {
  const line = (level: string) => (message: string, fields?: Record<string, unknown>) => {
    stderr.write(`[${level}] ${message}${fields ? ` ${JSON.stringify(fields)}` : ''}\n`);
  };
  return { debug: line('debug'), info: line('info'), warn: line('warn'), error: line('error') };
}
