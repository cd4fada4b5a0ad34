import { type AuthorizationDecision, type PendingRequest, refusalMessage } from '@gatehouse/sdk';
import { actionFor, HookInputError, MAX_EVENT_BYTES, parseEvent } from './claude-code.ts';
import { createClient } from './client.ts';
import type { AgentConfig } from './config.ts';
import { waitingMessage } from './describe.ts';
import type { HookAnswer } from './hook-answer.ts';
import { PendingStore, stateKey, statePath } from './hook-state.ts';

/** Failures after which a later retry may still find the same request decided. */
const KEEP_WAITING = new Set(['ERR_TIMEOUT', 'ERR_NETWORK', 'ERR_SERVER']);

/**
 * Decides one PreToolUse event. Throws only for bad input or configuration; the caller turns
 * any throw into a deny.
 */
export async function answerClaudeCode(
  stdinText: string,
  config: AgentConfig,
  answer: HookAnswer,
  stderr: NodeJS.WritableStream,
): Promise<void> {
  if (Buffer.byteLength(stdinText) > MAX_EVENT_BYTES) throw new HookInputError('the hook input is too large');
  const event = parseEvent(stdinText);
  const action = actionFor(event, config.hook, config.file);
  if (action.type === 'allow') return answer.allow(action.reason);
  if (action.type === 'deny') return answer.deny(action.reason);

  const request = action.request;
  const deadline = Date.now() + config.hook.waitSeconds * 1000;
  const remaining = () => Math.max(1, deadline - Date.now());
  const store = new PendingStore(statePath());
  const key = stateKey(config.url, event.session_id, request);
  const client = createClient(config, stderr);
  try {
    let decision: AuthorizationDecision | undefined;
    let pending: PendingRequest | undefined;

    const prior = safely(() => store.get(key), stderr);
    if (prior) {
      decision = await client.authorize({
        ...request,
        resumeRequestId: prior.requestId,
        timeoutMs: remaining(),
      });
      const stillWaiting = decision.status === 'error' && KEEP_WAITING.has(decision.error?.code ?? '');
      if (!stillWaiting) safely(() => store.delete(key), stderr);
      // Nobody decided in time: this retry is a new request, with a new round of approvals.
      if (decision.status === 'expired') decision = undefined;
    }
    if (!decision) {
      decision = await client.authorize({
        ...request,
        timeoutMs: remaining(),
        onPending: (info) => {
          pending = info;
        },
      });
    }

    if (decision.allowed) {
      return answer.allow(
        `Gatehouse allowed request ${decision.requestId} (${decision.status}, tier ${decision.tier ?? '?'}, score ${decision.score ?? '?'}).`,
      );
    }
    if (decision.status === 'error' && decision.error?.code === 'ERR_TIMEOUT' && decision.requestId) {
      const requestId = decision.requestId;
      safely(() => store.set(key, requestId, pending?.deadline), stderr);
      return answer.deny(waitingMessage(requestId, request.kind, pending, config.hook.waitSeconds));
    }
    return answer.deny(refusalMessage(decision));
  } finally {
    client.close();
  }
}

/** The pending store is a convenience: its failures are reported, never fatal. */
function safely<T>(action: () => T, stderr: NodeJS.WritableStream): T | undefined {
  try {
    return action();
  } catch (error) {
    stderr.write(`gatehouse hook: pending-request state: ${(error as Error).message}\n`);
    return undefined;
  }
}
