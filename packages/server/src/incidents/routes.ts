import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { incidentBundle } from './service.ts';

export async function incidentRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.post(
    '/v1/incidents/export',
    {
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['evidence'],
        summary:
          "One agent's record since a time (agent, requests with verdicts, decisions, executions, recordings, sessions, audit slice) with a manifest of SHA-256 digests",
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['agent', 'since'],
          properties: {
            agent: { type: 'string', minLength: 1, maxLength: 64 },
            since: { type: 'string', format: 'date-time', maxLength: 64 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              manifest: {
                type: 'object',
                additionalProperties: true,
                description: 'also the content of manifest.json',
              },
              files: {
                type: 'array',
                items: {
                  type: 'object',
                  properties: { name: { type: 'string' }, content: { type: 'string' } },
                  required: ['name', 'content'],
                },
              },
            },
            required: ['manifest', 'files'],
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request) => {
      const body = request.body as { agent: string; since: string };
      return incidentBundle(rt, principalOf(request), { agentId: body.agent, since: new Date(body.since) });
    },
  );
}
