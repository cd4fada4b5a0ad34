import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import Fastify, { type FastifyInstance } from 'fastify';
import { agentRoutes } from '../agents/routes.ts';
import { approvalRoutes } from '../approvals/routes.ts';
import { auditRoutes } from '../audit/routes.ts';
import { groupRoutes } from '../groups/routes.ts';
import { healthRoutes } from '../health/routes.ts';
import { incidentRoutes } from '../incidents/routes.ts';
import { keyRoutes } from '../keys/routes.ts';
import type { Runtime } from '../platform/runtime.ts';
import { recordingRoutes } from '../recordings/routes.ts';
import { requestRoutes } from '../requests/routes.ts';
import { sessionRoutes } from '../sessions/routes.ts';
import { streamRoutes } from '../stream/routes.ts';
import { userRoutes } from '../users/routes.ts';
import { webAuthRoutes } from '../web-auth/routes.ts';
import { whitelistRoutes } from '../whitelist/routes.ts';
import { installErrorHandling } from './errors.ts';
import { webRoutes } from './web.ts';

export interface HttpOptions {
  /** Where the process logs: `false` is silent; the default is `GATEHOUSE_LOG_LEVEL`. */
  logger?: boolean | { level: string };
}

/** The HTTP API and live stream, over a runtime that the caller owns and closes. */
export async function buildHttpApp(rt: Runtime): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: rt.log,
    bodyLimit: rt.config.bodyLimit,
    // Unknown properties are refused, not silently dropped: a typo in a security call is an error.
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
    return503OnClosing: true,
    ...(rt.config.trustProxy ? { trustProxy: rt.config.trustProxy } : {}),
  });
  installErrorHandling(app);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Gatehouse API',
        version: '1',
        description: 'Zero-trust approval for the commands AI agents run',
      },
      components: { securitySchemes: { bearer: { type: 'http', scheme: 'bearer' } } },
      security: [{ bearer: [] }],
    },
  });
  // Browser sessions (gh_session); parsed before any route so guard() can read them.
  await app.register(cookie);
  await app.register(websocket, { options: { maxPayload: 4096 } });
  for (const routes of [
    healthRoutes,
    keyRoutes,
    userRoutes,
    webAuthRoutes,
    agentRoutes,
    sessionRoutes,
    requestRoutes,
    approvalRoutes,
    groupRoutes,
    whitelistRoutes,
    auditRoutes,
    incidentRoutes,
    recordingRoutes,
    streamRoutes,
  ]) {
    await app.register(routes, { rt });
  }
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  // The approver web app, last: its page fallback answers only what no API route claimed.
  await app.register(webRoutes, {});
  return app;
}
