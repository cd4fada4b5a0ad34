// How every client of the API waits before trying again (the SDKs' long-poll and stream, the
// web app's live reconnect): one formula, so a fleet that lost the same server spreads out.
// Server-side job retries are BullMQ's own exponential backoff (platform/jobs.ts).

export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 250, maxMs: 10_000 };

/**
 * Delay before retry number `attempt` (0-based): exponential with full jitter, so many
 * agents that lost the same server do not come back in lockstep.
 */
export function backoffDelay(
  attempt: number,
  options: BackoffOptions = DEFAULT_BACKOFF,
  random = Math.random,
): number {
  const exponent = Math.min(Math.max(0, Math.floor(attempt)), 30);
  const ceiling = Math.min(options.maxMs, options.baseMs * 2 ** exponent);
  const r = Math.min(Math.max(random(), 0), 1);
  return Math.max(options.baseMs / 2, Math.floor(ceiling * r));
}
