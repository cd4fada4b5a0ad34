import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';

/** Every background job Gatehouse runs, and what it carries. */
export interface JobPayloads {
  /** At a pending request's deadline: expire it if nobody decided. */
  'request.expire': { requestId: string };
  /** Route a new pending request to its approvers. */
  'request.notify': { requestId: string };
  /** At 2/3 of a pending request's lifetime: widen it to the escalation groups. */
  'request.escalate': { requestId: string };
  /** A request event for the outbound webhooks (idempotent: one event per occurrence). */
  'webhook.emit': { type: string; requestId: string };
  /** One attempt of a webhook delivery; a failure schedules the next attempt itself. */
  'webhook.deliver': { deliveryId: string };
  /** Post a pending request to Slack, or bring its Slack messages up to date. */
  'slack.sync': { requestId: string };
}
export type JobName = keyof JobPayloads;
export type JobHandlers = { [N in JobName]: (data: JobPayloads[N]) => Promise<void> };

export interface EnqueueOptions {
  delayMs?: number;
  /** Deduplicates: enqueuing a job id that is already waiting does nothing. */
  jobId?: string;
}

/**
 * The one job interface. Embedded mode runs jobs on timers in this process; distributed
 * mode puts them in BullMQ so any worker process can run them. Handlers are idempotent:
 * both runners may deliver a job more than once (retries, rebuilds after a restart).
 */
export interface JobQueue {
  enqueue<N extends JobName>(name: N, data: JobPayloads[N], options?: EnqueueOptions): Promise<void>;
  /** Starts running handlers in this process. Producers that never call it only enqueue. */
  process(handlers: JobHandlers): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

const MAX_ATTEMPTS = 5;
// setTimeout holds at most ~24.8 days; longer delays are re-armed in steps.
const MAX_TIMER_MS = 2 ** 31 - 1;

export class InProcessJobQueue implements JobQueue {
  readonly #timers = new Map<string, NodeJS.Timeout>();
  readonly #backlog: { name: JobName; data: unknown; runAt: number; key: string }[] = [];
  #handlers?: JobHandlers;
  #closed = false;
  #seq = 0;

  async enqueue<N extends JobName>(
    name: N,
    data: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<void> {
    if (this.#closed) return;
    const key = options.jobId ?? `${name}:${++this.#seq}`;
    if (this.#timers.has(key)) return;
    const runAt = Date.now() + (options.delayMs ?? 0);
    if (!this.#handlers) {
      this.#backlog.push({ name, data, runAt, key });
      return;
    }
    this.#arm(name, data, runAt, key, 1);
  }

  async process(handlers: JobHandlers): Promise<void> {
    this.#handlers = handlers;
    for (const job of this.#backlog.splice(0)) this.#arm(job.name, job.data, job.runAt, job.key, 1);
  }

  #arm(name: JobName, data: unknown, runAt: number, key: string, attempt: number): void {
    const delay = Math.min(Math.max(0, runAt - Date.now()), MAX_TIMER_MS);
    const timer = setTimeout(() => {
      if (Date.now() < runAt) return this.#arm(name, data, runAt, key, attempt);
      this.#timers.delete(key);
      const handler = this.#handlers?.[name] as ((d: unknown) => Promise<void>) | undefined;
      handler?.(data).catch(() => {
        if (attempt < MAX_ATTEMPTS && !this.#closed) {
          this.#arm(name, data, Date.now() + 2 ** attempt * 250, key, attempt + 1);
        }
      });
    }, delay);
    timer.unref();
    this.#timers.set(key, timer);
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers.values()) clearTimeout(timer);
    this.#timers.clear();
  }
}

/**
 * The longest a producer's call to Redis (an enqueue, a ping) may take. Beyond it Redis
 * counts as down: a request that needs its jobs fails closed instead of waiting, and the
 * readiness probe answers within its own second.
 */
export const REDIS_CALL_TIMEOUT_MS = 500;

/** Rejects when `work` has not settled within `ms`; `work` itself is left to finish or fail. */
export function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export class BullJobQueue implements JobQueue {
  readonly #queue: Queue;
  readonly #connection: Redis;
  readonly #url: string;
  readonly #prefix: string;
  #worker?: Worker;
  #workerConnection?: Redis;

  private constructor(connection: Redis, url: string, prefix: string) {
    this.#connection = connection;
    this.#url = url;
    this.#prefix = prefix;
    this.#queue = new Queue('jobs', { connection, prefix });
    this.#queue.on('error', () => {});
  }

  static async connect(url: string, prefix: string): Promise<BullJobQueue> {
    // The producer's connection fails fast (BullMQ's "failing fast when Redis is down"): while
    // Redis is away a command is refused at once instead of waiting in ioredis' offline queue
    // for a reconnection that may never come. It reconnects on its own when Redis is back.
    const connection = new Redis(url, {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      commandTimeout: REDIS_CALL_TIMEOUT_MS,
    });
    connection.on('error', () => {});
    await connection.connect();
    const jobs = new BullJobQueue(connection, url, prefix);
    await jobs.#queue.waitUntilReady();
    return jobs;
  }

  async enqueue<N extends JobName>(
    name: N,
    data: JobPayloads[N],
    options: EnqueueOptions = {},
  ): Promise<void> {
    await within(
      this.#queue.add(name, data, {
        ...(options.jobId ? { jobId: options.jobId } : {}),
        delay: options.delayMs ?? 0,
        attempts: MAX_ATTEMPTS,
        backoff: { type: 'exponential', delay: 500 },
        removeOnComplete: true,
        removeOnFail: 1000,
      }),
      REDIS_CALL_TIMEOUT_MS,
      'the job queue (Redis)',
    );
  }

  async process(handlers: JobHandlers): Promise<void> {
    // A worker waits out an outage instead (BullMQ requires maxRetriesPerRequest: null on
    // its blocking connection), and picks up where it left off when Redis is back.
    this.#workerConnection = new Redis(this.#url, { maxRetriesPerRequest: null });
    this.#workerConnection.on('error', () => {});
    this.#worker = new Worker(
      'jobs',
      async (job: Job) => {
        const handler = handlers[job.name as JobName] as ((d: unknown) => Promise<void>) | undefined;
        if (!handler) throw new Error(`no handler for job ${job.name}`);
        await handler(job.data);
      },
      { connection: this.#workerConnection, prefix: this.#prefix, concurrency: 8 },
    );
    this.#worker.on('error', () => {});
    await this.#worker.waitUntilReady();
  }

  async ping(): Promise<void> {
    await within(this.#connection.ping(), REDIS_CALL_TIMEOUT_MS, 'the job queue (Redis)');
  }

  async close(): Promise<void> {
    await this.#worker?.close();
    await this.#queue.close();
    await this.#connection.quit().catch(() => this.#connection.disconnect());
    await this.#workerConnection?.quit().catch(() => this.#workerConnection?.disconnect());
  }
}
