import { EventEmitter } from 'node:events';
import { Redis } from 'ioredis';

/** Live events. `agentId` lets the stream route a verdict to the agent that asked, and only to it. */
export type LiveEvent =
  | { type: 'request.created' | 'request.updated'; agentId: string; data: Record<string, unknown> }
  | { type: 'verdict.ready'; agentId: string; data: { id: string; status: string; verdict: string } }
  | { type: 'approval.requested'; agentId: string; data: { id: string; tier: string; approvers: string[] } }
  | { type: 'keys.rotated'; agentId?: undefined; data: Record<string, never> }
  | { type: 'whitelist.changed'; agentId?: undefined; data: { id: string } }
  | { type: 'baselines.updated'; agentId?: undefined; data: Record<string, never> }
  /** A just-in-time grant was asked for, settled or revoked: replicas re-read the live grants. */
  | { type: 'grant.changed'; agentId?: undefined; data: { id: string } }
  /** A grant stopped covering anything (expiry or revocation): brokered sessions under it close. */
  | { type: 'grant.ended'; agentId?: undefined; data: { id: string } };

export interface EventBus {
  publish(event: LiveEvent): Promise<void>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: LiveEvent) => void): () => void;
  close(): Promise<void>;
}

/** One process: events go straight to the listeners of this process. */
export class LocalEventBus implements EventBus {
  readonly #emitter = new EventEmitter().setMaxListeners(0);

  async publish(event: LiveEvent): Promise<void> {
    this.#emitter.emit('event', event);
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    this.#emitter.on('event', listener);
    return () => this.#emitter.off('event', listener);
  }

  async close(): Promise<void> {
    this.#emitter.removeAllListeners();
  }
}

/**
 * Several processes: every event goes through one Redis channel, and each process hands
 * what it receives (its own publications included) to its local listeners. Pub/sub is
 * fire-and-forget; nothing depends on it for correctness, because the database is the
 * record and waiting clients re-read it.
 */
export class RedisEventBus implements EventBus {
  readonly #local = new LocalEventBus();
  readonly #publisher: Redis;
  readonly #subscriber: Redis;
  readonly #channel: string;

  private constructor(url: string, prefix: string) {
    this.#channel = `${prefix}:events`;
    // Publishing fails fast while Redis is away (events are best effort: see above); the
    // subscriber waits out an outage and resubscribes when Redis is back.
    this.#publisher = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: 500,
    });
    this.#subscriber = new Redis(url, { lazyConnect: true });
    this.#publisher.on('error', () => {});
    this.#subscriber.on('error', () => {});
  }

  static async connect(url: string, prefix: string): Promise<RedisEventBus> {
    const bus = new RedisEventBus(url, prefix);
    await Promise.all([bus.#publisher.connect(), bus.#subscriber.connect()]);
    await bus.#subscriber.subscribe(bus.#channel);
    bus.#subscriber.on('message', (_channel, message) => {
      try {
        void bus.#local.publish(JSON.parse(message) as LiveEvent);
      } catch {
        // A message we cannot read is not ours to act on.
      }
    });
    return bus;
  }

  async publish(event: LiveEvent): Promise<void> {
    await this.#publisher.publish(this.#channel, JSON.stringify(event));
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    return this.#local.subscribe(listener);
  }

  async ping(): Promise<void> {
    await this.#publisher.ping();
  }

  async close(): Promise<void> {
    await this.#local.close();
    this.#subscriber.disconnect();
    await this.#publisher.quit().catch(() => this.#publisher.disconnect());
  }
}
