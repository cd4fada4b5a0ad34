import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { getRecording } from './service.ts';

export async function recordingRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.get(
    '/v1/requests/:id/recording',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['evidence'],
        summary: 'The masked output of an executed request, as timestamped chunks',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        response: { '4xx': errorSchema },
      },
    },
    async (request) => getRecording(rt, principalOf(request), (request.params as { id: string }).id),
  );
}
