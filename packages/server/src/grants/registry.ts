import { schema } from '@gatehouse/db';
import type { Kind } from '@gatehouse/risk';
import { and, eq, isNull } from 'drizzle-orm';
import type { Runtime } from '../platform/runtime.ts';
import { compilePattern, type LiveGrant, LiveGrants, type LiveScope } from './scope.ts';

/**
 * How often a replica re-reads the live grants. A revocation reaches every replica by the
 * `grant.ended` event at once; this bounds how late it is when that event is lost (pub/sub is
 * best effort), well inside the one second a grant's end may take anywhere.
 */
export const GRANT_RELOAD_MS = 500;

const registries = new WeakMap<Runtime, GrantRegistry>();

type GrantRow = typeof schema.grants.$inferSelect;
type Joined = { grant: GrantRow; status: string; decidedAt: Date | null };

/** When a grant approved at `decidedAt` stops covering anything. */
export const endOf = (decidedAt: Date, minutes: number) => new Date(decidedAt.getTime() + minutes * 60_000);

/**
 * This replica's live grants, in memory so that scoring a request reads no table. Reloaded on
 * start, on `grant.changed`, on the verdict of a grant request it knows is pending, and every
 * GRANT_RELOAD_MS. Expiry needs no message: the hot path compares the clock with `endsAt`, and
 * a timer per grant tells this replica's listeners (the broker) the instant it ends.
 *
 * Every reload also settles what the database has not recorded yet — a grant request's
 * outcome, a grant's expiry — with conditional updates, so however many replicas race, each
 * is audited once.
 */
export class GrantRegistry {
  readonly #rt: Runtime;
  #live = new LiveGrants();
  /** Pending grant requests (request id → grant id): their verdict means a reload. */
  #pending = new Map<string, string>();
  readonly #endTimers = new Map<string, { timer: NodeJS.Timeout; at: number }>();
  /** Grants that ended here: a grant never comes back, even if a slower read still lists it. */
  readonly #ended = new Set<string>();
  readonly #listeners = new Set<(id: string) => void>();
  #timer?: NodeJS.Timeout;
  #unsubscribe?: () => void;
  #running: Promise<void> = Promise.resolve();
  #stopped = false;

  constructor(rt: Runtime) {
    this.#rt = rt;
  }

