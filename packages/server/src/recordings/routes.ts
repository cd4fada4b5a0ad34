import { IdParams, RecordingAnswer } from '@gatehouse/contract';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { getRecording } from './service.ts';

export const recordingRoutes: Routes = async (app, { rt }) => {
  app.get(
    '/v1/requests/:id/recording',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['evidence'],
        summary: 'The masked output of an executed request, as timestamped chunks',
        params: IdParams,
        response: { 200: RecordingAnswer, '4xx': errorSchema },
      },
    },
    async (request) => getRecording(rt, principalOf(request), request.params.id),
  );
};
