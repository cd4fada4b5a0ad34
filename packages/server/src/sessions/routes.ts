import { IdParams, SessionStarted, StartSessionBody } from '@gatehouse/contract';
import { bearerToken, guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import { type Routes, Unshaped } from '../http/typed.ts';
import { agentOfKey, revokeSession, startSession } from './service.ts';

export const sessionRoutes: Routes = async (app, { rt }) => {
  app.post(
    '/v1/sessions',
    {
      // The agent key is checked before the body is read: a stranger gets a 401, never a 400.
      onRequest: async (request) => {
        await agentOfKey(rt, bearerToken(request));
      },
      schema: {
        tags: ['identity'],
        summary: 'Trade an agent key (Bearer) for a session token (default 15 min, at most 1 h)',
        body: StartSessionBody,
        response: { 201: SessionStarted, '4xx': errorSchema },
      },
    },
    async (request, reply) => {
      const ttl = request.body?.ttlSeconds;
      const session = await startSession(rt, bearerToken(request), ttl);
      return reply
        .status(201)
        .send({ token: session.token, expiresAt: session.expiresAt.toISOString(), sessionId: session.id });
    },
  );

  app.post(
    '/v1/sessions/:id/revoke',
    {
      preHandler: guard(rt, 'admin', 'agent'),
      schema: {
        tags: ['identity'],
        summary: 'End a session on every replica within a second',
        params: IdParams,
        response: { 200: Unshaped, '4xx': errorSchema },
      },
    },
    async (request) => {
      const { id } = request.params;
      await revokeSession(rt, principalOf(request), id);
      return { id, revoked: true };
    },
  );
};
