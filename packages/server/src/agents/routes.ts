import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { listAgents } from './list.ts';
import { createAgent, revokeAgent } from './service.ts';

const name = { type: 'string', minLength: 1, maxLength: 200 } as const;
/** Same limit as `context.environment` of a request. */
const environment = { type: 'string', minLength: 1, maxLength: 32 } as const;

export async function agentRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.get(
    '/v1/agents',
    {
      preHandler: guard(rt, 'admin', 'auditor'),
      schema: {
        tags: ['identity'],
        summary: 'Every agent with its owner and revocation time',
        response: { '4xx': errorSchema },
      },
    },
    async () => ({ items: await listAgents(rt) }),
  );

  app.post(
    '/v1/agents',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary: 'Create an agent; its key is shown once and stored only as a hash',
        body: {
          type: 'object',
          additionalProperties: false,
          required: ['name', 'type'],
          properties: {
            name,
            type: { type: 'string', pattern: '^[a-z0-9][a-z0-9_.-]{0,63}$' },
            owner: { type: 'string', minLength: 1, maxLength: 254 },
            environments: {
              description:
                'Environments the agent may act in; the first is used when a request names none. Omit to let the agent state its own.',
              type: 'array',
              minItems: 1,
              maxItems: 16,
              items: environment,
            },
          },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              id: { type: 'string' },
              name: { type: 'string' },
              type: { type: 'string' },
              owner: { type: ['string', 'null'] },
              environments: { type: ['array', 'null'], items: { type: 'string' } },
              key: { type: 'string' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const body = request.body as { name: string; type: string; owner?: string; environments?: string[] };
      return reply.status(201).send(await createAgent(rt, principalOf(request), body));
    },
  );

  app.post(
    '/v1/agents/:id/revoke',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['identity'],
        summary:
          'Revoke an agent: sessions die on every replica within a second, pending requests are cancelled',
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        response: { '4xx': errorSchema },
      },
    },
    async (request) => revokeAgent(rt, principalOf(request), (request.params as { id: string }).id),
  );
}
