import type { RenewWhitelistBody, RetireWhitelistBody } from '@gatehouse/contract';
import { type Db, schema } from '@gatehouse/db';
import { eq } from 'drizzle-orm';
import { actorOf, type Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { newId } from '../ids.ts';
import type { Runtime } from '../platform/runtime.ts';
import { type ReviewRow, settingsOf } from './governance.ts';
import { whitelistChanged } from './loader.ts';
import { renewalDate, reviewComment, reviewOf } from './review.ts';

/**
 * A reviewer's renew and retire: each one transaction with its audit event, then applied
 * here at once and on every other replica (`whitelist.changed`).
 */

interface Target {
  source: 'policy' | 'added';
  /** An added entry's creation; null for a policy-file entry (its review row holds when it was first seen). */
  createdAt: Date | null;
  expiresAt: Date;
}

/** The entry a review names: an added one, else one of the policy file's; refused when it cannot be reviewed. */
async function reviewTarget(rt: Runtime, tx: Db, id: string): Promise<Target> {
  const [added] = await tx.select().from(schema.whitelistEntries).where(eq(schema.whitelistEntries.id, id));
  if (added) {
    if (added.revokedAt) throw new GatehouseError('ALREADY_REVOKED', 'this whitelist entry was revoked');
    return { source: 'added', createdAt: added.createdAt, expiresAt: added.expiresAt };
  }
  const entry = rt.policyEngine.policyWhitelist().find((e) => e.id === id);
  if (!entry) throw new GatehouseError('WHITELIST_NOT_FOUND', `no whitelist entry ${id}`);
  return { source: 'policy', createdAt: null, expiresAt: entry.expires };
}

/** Locks the entry's review row, creating it first, and refuses a retired entry. */
async function lockReview(tx: Db, id: string, target: Target): Promise<ReviewRow> {
  await tx
    .insert(schema.whitelistReviews)
    .values({ entryId: id, source: target.source })
    .onConflictDoNothing();
  const [row] = await tx
    .select()
    .from(schema.whitelistReviews)
    .where(eq(schema.whitelistReviews.entryId, id))
    .for('update');
  if (!row) throw new GatehouseError('WHITELIST_NOT_FOUND', `no whitelist entry ${id}`);
  if (row.retiredAt) throw new GatehouseError('WHITELIST_RETIRED', 'this whitelist entry was retired');
  return row;
}

export async function renewEntry(rt: Runtime, by: Principal, id: string, body: RenewWhitelistBody) {
  const now = new Date();
  const nextReviewAt = renewalDate(body.nextReviewAt, now);
  const comment = reviewComment(body.comment);
  await rt.audit.transaction(async (tx, record) => {
    const target = await reviewTarget(rt, tx, id);
    if (target.expiresAt.getTime() <= now.getTime())
      throw new GatehouseError(
        'WHITELIST_REVIEW_INVALID',
        'this whitelist entry expired: there is nothing to renew',
      );
    const row = await lockReview(tx, id, target);
    const created = target.createdAt ?? row.firstSeenAt;
    const previous = reviewOf(
      { createdAt: created, nextReviewAt: row.nextReviewAt, retiredAt: null },
      settingsOf(rt.policyEngine),
      now,
    );
    await tx
      .update(schema.whitelistReviews)
      .set({ nextReviewAt, updatedAt: now })
      .where(eq(schema.whitelistReviews.entryId, id));
    await tx.insert(schema.whitelistReviewEvents).values({
      id: newId('wlr'),
      entryId: id,
      action: 'renew',
      by: by.id,
      at: now,
      comment,
      nextReviewAt,
    });
    record({
      type: 'whitelist.renewed',
      actor: actorOf(by),
      subject: { type: 'whitelist', id },
      data: {
        source: target.source,
        nextReviewAt: nextReviewAt.toISOString(),
        previousReviewAt: previous.nextReviewAt.toISOString(),
        previousState: previous.state,
        comment,
      },
    });
  });
  await whitelistChanged(rt, id);
  return { id, action: 'renew' as const, at: now.toISOString(), nextReviewAt: nextReviewAt.toISOString() };
}

export async function retireEntry(rt: Runtime, by: Principal, id: string, body: RetireWhitelistBody) {
  const now = new Date();
  const comment = reviewComment(body.comment);
  await rt.audit.transaction(async (tx, record) => {
    const target = await reviewTarget(rt, tx, id);
    await lockReview(tx, id, target);
    await tx
      .update(schema.whitelistReviews)
      .set({ retiredAt: now, retiredBy: by.id, updatedAt: now })
      .where(eq(schema.whitelistReviews.entryId, id));
    await tx.insert(schema.whitelistReviewEvents).values({
      id: newId('wlr'),
      entryId: id,
      action: 'retire',
      by: by.id,
      at: now,
      comment,
      nextReviewAt: null,
    });
    record({
      type: 'whitelist.retired',
      actor: actorOf(by),
      subject: { type: 'whitelist', id },
      data: { source: target.source, comment },
    });
  });
  await whitelistChanged(rt, id);
  return { id, action: 'retire' as const, at: now.toISOString(), nextReviewAt: null };
}
