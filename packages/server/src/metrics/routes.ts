import { createHash, timingSafeEqual } from 'node:crypto';
import { Queue } from 'bullmq';
import type { FastifyRequest } from 'fastify';
import { Redis } from 'ioredis';
import { Type } from 'typebox';
import { authenticate, bearerToken } from '../auth/authenticate.ts';
import { hasRole } from '../auth/principal.ts';
import { GatehouseError } from '../errors.ts';
import { errorSchema } from '../http/errors.ts';
import type { Routes } from '../http/typed.ts';
import { metricsOf } from '../platform/metrics.ts';
import type { Runtime } from '../platform/runtime.ts';

const digest = (value: string) => createHash('sha256').update(value).digest();

/**
 * Who may scrape: the bearer token in GATEHOUSE_METRICS_TOKEN, or an admin's (the bootstrap
 * token or a person with the admin role). Anyone else, signed in or not, gets a 401: a
 * scraper is configured with one token, and a 403 would tell a stranger the token they hold
 * is a real one. The session cookie is not accepted: scrapes are not browser calls.
 */
async function mayScrape(rt: Runtime, request: FastifyRequest): Promise<void> {
  const token = bearerToken(request);
  if (rt.config.metricsToken && timingSafeEqual(digest(token), digest(rt.config.metricsToken))) return;
  const principal = await authenticate(rt, token).catch(() => undefined);
  if (principal && hasRole(principal, 'admin')) return;
  throw new GatehouseError('INVALID_TOKEN', 'metrics need GATEHOUSE_METRICS_TOKEN or an admin token');
}

/** `GET /metrics`: Prometheus text exposition of this process. */
export const metricsRoutes: Routes = async (app, { rt }) => {
  const metrics = metricsOf(rt);
  metrics.websocketClients = () => app.websocketServer?.clients.size ?? 0;
  if (rt.config.redisUrl) {
    // A connection of its own, opened on the first scrape: the job queue's is private to it.
    let queue: Queue | undefined;
    let connection: Redis | undefined;
    metrics.queueDepth = async () => {
      if (!queue) {
        connection = new Redis(rt.config.redisUrl!, {
          lazyConnect: true,
          enableOfflineQueue: false,
          maxRetriesPerRequest: 1,
          commandTimeout: 500,
        });
        connection.on('error', () => {});
        queue = new Queue('jobs', { connection, prefix: rt.config.redisPrefix });
        queue.on('error', () => {});
      }
      return queue.getJobCounts('waiting', 'delayed', 'active', 'prioritized');
    };
    app.addHook('onClose', async () => {
      await queue?.close().catch(() => {});
      connection?.disconnect();
    });
  }

  app.get(
    '/metrics',
    {
      onRequest: async (request) => mayScrape(rt, request),
      schema: {
        tags: ['metrics'],
        summary:
          'Prometheus metrics (text format): requests, decision latency, pending, whitelist hits, drift alarms, WebSocket connections, job queue, process',
        description:
          'Needs `Authorization: Bearer <GATEHOUSE_METRICS_TOKEN or an admin token>`; 401 otherwise.',
        response: { 200: Type.String(), '4xx': errorSchema },
      },
    },
    async (_request, reply) => {
      const text = await metrics.registry.metrics();
      return reply.header('content-type', metrics.registry.contentType).send(text);
    },
  );
};
