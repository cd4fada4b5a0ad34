import type { FastifyInstance } from 'fastify';
import { guard, principalOf } from '../auth/authenticate.ts';
import { actorOf } from '../auth/principal.ts';
import type { Runtime } from '../platform/runtime.ts';

export async function keyRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.get(
    '/.well-known/jwks.json',
    { schema: { tags: ['verdicts'], summary: 'Public keys that verify verdicts' } },
    async (_request, reply) => {
      reply.header('cache-control', 'public, max-age=60');
      return rt.keys.verdictJwks();
    },
  );

  app.post(
    '/v1/keys/rotate',
    {
      preHandler: guard(rt, 'admin'),
      schema: {
        tags: ['verdicts'],
        summary: 'Rotate signing keys; old keys stay published until their tokens expire',
      },
    },
    async (request) => {
      const principal = principalOf(request);
      const actor = actorOf(principal) as { type: 'admin' | 'user'; id: string };
      const rotated = await rt.keys.rotate(rt.audit, actor);
      await rt.bus.publish({ type: 'keys.rotated', data: {} }).catch(() => {});
      return rotated;
    },
  );
}
