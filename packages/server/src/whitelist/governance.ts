import type { GovernedWhitelistEntry, WhitelistGovernanceAnswer } from '@gatehouse/contract';
import { type Db, schema } from '@gatehouse/db';
import { type GatehouseRiskEngine, RiskInputError, type WhitelistEntryData } from '@gatehouse/risk';
import { and, asc, desc, eq, gt, isNotNull, isNull, lte, or } from 'drizzle-orm';
import type { Runtime } from '../platform/runtime.ts';
import { engineEntry } from './entry.ts';
import { hitsUpdatedAt } from './hits.ts';
import {
  blastRadius,
  effectiveExpiry,
  isDue,
  type ReviewInput,
  type ReviewSettings,
  reviewOf,
  reviewSettings,
} from './review.ts';

export type ReviewRow = typeof schema.whitelistReviews.$inferSelect;
type AddedRow = typeof schema.whitelistEntries.$inferSelect;

export function settingsOf(engine: GatehouseRiskEngine): ReviewSettings {
  return reviewSettings(engine.policy.whitelistReview);
}

/**
 * Gives the policy file's entries a review row the first time this server sees them: their
 * "created" for the first review date, shared by every replica (the first to insert wins).
 */
export async function recordPolicyEntries(db: Db, ids: readonly string[]): Promise<void> {
  if (ids.length === 0) return;
  await db
    .insert(schema.whitelistReviews)
    .values(ids.map((entryId) => ({ entryId, source: 'policy' as const })))
    .onConflictDoNothing();
}

async function reviewRows(db: Db): Promise<Map<string, ReviewRow>> {
  const rows = await db.select().from(schema.whitelistReviews);
  return new Map(rows.map((r) => [r.entryId, r]));
}

export function policyInput(row: ReviewRow | undefined, now: Date): ReviewInput {
  // Not yet recorded (the insert races a first load): it is new, so its review is a full interval away.
  return {
    createdAt: row?.firstSeenAt ?? now,
    nextReviewAt: row?.nextReviewAt ?? null,
    retiredAt: row?.retiredAt ?? null,
  };
}

export function addedInput(entry: AddedRow, row: ReviewRow | undefined): ReviewInput {
  return {
    createdAt: entry.createdAt,
    nextReviewAt: row?.nextReviewAt ?? null,
    retiredAt: row?.retiredAt ?? null,
  };
}

export interface GovernedEngine {
  engine: GatehouseRiskEngine;
  /** Changes exactly when the entries or their effective ends change. */
  signature: string;
}

/**
 * The engine as governance allows it: every entry, the policy file's included, ends at its
 * expiry or its review lapse, whichever is first, and a retired one is gone. The engine
 * checks the end at each assessment, so a lapse is exact on every replica whatever its
 * reload timing; only retirements and renewals need a reload.
 */
export async function governedEngine(base: GatehouseRiskEngine, db: Db, now: Date): Promise<GovernedEngine> {
  const [reviews, added] = await Promise.all([reviewRows(db), liveAddedEntries(db, now)]);
  const settings = settingsOf(base);
  const policy = base.policyWhitelist();
  const entries: Record<string, unknown>[] = [];
  const parts: string[] = [];
  for (const entry of policy) {
    const end = effectiveExpiry(entry.expires, policyInput(reviews.get(entry.id), now), settings);
    parts.push(`p:${entry.id}:${end?.getTime() ?? 'retired'}`);
    if (end) entries.push({ ...entry, expires: end });
  }
  for (const row of added) {
    const end = effectiveExpiry(row.expiresAt, addedInput(row, reviews.get(row.id)), settings);
    parts.push(`a:${row.id}:${end?.getTime() ?? 'retired'}`);
    if (end) entries.push({ ...engineEntry(row), expires: end.toISOString() });
  }
  const stripped = base.withoutWhitelist(policy.map((e) => e.id));
  return { engine: withEngineEntries(stripped, entries), signature: parts.join(',') };
}

/** The added entries that may still apply (neither revoked nor expired), in a stable order. */
export function liveAddedEntries(db: Db, now: Date) {
  return db
    .select()
    .from(schema.whitelistEntries)
    .where(and(isNull(schema.whitelistEntries.revokedAt), gt(schema.whitelistEntries.expiresAt, now)))
    .orderBy(asc(schema.whitelistEntries.id));
}