  async start(): Promise<void> {
    registries.set(this.#rt, this);
    this.#unsubscribe = this.#rt.bus.subscribe((event) => {
      if (event.type === 'grant.ended') {
        this.end(event.data.id);
        void this.reload().catch(() => {});
      } else if (event.type === 'grant.changed') {
        void this.reload().catch(() => {});
      } else if (event.type === 'verdict.ready' && this.#pending.has(event.data.id)) {
        void this.reload().catch(() => {});
      }
    });
    await this.reload();
    this.#timer = setInterval(() => void this.reload().catch(() => {}), GRANT_RELOAD_MS);
    this.#timer.unref();
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#timer);
    for (const { timer } of this.#endTimers.values()) clearTimeout(timer);
    this.#endTimers.clear();
    this.#unsubscribe?.();
    if (registries.get(this.#rt) === this) registries.delete(this.#rt);
  }

  /** The agent's grants that may cover its requests (their end is still checked against the clock). */
  live(agentId: string): readonly LiveGrant[] {
    return this.#live.of(agentId);
  }

  /** Whether the grant covers anything at `now` on this replica. */
  isLive(id: string, now = new Date()): boolean {
    const grant = this.#live.get(id);
    return grant !== undefined && now.getTime() < grant.endsAt.getTime();
  }

  /** Calls `listener(id)` once per grant that ends on this replica (expiry or revocation). */
  onEnded(listener: (id: string) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Drops a grant here at once and tells this replica's listeners, once. */
  end(id: string): void {
    this.#live.delete(id);
    clearTimeout(this.#endTimers.get(id)?.timer);
    this.#endTimers.delete(id);
    if (this.#ended.has(id)) return;
    this.#ended.add(id);
    for (const listener of this.#listeners) {
      try {
        listener(id);
      } catch (error) {
        this.#rt.log.warn({ err: error, grantId: id }, 'a grant.ended listener failed');
      }
    }
  }

  /** Reloads one at a time, so an older read never replaces a newer one. */
  reload(): Promise<void> {
    this.#running = this.#running.catch(() => {}).then(() => this.#load());
    return this.#running;
  }

  async #load(): Promise<void> {
    if (this.#stopped) return;
    const rows: Joined[] = await this.#rt.database.db
      .select({ grant: schema.grants, status: schema.requests.status, decidedAt: schema.requests.decidedAt })
      .from(schema.grants)
      .innerJoin(schema.requests, eq(schema.requests.id, schema.grants.requestId))
      .where(isNull(schema.grants.endedAt));
    const now = new Date();
    const live = new LiveGrants();
    const pending = new Map<string, string>();
    for (const row of rows) {
      const { grant } = row;
      if (row.status === 'pending') pending.set(grant.requestId, grant.id);
      const alive = liveGrant(row);
      if (alive && !this.#ended.has(alive.id) && now.getTime() < alive.endsAt.getTime()) live.add(alive);
    }
    if (this.#stopped) return;
    for (const id of [...this.#live.ids()]) if (!live.get(id)) this.end(id);
    this.#live = live;
    this.#pending = pending;
    for (const grant of live.all()) this.#arm(grant);
    await settle(this.#rt, rows, now).catch((error) => {
      this.#rt.log.warn({ err: error }, 'could not record the end of a grant; the next reload retries');
    });
  }

  /** A timer per live grant: at its end, drop it here and tell everyone, without waiting for a message. */
  #arm(grant: LiveGrant): void {
    const at = grant.endsAt.getTime();
    const armed = this.#endTimers.get(grant.id);
    if (armed?.at === at) return;
    // The end moved (the request's decision time was corrected): the timer follows the data.
    if (armed) clearTimeout(armed.timer);
    const timer = setTimeout(
      () => {
        this.end(grant.id);
        void this.#rt.bus.publish({ type: 'grant.ended', data: { id: grant.id } }).catch(() => {});
        void this.reload().catch(() => {});
      },
      Math.max(0, at - Date.now()),
    );
    timer.unref();
    this.#endTimers.set(grant.id, { timer, at });
  }
}

/** The grant as the hot path reads it, if its request was approved and nobody revoked it. */
function liveGrant({ grant, status, decidedAt }: Joined): LiveGrant | undefined {
  if (status !== 'approved' || !decidedAt || grant.revokedAt) return undefined;
  let scope: LiveScope;
  if (grant.scopeType === 'connection') {
    if (!grant.connection) return undefined;
    scope = { type: 'connection', connection: grant.connection };
  } else {
    const match = grant.kind && grant.match ? compilePattern(grant.kind as Kind, grant.match) : undefined;
    // A pattern the engine no longer accepts covers nothing (fails closed).
    if (!match || !grant.kind) return undefined;
    scope = { type: 'command', kind: grant.kind, match };
  }
  return {
    id: grant.id,
    agentId: grant.agentId,
    scope,
    ceiling: grant.ceiling,
    startsAt: decidedAt,
    endsAt: endOf(decidedAt, grant.durationMinutes),
  };
}

const SYSTEM = { type: 'system' as const, id: 'gatehouse' };

/**
 * Records in the grants table (and the audit log) what the requests table already decided:
 * the outcome of a grant request, and the expiry of an approved grant. Conditional updates:
 * the first replica to get there records it, the others find nothing to do.
 */
async function settle(rt: Runtime, rows: readonly Joined[], now: Date): Promise<void> {
  for (const { grant, status, decidedAt } of rows) {
    if (grant.outcome === null && status !== 'pending') {
      const outcome = status as NonNullable<GrantRow['outcome']>;
      const startsAt = outcome === 'approved' ? decidedAt : null;
      const endsAt = startsAt ? endOf(startsAt, grant.durationMinutes) : null;
      const settled = await rt.audit.transaction(async (tx, record) => {
        const updated = await tx
          .update(schema.grants)
          .set({
            outcome,
            startsAt,
            endsAt,
            ...(outcome === 'approved' ? {} : { endedAt: decidedAt ?? now }),
          })
          .where(and(eq(schema.grants.id, grant.id), isNull(schema.grants.outcome)))
          .returning({ id: schema.grants.id });
        if (updated.length === 0) return false;
        record({
          type: outcome === 'approved' ? 'grant.approved' : 'grant.rejected',
          actor: SYSTEM,
          subject: { type: 'grant', id: grant.id },
          data: {
            agentId: grant.agentId,
            requestId: grant.requestId,
            requestStatus: status,
            startsAt: startsAt?.toISOString() ?? null,
            endsAt: endsAt?.toISOString() ?? null,
          },
        });
        return true;
      });
      // Lists (the web app's grants page) refresh on it; the registries already know.
      if (settled) await rt.bus.publish({ type: 'grant.changed', data: { id: grant.id } }).catch(() => {});
      continue;
    }
    if (status === 'approved' && decidedAt && !grant.revokedAt) {
      const endsAt = endOf(decidedAt, grant.durationMinutes);
      if (endsAt.getTime() > now.getTime()) continue;
      await rt.audit.transaction(async (tx, record) => {
        const updated = await tx
          .update(schema.grants)
          .set({ endedAt: endsAt })
          .where(
            and(
              eq(schema.grants.id, grant.id),
              isNull(schema.grants.endedAt),
              isNull(schema.grants.revokedAt),
            ),
          )
          .returning({ id: schema.grants.id });
        if (updated.length === 0) return;
        record({
          type: 'grant.expired',
          actor: SYSTEM,
          subject: { type: 'grant', id: grant.id },
          data: { agentId: grant.agentId, endsAt: endsAt.toISOString() },
        });
      });
    }
  }
}

/** This replica's registry; undefined where no API routes run (a jobs-only worker). */
export function grantRegistry(rt: Runtime): GrantRegistry | undefined {
  return registries.get(rt);
}

/**
 * Subscribes to the end of grants on this replica: called at a grant's expiry by the local
 * timer (no message needed) and at a revocation. For the broker, which closes the sessions
 * opened under the grant. Returns the unsubscribe function.
 */
export function onGrantEnded(rt: Runtime, listener: (id: string) => void): () => void {
  const registry = registries.get(rt);
  if (!registry) return () => {};
  return registry.onEnded(listener);
}
