import { schema } from '@gatehouse/db';
import { eq, lt } from 'drizzle-orm';
import type { Principal } from '../auth/principal.ts';
import { actorOf } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import type { Runtime } from '../platform/runtime.ts';

/** A stored recording, for people allowed to read it (and the audit of that reading). */
export async function getRecording(rt: Runtime, by: Principal, requestId: string) {
  const [row] = await rt.database.db
    .select()
    .from(schema.recordings)
    .where(eq(schema.recordings.requestId, requestId));
  if (!row) throw new GatehouseError('RECORDING_NOT_FOUND', `no recording for request ${requestId}`);
  await rt.audit.append({
    type: 'recording.viewed',
    actor: actorOf(by),
    subject: { type: 'request', id: requestId },
    data: {},
  });
  return {
    requestId: row.requestId,
    chunks: row.chunks,
    bytes: row.bytes,
    truncated: row.truncated,
    masked: row.masked,
    createdAt: row.createdAt.toISOString(),
  };
}

/**
 * Deletes recordings older than the retention period. The audit chain keeps each
 * recording's hash and counts forever; only the output itself goes.
 */
export async function purgeRecordings(rt: Runtime, retentionDays: number): Promise<number> {
  const before = new Date(Date.now() - retentionDays * 86_400_000);
  const purged = await rt.audit.transaction(async (tx, record) => {
    const rows = await tx
      .delete(schema.recordings)
      .where(lt(schema.recordings.createdAt, before))
      .returning({ id: schema.recordings.requestId });
    if (rows.length > 0) {
      record({
        type: 'recordings.purged',
        actor: { type: 'system', id: 'gatehouse' },
        data: { count: rows.length, before: before.toISOString(), retentionDays },
      });
    }
    return rows.length;
  });
  return purged;
}
