import { createHash } from 'node:crypto';
import { type Db, schema } from '@gatehouse/db';
import { signCompactJws } from '@gatehouse/verdict';
import { asc, gt, sql } from 'drizzle-orm';
import type { KeyRing } from '../keys/keyring.ts';
import type { ChainHead } from './chain.ts';
import type { Witnesses, WitnessOutcome } from './witness.ts';

export const CHECKPOINT_TYP = 'gatehouse-audit-checkpoint+jwt';
const CHECKPOINT_LOCK = 0x6a7e_4d18;

/** What a checkpoint signs. Heads are those that moved since `prev`; folding all gives every head. */
export interface CheckpointPayload {
  v: 1;
  seq: number;
  /** SHA-256 (hex) of the previous checkpoint's JWS; null for the first. */
  prev: string | null;
  createdAt: string;
  heads: ChainHead[];
  /** Events in the log when the checkpoint was taken (a truncation hint for humans). */
  events: number;
}

export function checkpointHash(jws: string): string {
  return createHash('sha256').update(jws, 'utf8').digest('hex');
}

/** Decodes a checkpoint JWS payload without verifying it (verification is the verifier's job). */
export function decodeCheckpoint(jws: string): CheckpointPayload {
  const payload = jws.split('.')[1];
  if (!payload) throw new Error('malformed checkpoint');
  return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as CheckpointPayload;
}

export type CreatedCheckpoint = CheckpointPayload & {
  /** What the witnesses did with it: the line the file took, the witnesses that failed. */
  witness?: WitnessOutcome;
};

/**
 * Signs the current heads of every chain that moved since the last checkpoint. Serialised
 * across processes by an advisory lock, so checkpoints form one line. Returns undefined
 * when nothing moved and `force` is false (interval checkpoints of an idle log).
 *
 * Once committed, the checkpoint goes to the witnesses (never before: a witness must not
 * know a checkpoint the database could still roll back). A witness that fails leaves the
 * checkpoint in place; the outcome says which failed, and the next entry carries every lane.
 */
export async function createCheckpoint(
  db: Db,
  keys: KeyRing,
  options: { force?: boolean; witness?: Witnesses } = {},
): Promise<CreatedCheckpoint | undefined> {
  const created = await db.transaction(async (tx) => {
    await tx.execute(sql`select pg_advisory_xact_lock(${CHECKPOINT_LOCK})`);
    const previous = await tx
      .select()
      .from(schema.auditCheckpoints)
      .orderBy(asc(schema.auditCheckpoints.seq));
    const known = new Map<string, ChainHead>();
    for (const row of previous)
      for (const head of decodeCheckpoint(row.jws).heads) known.set(head.chain, head);
    const current = await tx.execute(
      sql`select distinct on (chain) chain, seq, hash from audit_events order by chain, seq desc`,
    );
    const heads = (current.rows as { chain: string; seq: string | number; hash: string }[])
      .map((r) => ({ chain: r.chain, seq: Number(r.seq), hash: r.hash }))
      .filter((h) => {
        const k = known.get(h.chain);
        return !k || k.seq !== h.seq || k.hash !== h.hash;
      });
    if (heads.length === 0 && !options.force) return undefined;
    const [count] = (await tx.execute(sql`select count(*)::bigint as n from audit_events`)).rows as {
      n: string;
    }[];
    const last = previous.at(-1);
    const now = new Date();
    const payload: CheckpointPayload = {
      v: 1,
      seq: (last?.seq ?? 0) + 1,
      prev: last ? checkpointHash(last.jws) : null,
      createdAt: now.toISOString(),
      heads,
      events: Number(count?.n ?? 0),
    };
    const jws = signCompactJws({ typ: CHECKPOINT_TYP }, payload, await keys.signer('audit'));
    await tx.insert(schema.auditCheckpoints).values({ seq: payload.seq, createdAt: now, jws });
    const all = (current.rows as { chain: string; seq: string | number; hash: string }[]).map((r) => ({
      chain: r.chain,
      seq: Number(r.seq),
      hash: r.hash,
    }));
    return { payload, jws, all };
  });
  if (!created) return undefined;
  const { payload, jws, all } = created;
  if (!options.witness?.configured) return payload;
  const full = options.witness.wantsFull;
  const witness = await options.witness.record({
    kind: 'checkpoint',
    checkpoint: { seq: payload.seq, hash: checkpointHash(jws), createdAt: payload.createdAt },
    events: payload.events,
    lanes: full ? all : payload.heads,
    full,
  });
  return { ...payload, witness };
}

/** Checkpoints after `seq`, in order. */
export async function checkpointsAfter(db: Db, seq = 0) {
  return db
    .select()
    .from(schema.auditCheckpoints)
    .where(gt(schema.auditCheckpoints.seq, seq))
    .orderBy(asc(schema.auditCheckpoints.seq));
}
