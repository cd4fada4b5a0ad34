import type { Runtime } from '../platform/runtime.ts';
import { baselinesChanged } from './detector.ts';
import { foldNewRequests } from './store.ts';

/**
 * The baseline job, in every process that runs jobs: every `GATEHOUSE_INSIGHTS_INTERVAL_SECONDS`
 * it folds the requests past its watermark into the baselines (the first round takes in the
 * whole history, a page at a time), then has every replica reload them. Replicas take turns
 * page by page through an advisory lock; a round that fails is retried by the next one. Returns the stop
 * function.
 */
export function startBaselineJob(rt: Runtime): () => void {
  let running = false;
  let stopped = false;
  const round = async () => {
    if (running || stopped) return;
    running = true;
    try {
      const result = await foldNewRequests(rt.database.db);
      if ((result.folded > 0 || result.resolved > 0) && !stopped) await baselinesChanged(rt);
    } catch (error) {
      if (!stopped)
        rt.log.warn({ err: (error as Error).message }, 'anomaly baseline round failed; the next one retries');
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