const SCOPE_LIST = { agent: 'agents', agent_type: 'agentTypes', environment: 'environments' } as const;

interface Hits {
  count: number;
  lastHitAt: Date | null;
  agents: { id: string; name: string | null; count: number }[];
  agentTypes: Set<string>;
}

async function hitsByEntry(db: Db): Promise<Map<string, Hits>> {
  const rows = await db
    .select({ hit: schema.whitelistHits, name: schema.agents.name })
    .from(schema.whitelistHits)
    .leftJoin(schema.agents, eq(schema.agents.id, schema.whitelistHits.agentId))
    .orderBy(desc(schema.whitelistHits.count));
  const byEntry = new Map<string, Hits>();
  for (const { hit, name } of rows) {
    let hits = byEntry.get(hit.entryId);
    if (!hits) {
      hits = { count: 0, lastHitAt: null, agents: [], agentTypes: new Set() };
      byEntry.set(hit.entryId, hits);
    }
    hits.count += hit.count;
    if (!hits.lastHitAt || hit.lastHitAt > hits.lastHitAt) hits.lastHitAt = hit.lastHitAt;
    hits.agents.push({ id: hit.agentId, name, count: hit.count });
    hits.agentTypes.add(hit.agentType);
  }
  return byEntry;
}

async function historyByEntry(db: Db) {
  const rows = await db
    .select({ event: schema.whitelistReviewEvents, email: schema.users.email })
    .from(schema.whitelistReviewEvents)
    .leftJoin(schema.users, eq(schema.users.id, schema.whitelistReviewEvents.by))
    .orderBy(desc(schema.whitelistReviewEvents.at), desc(schema.whitelistReviewEvents.id));
  const byEntry = new Map<string, GovernedWhitelistEntry['review']['history']>();
  for (const { event, email } of rows) {
    const list = byEntry.get(event.entryId) ?? [];
    list.push({
      action: event.action,
      by: { id: event.by, email },
      at: event.at.toISOString(),
      comment: event.comment,
      nextReviewAt: event.nextReviewAt?.toISOString() ?? null,
    });
    byEntry.set(event.entryId, list);
  }
  return byEntry;
}

/** How many revoked or expired added entries are listed: history, most recent first. */
const PAST_ENTRIES = 200;

/** Every added entry that may still apply, however old, then the most recent of the others. */
async function addedEntries(db: Db, now: Date) {
  const t = schema.whitelistEntries;
  const select = () =>
    db
      .select({ entry: schema.whitelistEntries, email: schema.users.email })
      .from(schema.whitelistEntries)
      .leftJoin(schema.users, eq(schema.users.id, schema.whitelistEntries.createdBy));
  const [current, past] = await Promise.all([
    select()
      .where(and(isNull(t.revokedAt), gt(t.expiresAt, now)))
      .orderBy(desc(t.createdAt)),
    select()
      .where(or(isNotNull(t.revokedAt), lte(t.expiresAt, now)))
      .orderBy(desc(t.createdAt))
      .limit(PAST_ENTRIES),
  ]);
  return [...current, ...past];
}

const orNull = <T>(value: T[] | undefined): T[] | null => (value && value.length > 0 ? value : null);

/**
 * Every whitelist entry with its reach, hits and review. `dueWithinDays` set: only the
 * review queue, entries whose review date passed or falls within that many days (lapsed
 * ones included: a renewal revives them).
 */
export function listGoverned(
  rt: Runtime,
  options: { dueWithinDays?: number } = {},
  now = new Date(),
): Promise<WhitelistGovernanceAnswer> {
  return governance(rt.database.db, rt.policyEngine, options, now);
}

