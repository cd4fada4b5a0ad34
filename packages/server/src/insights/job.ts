import type { Runtime } from '../platform/runtime.ts';
import { refreshRollups } from './rollup.ts';
import { checkDrift } from './service.ts';

/**
 * The security console's background work, in every process that runs jobs: the rollups
 * every `GATEHOUSE_INSIGHTS_INTERVAL_SECONDS`, the drift check every
 * `GATEHOUSE_DRIFT_CHECK_SECONDS` (right after a rollup round, so it judges fresh counts).
 * Replicas take turns through advisory locks; a round that fails is retried by the next one.
 * The first round builds the rollups of the whole history. Returns the stop function.
 */
export function startInsights(rt: Runtime): () => void {
  let running = false;
  // The first drift check waits one period, so it judges rollups that a full round built, not
  // a history still being loaded or backfilled.
  let lastDrift = Date.now();
  let stopped = false;
  const round = async () => {
    if (running || stopped) return;
    running = true;
    try {
      await refreshRollups(rt.database.db);
      if (Date.now() - lastDrift >= rt.config.insights.driftCheckSeconds * 1000) {
        const result = await checkDrift(rt);
        if (result.ran) lastDrift = Date.now();
        if (result.raised.length > 0)
          rt.log.warn({ alarms: result.raised }, 'auto-approval drift alarm raised');
      }
    } catch (error) {
      if (!stopped)
        rt.log.warn({ err: (error as Error).message }, 'insights round failed; the next one retries');
    } finally {
      running = false;
    }
  };
  const first = setTimeout(() => void round(), Math.min(1_000, rt.config.insights.intervalSeconds * 1000));
  const timer = setInterval(() => void round(), rt.config.insights.intervalSeconds * 1000);
  first.unref();
  timer.unref();
  return () => {
    stopped = true;
    clearTimeout(first);
    clearInterval(timer);
  };
}
