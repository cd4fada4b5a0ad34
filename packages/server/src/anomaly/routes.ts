import { BaselineAnswer, BaselineQuery } from '@gatehouse/contract';
import { guard } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { AnomalyDetector } from './detector.ts';
import { baselineSummary } from './service.ts';

/**
 * The anomaly baselines, read-only, for security reviewers, admins and approvers (agents may
 * not see what is usual for them: it would show how to stay under the radar). Registering
 * these routes also starts this API process's detector, which submitRequest consults.
 */
export const anomalyRoutes: Routes = async (app, { rt }) => {
  const detector = new AnomalyDetector(rt);
  await detector.start();
  app.addHook('onClose', async () => detector.stop());

  app.get(
    '/v1/anomaly/baselines',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['insights'],
        summary:
          'Anomaly baselines per agent type: learning or not, the command families and targets seen in the window, hours and the usual per-minute peak',
        querystring: BaselineQuery,
        response: { 200: BaselineAnswer, '4xx': errorSchema },
      },
    },
    async (request) => baselineSummary(rt, request.query),
  );
};
