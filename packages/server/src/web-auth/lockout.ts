import { type Db, schema } from '@gatehouse/db';
import { and, eq, gte, isNull, lt, lte, or, sql } from 'drizzle-orm';

/** Failures counted over this window… */
export const FAILURE_WINDOW_MS = 15 * 60_000;
/** …up to this many, after which the account (or address) is locked… */
export const MAX_FAILURES = 5;
/** …for this long. */
export const LOCK_MS = 15 * 60_000;

const t = schema.loginFailures;

export interface Attempt {
  key: string;
  /** Set when the key is locked: no password is checked until then. */
  lockedUntil?: Date;
}

/**
 * Counts an attempt on a key (`account:<email>` or `address:<ip>`) *before* the password is
 * checked, in one atomic statement. Counting first means a burst of parallel guesses cannot
 * all slip in before the first failure is recorded: at most MAX_FAILURES are ever checked
 * per window. A success hands its count back (`attemptSucceeded`).
 */
export async function beginAttempt(db: Db, key: string, now = new Date()): Promise<Attempt> {
  const at = sql`${now.toISOString()}::timestamptz`;
  const windowFloor = sql`${new Date(now.getTime() - FAILURE_WINDOW_MS).toISOString()}::timestamptz`;
  const lockEnd = sql`${new Date(now.getTime() + LOCK_MS).toISOString()}::timestamptz`;
  const locked = sql`(${t.lockedUntil} is not null and ${t.lockedUntil} > ${at})`;
  const stale = sql`(${t.windowStart} < ${windowFloor})`;
  const [row] = await db
    .insert(t)
    .values({ key, count: 1, windowStart: now, lockedUntil: null })
    .onConflictDoUpdate({
      target: t.key,
      set: {
        count: sql`case when ${locked} then ${t.count} when ${stale} then 1 else ${t.count} + 1 end`,
        windowStart: sql`case when ${locked} then ${t.windowStart} when ${stale} then ${at} else ${t.windowStart} end`,
        // More attempts in flight than failures allowed: lock now rather than check one more.
        lockedUntil: sql`case when ${locked} then ${t.lockedUntil} when not ${stale} and ${t.count} + 1 > ${MAX_FAILURES} then ${lockEnd} else null end`,
      },
    })
    .returning();
  const lockedUntil =
    row?.lockedUntil && row.lockedUntil.getTime() > now.getTime() ? row.lockedUntil : undefined;
  return lockedUntil ? { key, lockedUntil } : { key };
}

/**
 * The attempt failed: its count stays. Reaching MAX_FAILURES locks the key; returns the end
 * of the lock when this failure is the one that imposed it.
 */
export async function attemptFailed(db: Db, key: string, now = new Date()): Promise<Date | undefined> {
  const until = new Date(now.getTime() + LOCK_MS);
  const [row] = await db
    .update(t)
    .set({ lockedUntil: until })
    .where(
      and(eq(t.key, key), gte(t.count, MAX_FAILURES), or(isNull(t.lockedUntil), lte(t.lockedUntil, now))),
    )
    .returning({ lockedUntil: t.lockedUntil });
  return row?.lockedUntil ?? undefined;
}

/** The account's failures are forgiven; the address only gets back the count of this attempt. */
export async function attemptSucceeded(db: Db, accountKey: string, addressKey: string): Promise<void> {
  await db.delete(t).where(eq(t.key, accountKey));
  await db
    .update(t)
    .set({ count: sql`greatest(${t.count} - 1, 0)` })
    .where(eq(t.key, addressKey));
}

/** Drops counters that no longer matter, so probing many emails cannot grow the table forever. */
export async function forgetStaleAttempts(db: Db, now = new Date()): Promise<void> {
  await db
    .delete(t)
    .where(
      and(
        lt(t.windowStart, new Date(now.getTime() - FAILURE_WINDOW_MS)),
        or(isNull(t.lockedUntil), lt(t.lockedUntil, now)),
      ),
    );
}
