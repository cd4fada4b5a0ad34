import type { FastifyInstance } from 'fastify';
import type { DestinationStream } from 'pino';
import { createCheckpoint } from './audit/checkpoints.ts';
import type { Config } from './config.ts';
import { ConfigError } from './config.ts';
import { buildHttpApp, type HttpOptions } from './http/app.ts';
import { startJobProcessing } from './jobs.ts';
import { createLogger } from './platform/log.ts';
import { createRuntime, type Runtime } from './runtime.ts';

export interface ServeOptions extends HttpOptions {
  /** Serve the HTTP API and live stream. */
  http: boolean;
  /** Run the job handlers (expiry, routing) in this process. */
  jobs: boolean;
  /**
   * Also run the periodic jobs (sweeps, checkpoints, retention); default: with `jobs`. One
   * worker of a `gatehouse start --workers N` runs them for all.
   */
  periodicJobs?: boolean;
  /** Where log lines go instead of stdout (tests read them to prove what is never logged). */
  logDestination?: DestinationStream;
}

export interface RunningGatehouse {
  runtime: Runtime;
  app?: FastifyInstance;
  /** Base URL of the HTTP API, when serving it. */
  url?: string;
  close(): Promise<void>;
}

/**
 * One way to run Gatehouse, whatever the process: the API (`http`), a worker (`jobs`), or
 * both in one process (`gatehouse start`, and the embedded mode).
 */
export async function serve(config: Config, options: ServeOptions): Promise<RunningGatehouse> {
  const runtime = await createRuntime(
    config,
    createLogger(options.logger ?? { level: config.logLevel }, options.logDestination),
  );
  let app: FastifyInstance | undefined;
  let stopJobs: (() => void) | undefined;
  try {
    const periodic = options.jobs && (options.periodicJobs ?? true);
    if (options.jobs) stopJobs = await startJobProcessing(runtime, { periodic });
    let url: string | undefined;
    if (options.http) {
      app = await buildHttpApp(runtime);
      await app.listen({ host: config.host, port: config.port });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : config.port;
      url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${port}`;
    }
    let closing: Promise<void> | undefined;
    return {
      runtime,
      app,
      url,
      close: () => {
        closing ??= (async () => {
          stopJobs?.();
          // server.close() only drops the keep-alive connections idle at the moment it is
          // called; one that goes idle later would hold the close until its keep-alive timeout.
          // In-flight requests still finish; their connections close as soon as they are idle.
          const drain = setInterval(() => app?.server.closeIdleConnections(), 100);
          await app?.close().finally(() => clearInterval(drain));
          // A last checkpoint narrows the window in which the newest events could be cut off unseen.
          if (periodic)
            await createCheckpoint(runtime.database.db, runtime.keys, {
              witness: runtime.audit.witness,
            }).catch(() => {});
          await runtime.close();
        })();
        return closing;
      },
    };
  } catch (error) {
    stopJobs?.();
    await app?.close().catch(() => {});
    await runtime.close().catch(() => {});
    throw error;
  }
}

/** Separate API and worker processes share state only through PostgreSQL and Redis. */
export function requireDistributed(config: Config, role: string): void {
  if (!config.databaseUrl || !config.redisUrl) {
    throw new ConfigError(
      `${role} as a separate process needs DATABASE_URL (PostgreSQL) and REDIS_URL; for one process on this machine use \`npm start\``,
    );
  }
}

/** How long a graceful stop may take before the process exits anyway. */
export const SHUTDOWN_DEADLINE_MS = 5_000;

/**
 * Stops cleanly on SIGINT/SIGTERM, so in-flight transactions finish and the data dir lock is
 * released; a stop that cannot finish in time (a call that never answers) exits anyway, and
 * a second signal exits at once. Exiting releases the data dir lock too.
 */
export function closeOnSignals(
  running: { close(): Promise<void>; runtime?: { log: { warn(obj: object, msg: string): void } } },
  deadlineMs = SHUTDOWN_DEADLINE_MS,
  signals: NodeJS.Signals[] = ['SIGINT', 'SIGTERM'],
): void {
  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) process.exit(1);
    stopping = true;
    setTimeout(() => {
      running.runtime?.log.warn({ signal, deadlineMs }, 'graceful stop did not finish in time; exiting');
      process.exit(1);
    }, deadlineMs).unref();
    running.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  for (const signal of signals) process.on(signal, stop);
}
