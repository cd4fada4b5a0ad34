import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { checkLiteral, DestinationRefused, guardedLookup, hostOf } from './ssrf.ts';

export interface PostResult {
  /** The receiver's status; absent when there was no answer. */
  statusCode?: number;
  /** Where a 3xx pointed (never followed). */
  location?: string;
  /** Why there was no answer (timeout, refused destination, network). */
  error?: string;
  /** The destination is refused by the SSRF guard: retrying changes nothing. */
  refused?: boolean;
  latencyMs: number;
}

/**
 * One POST of a webhook body: the SSRF guard resolves and checks the destination inside the
 * connection, redirects are reported and never followed, and the whole exchange is bounded by
 * `timeoutMs`. Never throws: every way it can end is a result for the delivery log.
 */
export function postWebhook(
  target: string,
  body: string,
  headers: Record<string, string>,
  options: { timeoutMs: number; allowPrivate: boolean },
): Promise<PostResult> {
  const started = performance.now();
  const elapsed = () => Math.round(performance.now() - started);
  return new Promise((resolve) => {
    let settled = false;
    const finish = (result: Omit<PostResult, 'latencyMs'>) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      resolve({ ...result, latencyMs: elapsed() });
    };
    let url: URL;
    try {
      url = new URL(target);
      checkLiteral(hostOf(url), options.allowPrivate);
    } catch (error) {
      return finish({ error: (error as Error).message, refused: error instanceof DestinationRefused });
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(
      url,
      {
        method: 'POST',
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': String(Buffer.byteLength(body)),
          'user-agent': 'Gatehouse-Webhooks/1',
        },
        lookup: guardedLookup(options.allowPrivate),
        // A fresh connection per attempt: nothing pooled outlives the check that vetted it.
        agent: false,
      },
      (res) => {
        // The answer's status is all the log keeps; the body is read and dropped.
        res.resume();
        const statusCode = res.statusCode ?? 0;
        const location = statusCode >= 300 && statusCode < 400 ? res.headers.location : undefined;
        res.on('end', () => finish({ statusCode, ...(location ? { location } : {}) }));
        res.on('error', () => finish({ statusCode, ...(location ? { location } : {}) }));
      },
    );
    const timer = setTimeout(() => {
      finish({ error: `no answer within ${options.timeoutMs} ms` });
      req.destroy();
    }, options.timeoutMs);
    req.on('error', (error) => {
      const refused = error instanceof DestinationRefused;
      finish({ error: refused ? error.message : describeNetworkError(error), refused });
    });
    req.end(body);
  });
}

function describeNetworkError(error: NodeJS.ErrnoException): string {
  const code = error.code ? `${error.code}: ` : '';
  return `${code}${error.message}`.slice(0, 300);
}
