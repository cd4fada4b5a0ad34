import type { Logger } from './types.ts';

type Level = 'debug' | 'info' | 'warn' | 'error';

export type SafeLogger = Record<Level, (message: string, fields?: Record<string, unknown>) => void>;

/**
 * Wraps the caller's logger so that nothing it does (throw, return a rejected promise)
 * can reach the decision path: logging must never turn into an outcome.
 */
export function safeLogger(logger: Logger | undefined): SafeLogger {
  const emit = (level: Level) => (message: string, fields?: Record<string, unknown>) => {
    if (!logger) return;
    try {
      const result: unknown = logger[level]?.call(logger, message, fields);
      if (result instanceof Promise) result.catch(() => {});
    } catch {
      // deliberately ignored: see above
    }
  };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
