import type { FastifyInstance } from 'fastify';
import { send } from '../http/errors.ts';
import { within } from '../platform/jobs.ts';
import type { Runtime } from '../platform/runtime.ts';

/** A readiness probe that waits longer than this has its answer: not ready. */
export const READY_TIMEOUT_MS = 1_000;

export async function healthRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness', security: [] } }, async () => ({
    status: 'ok',
  }));
  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness: database and, when used, Redis', security: [] } },
    async (request, reply) => {
      try {
        await within(rt.checkReady(), READY_TIMEOUT_MS, 'the database or job queue');
        return {
          status: 'ready',
          database: rt.database.driver,
          jobs: rt.config.redisUrl ? 'redis' : 'in-process',
        };
      } catch (error) {
        request.log.warn({ err: error }, 'not ready');
        return send(reply, 'NOT_READY', `not ready: ${(error as Error).message}`);
      }
    },
  );
}
