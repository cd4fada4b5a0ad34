import { summarizeFailure } from '@gatehouse/db';
import type { FastifyBaseLogger } from 'fastify';
import { type DestinationStream, pino } from 'pino';

export type Logger = FastifyBaseLogger;

/**
 * Errors are logged as a bounded summary (`summarizeFailure`): their kind, the database's
 * SQLSTATE and constraint, the first stack frames. Never the error's own properties, which
 * for a failed query are the statement with every parameter: a request's command,
 * justification or recording, unmasked, and as long as the request.
 */
const serializers = {
  err: summarizeFailure,
  // Fastify's own request line, without the query string: `?q=` is a person's search text.
  req: (req: { method?: string; url?: string; host?: string; ip?: string }) => ({
    method: req.method,
    url: req.url?.split('?')[0],
    host: req.host,
    remoteAddress: req.ip,
  }),
};

/**
 * `false` is silent; the HTTP app and the runtime log through the same instance. Lines go to
 * stdout unless a destination is given.
 */
export function createLogger(options: boolean | { level: string }, destination?: DestinationStream): Logger {
  if (options === false) return pino({ level: 'silent' });
  const settings = options === true ? { serializers } : { level: options.level, serializers };
  return destination ? pino(settings, destination) : pino(settings);
}
