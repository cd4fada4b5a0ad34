import type { FastifyInstance } from 'fastify';
import type { Runtime } from '../platform/runtime.ts';

/** A readiness probe that waits longer than this has its answer: not ready. */
export const READY_TIMEOUT_MS = 1_000;

function within<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export async function healthRoutes(app: FastifyInstance, { rt }: { rt: Runtime }) {
  app.get('/healthz', { schema: { tags: ['health'], summary: 'Liveness' } }, async () => ({ status: 'ok' }));
  app.get(
    '/readyz',
    { schema: { tags: ['health'], summary: 'Readiness: database and, when used, Redis' } },
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
        return reply
          .status(503)
          .send({ error: { code: 'NOT_READY', message: `not ready: ${(error as Error).message}` } });
      }
    },
  );
}
