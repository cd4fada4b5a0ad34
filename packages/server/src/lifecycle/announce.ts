import type { RequestRow } from '@gatehouse/db';
import { observeRequest } from '../platform/metrics.ts';
import type { Runtime } from '../platform/runtime.ts';
import { approverView } from './view.ts';

/**
 * Tells the live stream that a request changed, and its agent that a verdict is ready.
 * Best effort by design: waiting clients re-read the database, so a lost event only
 * delays an answer, never changes it.
 */
export async function announce(
  rt: Pick<Runtime, 'bus' | 'database'>,
  row: RequestRow,
  created: boolean,
): Promise<void> {
  observeRequest(rt, row, created);
  try {
    await rt.bus.publish({
      type: created ? 'request.created' : 'request.updated',
      agentId: row.agentId,
      data: approverView(row),
    });
    if (row.status !== 'pending' && row.verdict) {
      await rt.bus.publish({
        type: 'verdict.ready',
        agentId: row.agentId,
        data: { id: row.id, status: row.status, verdict: row.verdict },
      });
    }
  } catch {
    // The decision is committed; clients that missed the event find it on their next read.
  }
}
