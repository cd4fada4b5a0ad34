import { Readable } from 'node:stream';
import { BacktestBody, MAX_BACKTEST_POLICY_BYTES } from '@gatehouse/contract';
import { databaseErrorOf } from '@gatehouse/db';
import { Type } from 'typebox';
import { guard, principalOf } from '../auth/authenticate.ts';
import type { Principal } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import type { Runtime } from '../platform/runtime.ts';
import { type PreparedBacktest, prepareBacktest, runBacktest } from './service.ts';

/**
 * Policy backtests: a candidate policy re-scores the history, and the answer says what would
 * change. For auditors and admins, the people who own the policy: a run reads every agent's
 * commands and costs CPU over the whole window, so neither approvers nor agents may start one.
 * The answer streams (NDJSON) and keeps no state on the server, so it works on any replica.
 */
export const backtestRoutes: Routes = async (app, { rt }) => {
  app.post(
    '/v1/backtests',
    {
      preHandler: guard(rt, 'auditor', 'admin'),
      // A policy may be as large as a policy file; JSON escaping adds to it, the service checks the text.
      bodyLimit: 2 * MAX_BACKTEST_POLICY_BYTES,
      schema: {
        tags: ['backtests'],
        summary:
          'Re-score the history since `since` under a candidate policy (plus the live whitelist entries) and stream progress, then the tier moves and auto-approval rates (audited)',
        body: BacktestBody,
        response: {
          200: {
            description:
              'one JSON object per line: `{"type":"progress","done","total"}` after each page, then one `{"type":"result",…}` (BacktestResult), or `{"type":"error","code","message"}` if the run broke off',
            content: { 'application/x-ndjson': { schema: Type.String() } },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const release = acquire(rt);
      if (!release) {
        reply.header('retry-after', String(BUSY_RETRY_SECONDS));
        throw new GatehouseError(
          'BACKTEST_BUSY',
          `${MAX_CONCURRENT_BACKTESTS} backtests are running on this server; retry when one ends`,
        );
      }
      // The slot is held until the answer is over, sent whole or broken off.
      reply.raw.once('close', release);
      let prepared: PreparedBacktest;
      try {
        prepared = await prepareBacktest(rt.database.db, request.body);
      } catch (error) {
        release();
        throw error;
      }
      const lines = Readable.from(ndjson(rt, principalOf(request), prepared), { objectMode: false });
      // Proxies that buffer would hold the progress lines until the end.
      reply.header('cache-control', 'no-store').header('x-accel-buffering', 'no');
      // A stream of the lines the 200 schema describes; fastify pipes it, the type says string.
      return reply.type('application/x-ndjson').send(lines as unknown as string);
    },
  );
};

/**
 * Runs at once per process. Each one holds a core for as long as it scores; more than this
 * would take the server's time from the requests it decides (on the embedded database, the
 * same thread).
 */
export const MAX_CONCURRENT_BACKTESTS = 2;
const BUSY_RETRY_SECONDS = 5;
const runs = new WeakMap<Runtime, number>();

/** A slot for one run, or undefined when all are taken; the release is idempotent. */
function acquire(rt: Runtime): (() => void) | undefined {
  const held = runs.get(rt) ?? 0;
  if (held >= MAX_CONCURRENT_BACKTESTS) return undefined;
  runs.set(rt, held + 1);
  let released = false;
  return () => {
    if (released) return;
    released = true;
    runs.set(rt, (runs.get(rt) ?? 1) - 1);
  };
}

/** The run as lines; a failure after the first line can no longer be a status, so it is the last line. */
async function* ndjson(rt: Runtime, by: Principal, prepared: PreparedBacktest): AsyncGenerator<string> {
  try {
    for await (const line of runBacktest(rt, by, prepared)) yield `${JSON.stringify(line)}\n`;
  } catch (error) {
    const database = databaseErrorOf(error);
    const failure =
      error instanceof GatehouseError
        ? { code: error.code, message: error.message }
        : database
          ? {
              code: 'DATABASE_UNAVAILABLE',
              message: 'the database stopped answering; the backtest broke off',
            }
          : { code: 'INTERNAL', message: 'internal error; the backtest broke off' };
    if (!database && !(error instanceof GatehouseError)) rt.log.error({ err: error }, 'backtest failed');
    yield `${JSON.stringify({ type: 'error', ...failure })}\n`;
  }
}
