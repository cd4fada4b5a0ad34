import type { FastifyBaseLogger } from 'fastify';
import { pino } from 'pino';

export type Logger = FastifyBaseLogger;

/** `false` is silent; the HTTP app and the runtime log through the same instance. */
export function createLogger(options: boolean | { level: string }): Logger {
  if (options === false) return pino({ level: 'silent' });
  return pino(options === true ? {} : { level: options.level });
}
