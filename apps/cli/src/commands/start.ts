import { closeOnSignals, loadConfig, serve } from '@gatehouse/server';
import type { CommandIO } from '../io.ts';

/**
 * `gatehouse start`: the all-in-one process. With no configuration it is the embedded mode
 * (PGlite in ./.gatehouse, in-process jobs); DATABASE_URL and REDIS_URL move storage and
 * jobs out independently.
 */
export async function start(io: CommandIO): Promise<number> {
  const config = loadConfig();
  const running = await serve(config, { http: true, jobs: true, logger: { level: config.logLevel } });
  closeOnSignals(running);
  const storage = config.databaseUrl ? 'PostgreSQL' : `embedded PostgreSQL in ${config.dataDir}`;
  const jobs = config.redisUrl ? 'Redis' : 'in-process';
  io.stdout.write(`gatehouse listening on ${running.url} (storage: ${storage}; jobs: ${jobs})\n`);
  const generated = running.runtime.admin.generated;
  if (generated) {
    io.stdout.write(
      `\nadmin token (shown once, also saved to ${generated.file} with mode 0600):\n  ${generated.token}\n\n`,
    );
  }
  return -1;
}
