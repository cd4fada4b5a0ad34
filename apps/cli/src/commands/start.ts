import {
  ClusterStartError,
  type Config,
  closeOnSignals,
  joinCluster,
  loadConfig,
  SHUTDOWN_DEADLINE_MS,
  serve,
  startCluster,
  workerIndex,
} from '@gatehouse/server';
import type { CommandIO } from '../io.ts';
import { CliError } from '../io.ts';

export interface StartOptions {
  /** `--workers N`, over GATEHOUSE_WORKERS. */
  workers?: number;
}

/**
 * `gatehouse start`: the all-in-one process. With no configuration it is the embedded mode
 * (PGlite in ./.gatehouse, in-process jobs); DATABASE_URL and REDIS_URL move storage and
 * jobs out independently. With PostgreSQL it runs the API in several worker processes
 * (GATEHOUSE_WORKERS, default one per core) behind one port.
 */
export async function start(io: CommandIO, options: StartOptions = {}): Promise<number> {
  const config = loadConfig(
    options.workers === undefined
      ? process.env
      : { ...process.env, GATEHOUSE_WORKERS: String(options.workers) },
  );
  const index = workerIndex();
  if (index !== undefined) return startWorker(config, index);
  if (config.workers > 1) return startPrimary(io, config);

  const running = await serve(config, { http: true, jobs: true, logger: { level: config.logLevel } });
  closeOnSignals(running);
  announce(io, config, running.url ?? '', running.runtime.admin.generated);
  return -1;
}

async function startWorker(config: Config, index: number): Promise<number> {
  const running = await serve(config, {
    http: true,
    jobs: true,
    periodicJobs: index === 0,
    logger: { level: config.logLevel },
  });
  // The primary stops the workers; a terminal's Ctrl-C reaches them too, and is its call.
  process.on('SIGINT', () => {});
  closeOnSignals(running, SHUTDOWN_DEADLINE_MS, ['SIGTERM']);
  joinCluster(running);
  return -1;
}

async function startPrimary(io: CommandIO, config: Config): Promise<number> {
  try {
    const running = await startCluster({
      workers: config.workers,
      shutdownDeadlineMs: SHUTDOWN_DEADLINE_MS,
      warn: (message) => io.stderr.write(`gatehouse: ${message}\n`),
    });
    closeOnSignals(running, SHUTDOWN_DEADLINE_MS + 1_000);
    announce(io, config, running.ready.url, running.ready.generated);
    return -1;
  } catch (error) {
    if (error instanceof ClusterStartError) throw new CliError(error.message);
    throw error;
  }
}

function announce(
  io: CommandIO,
  config: Config,
  url: string,
  generated: { token: string; file: string } | undefined,
): void {
  const storage = config.databaseUrl ? 'PostgreSQL' : `embedded PostgreSQL in ${config.dataDir}`;
  const jobs = config.redisUrl ? 'Redis' : 'in-process';
  const workers = config.workers > 1 ? `; ${config.workers} workers` : '';
  io.stdout.write(`gatehouse listening on ${url} (storage: ${storage}; jobs: ${jobs}${workers})\n`);
  if (generated) {
    io.stdout.write(
      `\nadmin token (shown once, also saved to ${generated.file} with mode 0600):\n  ${generated.token}\n\n`,
    );
  }
}
