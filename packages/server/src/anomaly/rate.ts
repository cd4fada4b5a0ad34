/**
 * Requests per key over the last 60 seconds, in one-second buckets: O(1) memory per key and
 * amortised O(1) per hit, so the burst check costs the hot path nothing it would notice.
 * Per replica: with several API replicas behind a balancer each sees its share of a burst,
 * which the documentation states (the thresholds are per replica).
 */
export class MinuteCounter {
  readonly #keys = new Map<string, { buckets: Uint32Array; second: number; total: number }>();
  /** Idle keys are dropped once the map holds this many. */
  readonly #sweepAt: number;

  constructor(sweepAt = 10_000) {
    this.#sweepAt = sweepAt;
  }

  /** Counts one request for `key` at `now` (ms) and returns the count of the last minute. */
  hit(key: string, now: number): number {
    const second = Math.floor(now / 1000);
    let entry = this.#keys.get(key);
    if (!entry) {
      if (this.#keys.size >= this.#sweepAt) this.#sweep(second);
      entry = { buckets: new Uint32Array(60), second, total: 0 };
      this.#keys.set(key, entry);
    }
    advance(entry, second);
    entry.buckets[second % 60]! += 1;
    entry.total++;
    return entry.total;
  }

  /** The count of the last minute, without counting. */
  peek(key: string, now: number): number {
    const entry = this.#keys.get(key);
    if (!entry) return 0;
    advance(entry, Math.floor(now / 1000));
    return entry.total;
  }

  get size(): number {
    return this.#keys.size;
  }

  #sweep(second: number): void {
    for (const [key, entry] of this.#keys) if (second - entry.second >= 60) this.#keys.delete(key);
  }
}

function advance(entry: { buckets: Uint32Array; second: number; total: number }, second: number): void {
  // A clock that stepped back counts into the current bucket: the window never grows.
  if (second <= entry.second) return;
  if (second - entry.second >= 60) {
    entry.buckets.fill(0);
    entry.total = 0;
  } else
    for (let s = entry.second + 1; s <= second; s++) {
      entry.total -= entry.buckets[s % 60]!;
      entry.buckets[s % 60] = 0;
    }
  entry.second = second;
}
