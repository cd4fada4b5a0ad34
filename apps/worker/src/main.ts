import { closeOnSignals, loadConfig, requireDistributed, serve } from '@gatehouse/server';

/** A worker process of a distributed deployment: expiry and routing jobs from BullMQ. */
const config = loadConfig();
requireDistributed(config, 'the worker');
const running = await serve(config, { http: false, jobs: true, logger: false });
closeOnSignals(running);
process.stdout.write('gatehouse worker running\n');
