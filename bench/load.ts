import { Pool } from 'undici';

export interface Target {
  origin: string;
  path: string;
  headers: Record<string, string>;
  body: string;
}

export interface LoadResult {
  completed: number;
  errors: number;
  seconds: number;
  /** Latencies in milliseconds, sorted. */
  latencies: number[];
}

async function send(pool: Pool, target: Target): Promise<boolean> {
  const { statusCode, body } = await pool.request({
    method: 'POST',
    path: target.path,
    headers: target.headers,
    body: target.body,
  });
  await body.dump();
  return statusCode < 300;
}

/** As fast as `connections` concurrent clients can go: the throughput ceiling. */
export async function closedLoop(target: Target, connections: number, seconds: number): Promise<LoadResult> {
  const pool = new Pool(target.origin, { connections, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const end = performance.now() + seconds * 1000;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: connections }, async () => {
      while (performance.now() < end) {
        const t0 = performance.now();
        const ok = await send(pool, target).catch(() => false);
        if (ok) latencies.push(performance.now() - t0);
        else errors++;
      }
    }),
  );
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return {
    completed: latencies.length,
    errors,
    seconds: elapsed,
    latencies: latencies.sort((a, b) => a - b),
  };
}

/**
 * A fixed arrival rate. Latency is measured from when each request was due, not when it
 * was sent, so a stalled server cannot hide its stalls (no coordinated omission).
 */
export async function openLoop(target: Target, rate: number, seconds: number): Promise<LoadResult> {
  const pool = new Pool(target.origin, { connections: 64, pipelining: 1 });
  const latencies: number[] = [];
  let errors = 0;
  const total = Math.round(rate * seconds);
  const interval = 1000 / rate;
  const started = performance.now();
  const inflight: Promise<void>[] = [];
  for (let i = 0; i < total; i++) {
    const due = started + i * interval;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    // From when it was due, so a stalled server cannot hide its stalls; or from when it was
    // sent, if the timer let it go early.
    const start = Math.min(due, performance.now());
    inflight.push(
      send(pool, target).then(
        (ok) => {
          if (ok) latencies.push(performance.now() - start);
          else errors++;
        },
        () => {
          errors++;
        },
      ),
    );
  }
  await Promise.all(inflight);
  const elapsed = (performance.now() - started) / 1000;
  await pool.close();
  return {
    completed: latencies.length,
    errors,
    seconds: elapsed,
    latencies: latencies.sort((a, b) => a - b),
  };
}
