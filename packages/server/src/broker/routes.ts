import { IdParams, SqlResult } from '@gatehouse/contract';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { closeSessionPools } from './pool.ts';
import { executeRequest, watchGrantEnds } from './service.ts';

export const brokerRoutes: Routes = async (app, { rt }) => {
  // Every API process watches for grant ends: the execution to stop may be running on any of
  // them. On ready, so the grant registry (registered with the grant routes) exists.
  let unwatch = () => {};
  app.addHook('onReady', async () => {
    unwatch = watchGrantEnds(rt);
  });
  app.addHook('onClose', async () => {
    unwatch();
    await closeSessionPools(rt);
  });

  app.post(
    '/v1/requests/:id/execute',
    {
      preHandler: guard(rt, 'agent'),
      schema: {
        tags: ['requests'],
        summary:
          'Run an allowed brokered request on its connection (consumes the verdict) and answer the masked result',
        params: IdParams,
        response: { 200: SqlResult, '4xx': errorSchema, '5xx': errorSchema },
      },
    },
    async (request) => {
      const principal = principalOf(request);
      if (principal.type !== 'agent') throw new Error('execute on a route not guarded for agents');
      return executeRequest(rt, principal, request.params.id);
    },
  );
};
