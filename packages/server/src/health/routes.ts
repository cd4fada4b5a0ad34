import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../runtime.ts';

export async function healthRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness' } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness: database and, when used, Redis' } },
    async (_request, reply) => {
      try {
        await rt.checkReady();
        return {
          status: 'ready',
          database: rt.database.driver,
          jobs: rt.config.redisUrl ? 'redis' : 'in-process',
        };
      } catch (error) {
        return reply
          .status(503)
          .send({ error: { code: 'NOT_READY', message: `not ready: ${(error as Error).message}` } });
      }
    },
  );
}
