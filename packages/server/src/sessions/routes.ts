import type { FastifyInstance } from 'fastify';
import { bearerToken, guard, principalOf } from '../auth/authenticate.ts';
import { errorSchema } from '../http/errors.ts';
import type { Runtime } from '../runtime.ts';
import { revokeSession, startSession } from './service.ts';
import { MAX_SESSION_TTL_SECONDS } from './tokens.ts';

export async function sessionRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.post(
    '/v1/sessions',
    {
      schema: {
        tags: ['identity'],
        summary: 'Trade an agent key (Bearer) for a session token (default 15 min, at most 1 h)',
        body: {
          type: 'object',
          additionalProperties: false,
          properties: { ttlSeconds: { type: 'integer', minimum: 60, maximum: MAX_SESSION_TTL_SECONDS } },
        },
        response: {
          201: {
            type: 'object',
            properties: {
              token: { type: 'string' },
              expiresAt: { type: 'string' },
              sessionId: { type: 'string' },
            },
          },
          '4xx': errorSchema,
        },
      },
    },
    async (request, reply) => {
      const ttl = (request.body as { ttlSeconds?: number } | undefined)?.ttlSeconds;
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
        params: { type: 'object', properties: { id: { type: 'string', maxLength: 64 } }, required: ['id'] },
        response: { '4xx': errorSchema },
      },
    },
    async (request) => {
      const id = (request.params as { id: string }).id;
      await revokeSession(rt, principalOf(request), id);
      return { id, revoked: true };
    },
  );
}
