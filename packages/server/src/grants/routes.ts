import {
  GrantList,
  GrantView,
  IdParams,
  ListGrantsQuery,
  RequestGrantAnswer,
  RequestGrantBody,
} from '@gatehouse/contract';
import { guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { GrantRegistry } from './registry.ts';
import { getGrant, listGrants, requestGrant, requestGrantFor, revokeGrant } from './service.ts';

/**
 * Just-in-time grants. Registering these routes also keeps this API process's live grants
 * (the ones request scoring reads) in step with the database.
 */
export const grantRoutes: Routes = async (app, { rt }) => {
  const registry = new GrantRegistry(rt);
  await registry.start();
  app.addHook('onClose', async () => registry.stop());

  app.post(
    '/v1/grants',
    {
      preHandler: guard(rt, 'agent'),
      schema: {
        tags: ['grants'],
        summary:
          'Ask for time-boxed access (a connection or a command pattern, up to a tier); approvers decide it in the queue, the agent waits for its request’s verdict',
        body: RequestGrantBody,
        response: { 201: RequestGrantAnswer, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const principal = principalOf(request);
      if (principal.type !== 'agent') throw new Error('POST /v1/grants is guarded for agents');
      return reply.status(201).send(await requestGrant(rt, principal, request.body));
    },
  );

  app.post(
    '/v1/agents/:id/grants',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['grants'],
        summary:
          'Ask for a grant on behalf of an agent (for the person behind it); decided in the queue like any',
        params: IdParams,
        body: RequestGrantBody,
        response: { 201: RequestGrantAnswer, '4xx': errorSchema },
      },
    },
    async (request, reply) =>
      reply
        .status(201)
        .send(
          await requestGrantFor(rt, principalOf(request), { ...request.body, agentId: request.params.id }),
        ),
  );

  app.get(
    '/v1/grants',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['grants'],
        summary: 'Grants, newest first, with their state now (pending, active, expired, revoked, refused)',
        querystring: ListGrantsQuery,
        response: { 200: GrantList, '4xx': errorSchema },
      },
    },
    async (request) => ({ items: await listGrants(rt, request.query) }),
  );

  app.get(
    '/v1/grants/:id',
    {
      preHandler: guard(rt, 'approver', 'auditor', 'admin'),
      schema: {
        tags: ['grants'],
        summary: 'One grant, with its state now',
        params: IdParams,
        response: { 200: GrantView, '4xx': errorSchema },
      },
    },
    async (request) => getGrant(rt, request.params.id),
  );

  app.post(
    '/v1/grants/:id/revoke',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['grants'],
        summary: 'End an active grant now, on every replica; brokered sessions under it are closed',
        params: IdParams,
        response: { 200: GrantView, '4xx': errorSchema },
      },
    },
    async (request) => revokeGrant(rt, principalOf(request), request.params.id),
  );
};
