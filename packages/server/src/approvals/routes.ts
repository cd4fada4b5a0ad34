import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { type DecisionInput, decide } from './service.ts';

export async function approvalRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.post(
    '/v1/requests/:id/decisions',
    {
      preHandler: guard(rt, 'approver'),
      schema: {
        tags: ['approvals'],
        summary: 'Approve or reject a pending request',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['decision'],
          properties: {
            decision: { type: 'string', enum: ['approve', 'reject'] },
            comment: { type: 'string', maxLength: 4096 },
            whitelist: {
              type: 'object',
              additionalProperties: false,
              required: ['pattern', 'expiresAt', 'reason'],
              properties: {
                // The exact command text, or a CommandMatch object (validated by the risk engine).
                pattern: {
                  anyOf: [
                    { type: 'string', minLength: 1, maxLength: 65_536 },
                    { type: 'object', maxProperties: 16 },
                  ],
                },
                expiresAt: { type: 'string', format: 'date-time' },
                reason: { type: 'string', minLength: 1, maxLength: 2048 },
              },
            },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              status: { type: 'string' },
              approvals: { type: 'integer' },
              required: { type: 'integer' },
              whitelistId: { type: 'string' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) =>
      decide(rt, principalOf(request), (request.params as { id: string }).id, request.body as DecisionInput),
  );
}
