import AjvCompiler from '@fastify/ajv-compiler';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import websocket from '@fastify/websocket';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import Fastify, { type FastifyInstance } from 'fastify';
import { agentRoutes } from '../agents/routes.ts';
import { anomalyRoutes } from '../anomaly/routes.ts';
import { approvalRoutes } from '../approvals/routes.ts';
import { auditRoutes } from '../audit/routes.ts';
import { authenticateFirst } from '../auth/authenticate.ts';
import { backtestRoutes } from '../backtest/routes.ts';
import { brokerRoutes } from '../broker/routes.ts';
import { connectionRoutes } from '../connections/routes.ts';
import { grantRoutes } from '../grants/routes.ts';
import { groupRoutes } from '../groups/routes.ts';
import { healthRoutes } from '../health/routes.ts';
import { incidentRoutes } from '../incidents/routes.ts';
import { insightRoutes } from '../insights/routes.ts';
import { keyRoutes } from '../keys/routes.ts';
import { metricsRoutes } from '../metrics/routes.ts';
import type { Runtime } from '../platform/runtime.ts';
import { recordingRoutes } from '../recordings/routes.ts';
import { requestRoutes } from '../requests/routes.ts';
import { sessionRoutes } from '../sessions/routes.ts';
import { slackRoutes } from '../slack/routes.ts';
import { streamRoutes } from '../stream/routes.ts';
import { userRoutes } from '../users/routes.ts';
import { webAuthRoutes } from '../web-auth/routes.ts';
import { webhookRoutes } from '../webhooks/routes.ts';
import { whitelistRoutes } from '../whitelist/routes.ts';
import { frameworkErrors, installErrorHandling } from './errors.ts';
import { rejectInvalidText } from './text.ts';
import { webRoutes } from './web.ts';

export interface HttpOptions {
  /** Where the process logs: `false` is silent; the default is `GATEHOUSE_LOG_LEVEL`. */
  logger?: boolean | { level: string };
}

const rfc3339 = fullFormats['date-time'] as { validate: (text: string) => boolean; compare: unknown };

/**
 * `format: date-time` as Gatehouse reads it: an RFC 3339 date-time that names an instant
 * JavaScript and PostgreSQL both hold, years 1 to 9999 in UTC. RFC 3339 alone also allows
 * year 0000 and leap seconds (`23:59:60`), which `new Date` cannot read or PostgreSQL refuses:
 * those are a 400 here, not a failed query.
 */
const storableDateTime = {
  type: 'string' as const,
  validate: (text: string) => {
    if (!rfc3339.validate(text)) return false;
    const ms = Date.parse(text);
    if (!Number.isFinite(ms)) return false;
    const year = new Date(ms).getUTCFullYear();
    return year >= 1 && year <= 9999;
  },
  compare: rfc3339.compare as (a: string, b: string) => number | undefined,
};

/**
 * The schema validators, one per part of the request, built by fastify's own compiler (ajv
 * with ajv-formats). Unknown properties are refused, not silently dropped: a typo in a
 * security call is an error. A JSON body is taken as sent: no type coercion, so
 * `"command": true` or `["ls"]` is a 400, not the string "true" or "ls". The query string,
 * the path and headers are text on the wire, so their schemas' integers and booleans
 * (`?limit=50`, `?all=true`) are parsed from text: coercion there is the parse.
 */
function buildValidator(externalSchemas: Parameters<ReturnType<typeof AjvCompiler>>[0]) {
  const factory = AjvCompiler();
  const options = { removeAdditional: false, allErrors: false } as const;
  const onCreate = (ajv: { addFormat(name: string, format: typeof storableDateTime): unknown }) =>
    ajv.addFormat('date-time', storableDateTime);
  const asSent = factory(externalSchemas, {
    customOptions: { ...options, coerceTypes: false },
    onCreate: onCreate as never,
  });
  const fromText = factory(externalSchemas, {
    customOptions: { ...options, coerceTypes: true },
    onCreate: onCreate as never,
  });
  // The compilers take fastify's route definition; ajv-compiler's typings say a bare schema.
  type Compile = (route: { httpPart?: string }) => unknown;
  return (route: { httpPart?: string }) =>
    ((route.httpPart === 'body' ? asSent : fromText) as unknown as Compile)(route);
}

/** The HTTP API and live stream, over a runtime that the caller owns and closes. */
export async function buildHttpApp(rt: Runtime): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: rt.log,
    bodyLimit: rt.config.bodyLimit,
    schemaController: { compilersFactory: { buildValidator: buildValidator as never } },
    frameworkErrors,
    // Longer ids than any route accepts reach the route, so the caller is authenticated
    // before the schema refuses them (fastify's default, 100, would refuse them unauthenticated).
    routerOptions: { maxParamLength: 2048 },
    return503OnClosing: true,
    ...(rt.config.trustProxy ? { trustProxy: rt.config.trustProxy } : {}),
  });
  installErrorHandling(app);
  // Who is calling is settled first, in onRequest, for every route: see authenticateFirst.
  app.addHook('onRoute', authenticateFirst);
  // Then, before any schema or handler sees them, no string may hold what PostgreSQL refuses.
  app.addHook('preValidation', rejectInvalidText);
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
    connectionRoutes,
    brokerRoutes,
    approvalRoutes,
    groupRoutes,
    whitelistRoutes,
    grantRoutes,
    auditRoutes,
    insightRoutes,
    anomalyRoutes,
    backtestRoutes,
    metricsRoutes,
    incidentRoutes,
    recordingRoutes,
    streamRoutes,
    webhookRoutes,
    slackRoutes,
  ]) {
    await app.register(routes, { rt });
  }
  app.get('/docs/json', { schema: { hide: true } }, async () => app.swagger());
  // The approver web app, last: its page fallback answers only what no API route claimed.
  await app.register(webRoutes, {});
  return app;
}
