import { AgentCreated, CreateAgentBody, IdParams } from '@gatehouse/contract';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import { type Routes, Unshaped } from '../http/typed.ts';
import { listAgents } from './list.ts';
import { createAgent, revokeAgent } from './service.ts';

export const agentRoutes: Routes = async (app, { rt }) => {
  app.get(
    '/v1/agents',
    {
      // Approvers too: the history filters by agent name, and the names are on every request they see.
      preHandler: guard(rt, 'admin', 'auditor', 'approver'),
      schema: {
        tags: ['identity'],
        summary: 'Every agent with its owner and revocation time',
        response: { 200: Unshaped, '4xx': errorSchema },
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
        body: CreateAgentBody,
        response: {
          201: AgentCreated,
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      return reply.status(201).send(await createAgent(rt, principalOf(request), request.body));
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
        params: IdParams,
        response: { 200: Unshaped, '4xx': errorSchema },
      },
    },
    async (request) => revokeAgent(rt, principalOf(request), request.params.id),
  );
};
