import { GatehouseError } from './errors.ts';
import { parseServerError } from './protocol.ts';

/** Largest response body the SDK reads; a verdict answer is a few kilobytes. */
export const MAX_RESPONSE_BYTES = 1024 * 1024;

export type FetchLike = (input: string | URL, init?: RequestInit) => Promise<Response>;

export interface HttpOptions {
  method: 'GET' | 'POST';
  token: string;
  body?: unknown;
  timeoutMs: number;
  /** The caller's deadline/cancellation; its reason wins over a per-call timeout. */
  signal?: AbortSignal;
  fetch: FetchLike;
}

export interface HttpResponse {
  status: number;
  body: unknown;
}

/** Joins a path onto the base URL, keeping any path prefix the server is mounted under. */
export function endpoint(baseUrl: URL, path: string, protocol?: 'ws'): URL {
  const url = new URL(baseUrl.href);
  url.pathname = `${url.pathname.replace(/\/+$/, '')}${path.split('?')[0]}`;
  url.search = path.includes('?') ? path.slice(path.indexOf('?')) : '';
  url.hash = '';
  if (protocol === 'ws') url.protocol = url.protocol === 'https:' ? 'wss:' : 'ws:';
  return url;
}

/**
 * One JSON call. Resolves only for a 2xx with a JSON body; every other outcome is a
 * GatehouseError with a code a caller can act on.
 */
export async function callJson(url: URL, options: HttpOptions): Promise<HttpResponse> {
  const timeout = AbortSignal.timeout(options.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;
  let response: Response;
  try {
    response = await options.fetch(url, {
      method: options.method,
      headers: {
        authorization: `Bearer ${options.token}`,
        accept: 'application/json',
        ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      // A redirect could carry the bearer token elsewhere; the API never redirects.
      redirect: 'manual',
      signal,
    });
  } catch (error) {
    throw (
      abortReason(options.signal, timeout) ??
      new GatehouseError('ERR_NETWORK', `cannot reach ${url.origin}: ${describe(error)}`, { cause: error })
    );
  }

  let text: string;
  try {
    text = await readLimited(response, MAX_RESPONSE_BYTES);
  } catch (error) {
    if (error instanceof GatehouseError) throw error;
    throw (
      abortReason(options.signal, timeout) ??
      new GatehouseError('ERR_NETWORK', `connection broke while reading: ${describe(error)}`, {
        cause: error,
      })
    );
  }

  let body: unknown;
  if (text.length > 0) {
    try {
      body = JSON.parse(text);
    } catch {
      if (response.status < 400)
        throw new GatehouseError(
          'ERR_PROTOCOL',
          `${url.pathname} answered ${response.status} with a body that is not JSON`,
        );
    }
  }

  if (response.status >= 200 && response.status < 300) return { status: response.status, body };
  throw statusError(response.status, body, url);
}

export function statusError(status: number, body: unknown, url: URL): GatehouseError {
  const server = parseServerError(body);
  const detail = server.message ?? server.code ?? `HTTP ${status}`;
  const options = { status, ...(server.code ? { serverCode: server.code } : {}) };
  if (status >= 500)
    return new GatehouseError('ERR_SERVER', `server error on ${url.pathname}: ${detail}`, options);
  if (status === 401) return new GatehouseError('ERR_UNAUTHORIZED', `unauthorized: ${detail}`, options);
  if (status === 403) return new GatehouseError('ERR_FORBIDDEN', `forbidden: ${detail}`, options);
  if (status >= 400)
    return new GatehouseError('ERR_REQUEST', `request refused on ${url.pathname}: ${detail}`, options);
  return new GatehouseError('ERR_PROTOCOL', `unexpected HTTP ${status} on ${url.pathname}`, options);
}

function abortReason(outer: AbortSignal | undefined, timeout: AbortSignal): GatehouseError | undefined {
  if (outer?.aborted) {
    return outer.reason instanceof GatehouseError
      ? outer.reason
      : new GatehouseError('ERR_ABORTED', 'aborted by the caller');
  }
  if (timeout.aborted) return new GatehouseError('ERR_TIMEOUT', 'the server did not answer in time');
  return undefined;
}

async function readLimited(response: Response, limit: number): Promise<string> {
  const declared = Number(response.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > limit) {
    await response.body?.cancel().catch(() => {});
    throw new GatehouseError('ERR_PROTOCOL', `response body of ${declared} bytes exceeds the limit`);
  }
  if (!response.body) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => {});
      throw new GatehouseError('ERR_PROTOCOL', 'response body exceeds the limit');
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks).toString('utf8');
}

export function describe(error: unknown): string {
  if (error instanceof Error) {
    const cause = error.cause instanceof Error ? ` (${error.cause.message})` : '';
    return `${error.message}${cause}`;
  }
  return String(error);
}
