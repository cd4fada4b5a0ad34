import { ERRORS, ErrorBody as ErrorBodySchema, type ErrorCode } from '@gatehouse/contract';
import { databaseErrorOf } from '@gatehouse/db';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { GatehouseError } from '../errors.ts';

export interface ErrorBody {
  error: { code: string; message: string };
}

/** Fastify's own refusals, in the catalogue's words. */
const FASTIFY_CODES: Record<string, { code: ErrorCode; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: { code: 'UNSUPPORTED_MEDIA_TYPE' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED_JSON', message: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'BAD_CONTENT_LENGTH' },
};

/** How long a client should wait before retrying a 503, in seconds (the `Retry-After` header). */
export const RETRY_AFTER_SECONDS = 2;

/**
 * Every error leaves as `{"error": {"code", "message"}}`. Client mistakes get their 4xx and
 * an explanation; an unreachable database or job queue a 503 with Retry-After; anything
 * unexpected is logged (bounded, without the request's data: see platform/log.ts) and
 * answered with a generic 500 that reveals nothing about the internals.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof GatehouseError) {
      return send(reply, error.code, error.message);
    }
    const database = databaseErrorOf(error);
    if (database?.code === 'ERR_DB_BUSY' || database?.code === 'ERR_DB_CLOSED') {
      // Nothing was written: the call never reached the database. The client may retry.
      request.log.warn({ code: database.code, reason: database.message }, 'database unavailable');
      return send(reply, 'DATABASE_BUSY', database.message);
    }
    if (database?.code === 'ERR_DB_UNREACHABLE') {
      // Every write is one transaction: it committed whole or not at all. The client may retry.
      request.log.warn({ err: error, route: routeOf(request) }, 'database unreachable');
      return send(
        reply,
        'DATABASE_UNAVAILABLE',
        'the database cannot be reached now; the call did not complete, retry later',
      );
    }
    if (database?.code === 'ERR_DB_STORAGE') {
      // The statement failed whole (disk full, I/O error): nothing was written. Loud, because
      // only an operator can make room; the client may retry later.
      request.log.error({ err: error, route: routeOf(request) }, 'database cannot store data');
      return send(
        reply,
        'DATABASE_STORAGE',
        'the database cannot store data now (disk full or a storage error); nothing was written, retry later',
      );
    }
    if (error.validation) {
      // Fastify names the part first (`body/command must be string`); say it once.
      const part = error.validationContext ?? 'request';
      const message = error.message.startsWith(part) ? error.message : `${part} ${error.message}`;
      return send(reply, 'VALIDATION_FAILED', message);
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return send(reply, known.code, known.message ?? error.message);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return send(reply, 'BAD_REQUEST', error.message);
    }
    // `err` is logged as a bounded summary: never a failed query's statement or parameters.
    request.log.error({ err: error, route: routeOf(request) }, 'unhandled error');
    return send(reply, 'INTERNAL', 'internal error; the request was not completed');
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  );
}

/**
 * Refusals fastify makes before any route is found (fastify's `frameworkErrors`), in the
 * catalogue's shape. Never the URL in the message: fastify's own would echo it back whole.
 */
export function frameworkErrors(error: FastifyError, _request: FastifyRequest, reply: FastifyReply) {
  if (error.code === 'FST_ERR_BAD_URL')
    return send(reply, 'BAD_REQUEST', 'the path is not valid percent-encoded UTF-8');
  if (error.code === 'FST_ERR_MAX_PARAM_LENGTH')
    return send(reply, 'BAD_REQUEST', 'a segment of the path is too long');
  return send(reply, 'BAD_REQUEST', 'the request cannot be routed');
}

/** The route's pattern (`POST /v1/requests/:id/decisions`), never the URL with its query. */
function routeOf(request: FastifyRequest): string {
  return `${request.method} ${request.routeOptions.url ?? '(no route)'}`;
}

function body(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/**
 * Answers with the catalogue's status for the code: one code, one status, everywhere. A 503
 * says when to come back: each of them (database, job queue, revocation state) is transient.
 */
export function send(reply: FastifyReply, code: ErrorCode, message: string) {
  const status = ERRORS[code].status;
  if (status === 503 && !reply.hasHeader('retry-after'))
    reply.header('retry-after', String(RETRY_AFTER_SECONDS));
  return reply.status(status).send(body(code, message));
}

/** JSON schema of the error body, for the OpenAPI document. */
export const errorSchema = ErrorBodySchema;
