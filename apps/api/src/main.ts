import { closeOnSignals, loadConfig, requireDistributed, serve } from '@gatehouse/server';

/** The API process of a distributed deployment: HTTP and live events, no job handlers. */
const config = loadConfig();
requireDistributed(config, 'the API');
const running = await serve(config, { http: true, jobs: false });
closeOnSignals(running);
process.stdout.write(`gatehouse api listening on ${running.url}\n`);
