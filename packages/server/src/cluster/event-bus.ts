import type { EventBus, LiveEvent } from '../platform/events.ts';
import { LocalEventBus } from '../platform/events.ts';
import { type EventBatch, isEventBatch } from './messages.ts';

/**
 * The live events of a cluster worker: this process's listeners get an event at once, the
 * other workers through the primary, batched once per turn of the event loop, so a busy worker
 * sends one IPC message for many decisions. Best effort like every bus here: the database is
 * the record, and waiting clients re-read it.
 */
export class ClusterEventBus implements EventBus {
  readonly #local = new LocalEventBus();
  #outbox: LiveEvent[] = [];
  readonly #onMessage = (message: unknown) => {
    if (!isEventBatch(message)) return;
    for (const event of message.events) void this.#local.publish(event);
  };

  constructor() {
    process.on('message', this.#onMessage);
  }

  async publish(event: LiveEvent): Promise<void> {
    await this.#local.publish(event);
    if (this.#outbox.push(event) === 1) setImmediate(() => this.#flush());
  }

  subscribe(listener: (event: LiveEvent) => void): () => void {
    return this.#local.subscribe(listener);
  }

  async close(): Promise<void> {
    this.#flush();
    process.off('message', this.#onMessage);
    await this.#local.close();
  }

  #flush(): void {
    if (this.#outbox.length === 0) return;
    const batch: EventBatch = { type: 'gatehouse.events', events: this.#outbox };
    this.#outbox = [];
    // A primary that is gone takes the other workers with it: nobody is left to tell.
    if (process.connected) process.send?.(batch, undefined, undefined, () => {});
  }
}
