import { databaseErrorOf } from '@gatehouse/db';
import type { FastifyError, FastifyInstance } from 'fastify';
import { GatehouseError } from '../errors.ts';

export interface ErrorBody {
  error: { code: string; message: string };
}

const FASTIFY_CODES: Record<string, { status: number; code: string; message?: string }> = {
  FST_ERR_CTP_BODY_TOO_LARGE: { status: 413, code: 'BODY_TOO_LARGE' },
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    status: 415,
    code: 'UNSUPPORTED_MEDIA_TYPE',
    message: 'send JSON with content-type application/json',
  },
  FST_ERR_CTP_EMPTY_JSON_BODY: { status: 400, code: 'MALFORMED_JSON', message: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_JSON_BODY: { status: 400, code: 'MALFORMED_JSON' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { status: 400, code: 'BAD_CONTENT_LENGTH' },
};

/**
 * Every error leaves as `{"error": {"code", "message"}}`. Client mistakes get their 4xx and
 * an explanation; anything unexpected is logged and answered with a generic 500 that
 * reveals nothing about the internals.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (error instanceof GatehouseError) {
      return reply.status(error.status).send(body(error.code, error.message));
    }
    const database = databaseErrorOf(error);
    if (database?.code === 'ERR_DB_BUSY' || database?.code === 'ERR_DB_CLOSED') {
      // Nothing was written: the call never reached the database. The client may retry.
      request.log.warn({ code: database.code, reason: database.message }, 'database unavailable');
      return reply.status(503).send(body('DATABASE_BUSY', database.message));
    }
    if (error.validation) {
      return reply
        .status(400)
        .send(
          body(
            'VALIDATION_FAILED',
            `${error.validationContext ?? 'request'} ${error.message.replace(/^\w+\s/, '')}`,
          ),
        );
    }
    const known = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (known) return reply.status(known.status).send(body(known.code, known.message ?? error.message));
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      return reply.status(error.statusCode).send(body('BAD_REQUEST', error.message));
    }
    request.log.error({ err: error }, 'unhandled error');
    return reply.status(500).send(body('INTERNAL', 'internal error; the request was not completed'));
  });
  app.setNotFoundHandler((request, reply) =>
    reply.status(404).send(body('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`)),
  );
}

function body(code: string, message: string): ErrorBody {
  return { error: { code, message } };
}

/** JSON schema of the error body, for the OpenAPI document. */
export const errorSchema = {
  type: 'object',
  properties: {
    error: {
      type: 'object',
      properties: { code: { type: 'string' }, message: { type: 'string' } },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;