/** `listGoverned` over a database and a policy engine (bench/whitelist-review.ts times it). */
export async function governance(
  db: Db,
  base: GatehouseRiskEngine,
  options: { dueWithinDays?: number } = {},
  now = new Date(),
): Promise<WhitelistGovernanceAnswer> {
  // A read only: the loader gave the policy file's entries their review rows when it started.
  const policy = base.policyWhitelist();
  const [reviews, hits, history, added, updatedAt] = await Promise.all([
    reviewRows(db),
    hitsByEntry(db),
    historyByEntry(db),
    addedEntries(db, now),
    hitsUpdatedAt(db),
  ]);
  const settings = settingsOf(base);
  const queue =
    options.dueWithinDays === undefined ? undefined : { ...settings, dueWithinDays: options.dueWithinDays };

  const items: GovernedWhitelistEntry[] = [];
  const add = (
    fields: Omit<GovernedWhitelistEntry, 'hits' | 'review' | 'active' | 'blastRadius' | 'lowers'>,
    input: ReviewInput,
    expires: Date,
  ) => {
    const view = reviewOf(input, queue ?? settings, now);
    if (queue && !isDue(view)) return;
    const end = effectiveExpiry(expires, input, settings);
    const h = hits.get(fields.id);
    items.push({
      ...fields,
      lowers: { from: 'review', to: 'auto' },
      blastRadius: blastRadius({
        exact: fields.command !== null,
        agents: fields.agents ?? undefined,
        agentTypes: fields.agentTypes ?? undefined,
        environments: fields.environments ?? undefined,
      }),
      active: fields.revokedAt === null && end !== null && end.getTime() > now.getTime(),
      hits: {
        count: h?.count ?? 0,
        lastHitAt: h?.lastHitAt?.toISOString() ?? null,
        agents: h?.agents ?? [],
        agentTypes: [...(h?.agentTypes ?? [])].sort(),
      },
      review: {
        state: view.state,
        nextReviewAt: view.nextReviewAt.toISOString(),
        lapsesAt: view.lapsesAt.toISOString(),
        due: isDue(view),
        history: history.get(fields.id) ?? [],
      },
    });
  };

  for (const entry of policy) {
    const row = reviews.get(entry.id);
    add(policyFields(entry, row, now), policyInput(row, now), entry.expires);
  }
  for (const { entry, email } of added) {
    // Revoked or expired entries are history, not something to review.
    if (queue && (entry.revokedAt !== null || entry.expiresAt.getTime() <= now.getTime())) continue;
    add(
      {
        id: entry.id,
        source: 'added',
        kind: entry.kind,
        command: entry.command,
        match: entry.match,
        rules: null,
        agents: null,
        agentTypes: null,
        environments: null,
        ...(entry.scope === 'global' ? {} : { [SCOPE_LIST[entry.scope]]: [entry.scopeValue] }),
        author: { id: entry.createdBy, email },
        reason: entry.reason,
        createdAt: entry.createdAt.toISOString(),
        expiresAt: entry.expiresAt.toISOString(),
        revokedAt: entry.revokedAt?.toISOString() ?? null,
      },
      addedInput(entry, reviews.get(entry.id)),
      entry.expiresAt,
    );
  }
  if (queue) items.sort((a, b) => a.review.nextReviewAt.localeCompare(b.review.nextReviewAt));
  return { items, settings, hitsUpdatedAt: updatedAt?.toISOString() ?? null };
}

function policyFields(entry: WhitelistEntryData, row: ReviewRow | undefined, now: Date) {
  return {
    id: entry.id,
    source: 'policy' as const,
    kind: entry.kind ?? null,
    command: entry.command ?? null,
    match: entry.match ? { ...entry.match } : null,
    rules: orNull(entry.rules),
    agents: orNull(entry.agents),
    agentTypes: orNull(entry.agentTypes),
    environments: orNull(entry.environments),
    author: null,
    reason: entry.reason ?? null,
    createdAt: (row?.firstSeenAt ?? now).toISOString(),
    expiresAt: entry.expires.toISOString(),
    revokedAt: null,
  };
}

/** The engine with the entries it accepts; one it refuses cannot lower anything, so skipping it fails closed. */
export function withEngineEntries(
  base: GatehouseRiskEngine,
  entries: readonly Record<string, unknown>[],
): GatehouseRiskEngine {
  const accepted = entries.filter((entry) => {
    try {
      base.withWhitelist([entry]);
      return true;
    } catch (error) {
      if (error instanceof RiskInputError) return false;
      throw error;
    }
  });
  return base.withWhitelist(accepted);
}
