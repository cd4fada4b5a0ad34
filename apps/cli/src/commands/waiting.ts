import type { GatehouseClient } from '@gatehouse/sdk';
import { createClient } from '../integrations/client.ts';
import { type AgentConfig, ConfigError, loadAgentConfig } from '../integrations/config.ts';
import { PendingProgress } from '../integrations/progress.ts';
import type { CommandIO } from '../io.ts';

/** Nothing ran: refused, expired, or Gatehouse could not be asked. */
export const NOT_RUN = 126;

/**
 * What a command that submits to Gatehouse and waits for people holds: the agent's client, the
 * progress line on stderr, and Ctrl-C / SIGTERM turned into an abort of the wait (the request
 * is then cancelled by the SDK, never left pending).
 */
export interface WaitingCall {
  config: AgentConfig;
  client: GatehouseClient;
  progress: PendingProgress;
  signal: AbortSignal;
  /** Stops listening for signals; the client stays open for the caller to close. */
  release(): void;
}

/** The call's set-up, or NOT_RUN (said on stderr) when the configuration lets nothing run. */
export function startWaitingCall(io: CommandIO): WaitingCall | typeof NOT_RUN {
  let config: AgentConfig;
  try {
    config = loadAgentConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr.write(`gatehouse: not run — ${error.message}\n`);
      return NOT_RUN;
    }
    throw error;
  }
  const interrupt = new AbortController();
  const onInterrupt = () => interrupt.abort();
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onInterrupt);
  return {
    config,
    client: createClient(config, io.stderr),
    progress: new PendingProgress(io.stderr as NodeJS.WritableStream & { isTTY?: boolean }),
    signal: interrupt.signal,
    release: () => {
      process.off('SIGINT', onInterrupt);
      process.off('SIGTERM', onInterrupt);
    },
  };
}
