import { ERRORS, ErrorBody as ErrorBodySchema, type ErrorCode } from '@gatehouse/contract';
import { databaseErrorOf } from '@gatehouse/db';
import type { FastifyError, FastifyInstance, FastifyReply } from 'fastify';
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

/**
 * Every error leaves as `{"error": {"code", "message"}}`. Client mistakes get their 4xx and
 * an explanation; anything unexpected is logged and answered with a generic 500 that
 * reveals nothing about the internals.
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
    if (error.validation) {
      return send(
        reply,
        'VALIDATION_FAILED',
        `${error.validationContext ?? 'request'} ${error.message.replace(/^\w+\s/, '')}`,
      );
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return send(reply, known.code, known.message ?? error.message);
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return send(reply, 'BAD_REQUEST', error.message);
    }
    request.log.error({ err: error }, 'unhandled error');
    return send(reply, 'INTERNAL', 'internal error; the request was not completed');
  });
  app.setNotFoundHandler((request, reply) =>
    send(reply, 'NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`),
  );
}

function body(code: ErrorCode, message: string): ErrorBody {
  return { error: { code, message } };
}

/** Answers with the catalogue's status for the code: one code, one status, everywhere. */
function send(reply: FastifyReply, code: ErrorCode, message: string) {
  return reply.status(ERRORS[code].status).send(body(code, message));
}

/** JSON schema of the error body, for the OpenAPI document. */
export const errorSchema = ErrorBodySchema;
