import { type Db, schema } from '@gatehouse/db';
import { type GatehouseRiskEngine, RiskInputError } from '@gatehouse/risk';
import { and, asc, gt, isNull } from 'drizzle-orm';
import type { Runtime } from '../platform/runtime.ts';
import { engineEntry, type WhitelistRecord } from './entry.ts';

/** How often a replica re-reads the whitelist, in case it missed a `whitelist.changed` event. */
export const WHITELIST_RELOAD_MS = 5_000;

const loaders = new WeakMap<Runtime, WhitelistLoader>();

/**
 * Keeps `rt.risk` equal to the policy's engine plus the live whitelist entries in the
 * database. Reloads on start, after every change made here, on a `whitelist.changed` event
 * from another replica, and every few seconds as a fallback for lost events.
 */
export class WhitelistLoader {
  readonly #rt: Runtime;
  #timer?: NodeJS.Timeout;
  #unsubscribe?: () => void;
  #signature = '';
  #running: Promise<void> = Promise.resolve();

  constructor(rt: Runtime) {
    this.#rt = rt;
  }

  async start(): Promise<void> {
    loaders.set(this.#rt, this);
    await this.reload();
    this.#unsubscribe = this.#rt.bus.subscribe((event) => {
      if (event.type === 'whitelist.changed') void this.reload().catch(() => {});
    });
    this.#timer = setInterval(() => void this.reload().catch(() => {}), WHITELIST_RELOAD_MS);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
    this.#unsubscribe?.();
    if (loaders.get(this.#rt) === this) loaders.delete(this.#rt);
  }

  /** Reloads one at a time, so an older read never replaces a newer engine. */
  reload(): Promise<void> {
    this.#running = this.#running.catch(() => {}).then(() => this.#load());
    return this.#running;
  }

  async #load(): Promise<void> {
    const rows = await activeEntries(this.#rt.database.db, new Date());
    // Expiry is evaluated by the engine at assessment time; the set only changes on add or revoke.
    const signature = rows.map((r) => r.id).join(',');
    if (signature === this.#signature) return;
    this.#rt.setRisk(withSavedEntries(this.#rt.policyEngine, rows));
    this.#signature = signature;
  }
}

/** The entries that are neither revoked nor expired, in a stable order. */
export function activeEntries(db: Db, now: Date) {
  return db
    .select()
    .from(schema.whitelistEntries)
    .where(and(isNull(schema.whitelistEntries.revokedAt), gt(schema.whitelistEntries.expiresAt, now)))
    .orderBy(asc(schema.whitelistEntries.id));
}

/** The policy's engine with the stored entries it accepts. */
export function withSavedEntries(base: GatehouseRiskEngine, rows: WhitelistRecord[]): GatehouseRiskEngine {
  const entries = rows.map(engineEntry).filter((entry) => {
    try {
      base.withWhitelist([entry]);
      return true;
    } catch (error) {
      // An entry the engine refuses cannot lower anything; skipping it fails closed.
      if (error instanceof RiskInputError) return false;
      throw error;
    }
  });
  return base.withWhitelist(entries);
}

/** Applies a whitelist change here at once and tells every other replica. */
export async function whitelistChanged(rt: Runtime, id: string): Promise<void> {
  await loaders.get(rt)?.reload();
  await rt.bus.publish({ type: 'whitelist.changed', data: { id } }).catch(() => {});
}
