import type { GatehouseRiskEngine } from '@gatehouse/risk';
import type { Runtime } from '../platform/runtime.ts';
import { governedEngine, recordPolicyEntries } from './governance.ts';

/** How often a replica re-reads the whitelist, in case it missed a `whitelist.changed` event. */
export const WHITELIST_RELOAD_MS = 5_000;

const loaders = new WeakMap<Runtime, WhitelistLoader>();

/**
 * Keeps `rt.risk` equal to the policy's engine plus the live whitelist entries in the
 * database, every entry (the policy file's too) cut off at its review lapse and without the
 * retired ones. Reloads on start, after every change made here, on a `whitelist.changed`
 * event from another replica, and every few seconds as a fallback for lost events.
 */
export class WhitelistLoader {
  readonly #rt: Runtime;
  #timer?: NodeJS.Timeout;
  #unsubscribe?: () => void;
  #signature = '';
  #running: Promise<void> = Promise.resolve();
  /** The policy engine whose entries were given review rows. */
  #recorded?: GatehouseRiskEngine;

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
    const db = this.#rt.database.db;
    const base = this.#rt.policyEngine;
    if (this.#recorded !== base) {
      await recordPolicyEntries(
        db,
        base.policyWhitelist().map((e) => e.id),
      );
      this.#recorded = base;
    }
    const now = new Date();
    // Expiry and review lapse are evaluated by the engine at assessment time; the set only
    // changes on add, revoke, renew or retire.
    const { engine, signature } = await governedEngine(base, db, now);
    if (signature === this.#signature) return;
    this.#rt.setRisk(engine);
    this.#signature = signature;
  }
}

/** The engine that applies now, review governance included: what `rt.risk` is kept equal to. */
export async function currentEngine(rt: Runtime, now = new Date()): Promise<GatehouseRiskEngine> {
  return (await governedEngine(rt.policyEngine, rt.database.db, now)).engine;
}

/** Applies a whitelist change here at once and tells every other replica. */
export async function whitelistChanged(rt: Runtime, id: string): Promise<void> {
  await loaders.get(rt)?.reload();
  await rt.bus.publish({ type: 'whitelist.changed', data: { id } }).catch(() => {});
}
