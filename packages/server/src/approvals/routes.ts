import { DecisionAnswer, DecisionBody, IdParams } from '@gatehouse/contract';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { decide } from './service.ts';

export const approvalRoutes: Routes = async (app, { rt }) => {
  app.post(
    '/v1/requests/:id/decisions',
    {
      preHandler: guard(rt, 'approver'),
      schema: {
        tags: ['approvals'],
        summary: 'Approve or reject a pending request',
        params: IdParams,
        body: DecisionBody,
        response: { 200: DecisionAnswer, '4xx': errorSchema },
      },
    },
    async (request) => decide(rt, principalOf(request), request.params.id, request.body),
  );
};
