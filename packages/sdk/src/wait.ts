import { type BackoffOptions, backoffDelay, DEFAULT_BACKOFF, MAX_WAIT_SECONDS } from '@gatehouse/contract';
import { abortError, sleep } from './abort.ts';
import { GatehouseError } from './errors.ts';
import type { HttpResponse } from './http.ts';
import type { SafeLogger } from './logger.ts';
import { type FinalVerdict, parseFinalVerdict } from './protocol.ts';

/** The server holds a long-poll for at most this long; asking for more is refused. */
export { MAX_WAIT_SECONDS };

export interface WaitDeps {
  /** GET /v1/requests/:id/verdict?wait=S; resolves for a 2xx, throws a GatehouseError otherwise. */
  poll: (waitSeconds: number, signal: AbortSignal) => Promise<HttpResponse>;
  /** A final verdict pushed over the stream, when one is available. */
  pushed?: (signal: AbortSignal) => Promise<FinalVerdict>;
  /** When the whole authorization gives up (epoch ms). */
  deadline: number;
  logger: SafeLogger;
  backoff?: BackoffOptions;
  now?: () => number;
}

/**
 * Waits for the final status of a pending request. The stream and the long-poll race;
 * the first final answer wins and stops the other. The long-poll keeps going through
 * transient failures (network, timeout of one poll, 5xx) until the deadline; an answer
 * that says the request is not ours or the agent is refused ends the wait at once.
 */
export async function waitForVerdict(deps: WaitDeps, signal: AbortSignal): Promise<FinalVerdict> {
  const done = new AbortController();
  const scope = AbortSignal.any([signal, done.signal]);
  const contenders: Promise<FinalVerdict>[] = [longPoll(deps, scope)];
  if (deps.pushed) {
    // The stream never settles the race with an error: if it fails, the long-poll decides.
    contenders.push(deps.pushed(scope).catch(() => new Promise<never>(() => {})));
  }
  try {
    return await Promise.race(contenders);
  } finally {
    done.abort(new GatehouseError('ERR_ABORTED', 'wait settled'));
  }
}

async function longPoll(deps: WaitDeps, signal: AbortSignal): Promise<FinalVerdict> {
  const now = deps.now ?? Date.now;
  let failures = 0;
  for (;;) {
    if (signal.aborted) throw abortError(signal);
    const remainingMs = deps.deadline - now();
    if (remainingMs <= 0) throw new GatehouseError('ERR_TIMEOUT', 'no verdict before the deadline');
    const waitSeconds = Math.max(0, Math.min(MAX_WAIT_SECONDS, Math.floor(remainingMs / 1000) - 1));
    let response: HttpResponse;
    try {
      response = await deps.poll(waitSeconds, signal);
    } catch (error) {
      if (signal.aborted) throw abortError(signal);
      if (!isTransient(error)) throw error;
      const delay = backoffDelay(failures, deps.backoff ?? DEFAULT_BACKOFF);
      failures += 1;
      deps.logger.debug('long-poll failed; retrying', { error: String(error), delayMs: delay });
      await sleep(Math.min(delay, Math.max(0, deps.deadline - now())), signal);
      continue;
    }
    failures = 0;
    if (response.status === 200) return parseFinalVerdict(response.body);
    if (response.status === 202) {
      assertPending(response.body);
      // A server that answers 202 immediately (ignoring ?wait) must not turn this into a busy loop.
      if (waitSeconds === 0) await sleep(Math.min(1000, Math.max(0, deps.deadline - now())), signal);
      continue;
    }
    throw new GatehouseError('ERR_PROTOCOL', `verdict endpoint answered HTTP ${response.status}`);
  }
}

function assertPending(body: unknown): void {
  const status = (body as { status?: unknown } | null)?.status;
  if (status !== 'pending')
    throw new GatehouseError('ERR_PROTOCOL', 'verdict endpoint answered 202 without status pending');
}

/** Failures worth another poll; anything else (401 after renewal, 403, 404, bad shapes) is final. */
export function isTransient(error: unknown): boolean {
  if (!(error instanceof GatehouseError)) return false;
  if (error.code === 'ERR_NETWORK' || error.code === 'ERR_TIMEOUT' || error.code === 'ERR_SERVER')
    return true;
  return error.code === 'ERR_REQUEST' && (error.status === 429 || error.status === 408);
}
